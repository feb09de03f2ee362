// The fake Alpaca's market data (market-data-api.json: GET /v2/stocks/quotes/latest, GET
// /v2/stocks/bars and /v2/stocks/{symbol}/bars) and the scenarios that make its clock and calendar
// disagree with kobe's. Bars: daily only, deterministic per symbol (the fake Polygon's generator),
// sorted by symbol then time, `limit` counting data points across symbols, next_page_token opaque.
// Prices are JSON numbers (0 = no active side), `t` is RFC-3339 with nanoseconds; a symbol with
// no quote is absent from `quotes`, as Alpaca answers it.
import { parseIsoDate, toIsoDate } from '../../../src/core/market/iso-date.js';
import { etDate, etToUtc } from '../../../src/core/market/time.js';
import { fakeBars } from '../polygon-server.js';
import { calendarWire } from './reads.js';
import type { Refusal } from './requests.js';

/** A quote as a test sets it: bid/ask may be junk on purpose; ts defaults to the fake's clock. */
export interface QuoteSetting {
  bid?: unknown;
  ask?: unknown;
  ts?: string | Date;
}

/** A calendar day as the fake answers it instead of kobe's; null removes the date. */
export type CalendarSetting = { open: string; close: string } | null;

const nanos = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');

/** One session's prices as a test designs them (volume defaults to the generator's). */
export interface OhlcSetting {
  o: number;
  h: number;
  l: number;
  c: number;
  v?: number;
}

/** Which daily bars the fake has for a symbol: through `last` (default: any end asked), closes or whole bars overridden by date. */
export interface BarsSetting {
  last?: string;
  closes?: Record<string, number>;
  ohlc?: Record<string, OhlcSetting>;
  /** A split with this ex date: prices before it come divided by `ratio` (split-adjusted), and /v1/corporate-actions lists it. */
  split?: { date: string; ratio: number };
}

/** Quotes and calendar overrides of the fake. */
export class FakeMarket {
  private readonly quotes = new Map<string, QuoteSetting | null>();
  readonly calendar = new Map<string, CalendarSetting>();
  clock: Partial<Record<'is_open' | 'next_open' | 'next_close', unknown>> = {};
  readonly bars = new Map<string, BarsSetting>();
  /** Most data points per page whatever `limit` asks (Alpaca may return fewer than asked). */
  maxPageSize = 10_000;

  constructor(
    private readonly prices: () => Record<string, number>,
    private readonly now: () => Date,
  ) {}

  /** Set `symbol`'s latest quote; null makes it a symbol with no quote. */
  set(symbol: string, q: QuoteSetting | null): void {
    this.quotes.set(symbol, q);
  }

  /** The wire quote for `symbol`, or undefined when Alpaca would have none. */
  private wire(symbol: string): object | undefined {
    const set = this.quotes.get(symbol);
    if (set === null) return undefined;
    const px = this.prices()[symbol];
    if (set === undefined && px === undefined) return undefined;
    // The default: a 2 bp spread around the fake's price, observed now.
    const bid = set && 'bid' in set ? set.bid : Math.round(px * 0.9999 * 100) / 100;
    const ask = set && 'ask' in set ? set.ask : Math.round(px * 1.0001 * 100) / 100;
    const ts = set?.ts === undefined ? nanos(this.now()) : typeof set.ts === 'string' ? set.ts : nanos(set.ts);
    return { ap: ask, as: 1, ax: 'V', bp: bid, bs: 1, bx: 'V', c: ['R'], t: ts, z: 'C' };
  }

  /** GET /v2/stocks/quotes/latest?symbols=A,B */
  latestQuotes(q: URLSearchParams): object | Refusal {
    const symbols = q.get('symbols');
    if (!symbols) return { status: 400, message: 'missing symbols' };
    const feed = q.get('feed');
    if (feed !== null && !['iex', 'sip', 'delayed_sip', 'otc', 'boats', 'overnight'].includes(feed)) return { status: 400, message: `invalid feed: ${feed}` };
    const quotes: Record<string, object> = {};
    for (const s of symbols.split(',')) {
      const w = this.wire(s);
      if (w) quotes[s] = w;
    }
    return { quotes };
  }

  /** GET /v2/calendar: kobe's sessions in the range, with the overrides applied. */
  calendarWire(q: URLSearchParams): object[] | Refusal {
    const days = calendarWire(this.now(), q.get('start'), q.get('end'));
    if (!Array.isArray(days)) return days;
    // The range as the server read it (dates or New York instants), for overrides outside kobe's sessions.
    const day = (v: string | null) => (v === null ? null : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : etDate(new Date(v)));
    const start = day(q.get('start')) ?? etDate(this.now());
    const end = day(q.get('end')) ?? start;
    const out = new Map(days.map((d) => [(d as { date: string }).date, d]));
    for (const [date, set] of this.calendar) {
      if (date < start || date > end) continue;
      if (set === null) out.delete(date);
      else out.set(date, { ...(out.get(date) ?? { date, session_open: '0400', session_close: '2000', settlement_date: date }), ...set });
    }
    return [...out.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, d]) => d);
  }

  /** GET /v1/corporate-actions?symbols=A,B&types=forward_split,reverse_split&start&end: the splits set with setBars. */
  corporateActions(q: URLSearchParams): object | Refusal {
    const symbols = (q.get('symbols') ?? '').split(',').filter(Boolean);
    const types = (q.get('types') ?? 'forward_split,reverse_split').split(',');
    const start = q.get('start') ?? '0000-00-00';
    const end = q.get('end') ?? '9999-99-99';
    const forward: object[] = [];
    const reverse: object[] = [];
    for (const s of symbols) {
      const sp = this.bars.get(s)?.split;
      if (!sp || sp.date < start || sp.date > end) continue;
      const row = { id: `ca-${s}-${sp.date}`, symbol: s, cusip: '000000000', ex_date: sp.date, process_date: sp.date, record_date: sp.date, payable_date: sp.date };
      if (sp.ratio >= 1 && types.includes('forward_split')) forward.push({ ...row, new_rate: sp.ratio, old_rate: 1 });
      if (sp.ratio < 1 && types.includes('reverse_split')) reverse.push({ ...row, new_rate: 1, old_rate: Math.round(1 / sp.ratio) });
    }
    return { corporate_actions: { forward_splits: forward, reverse_splits: reverse }, next_page_token: null };
  }

  /** GET /v2/stocks/bars?symbols=A,B&timeframe=1Day&start&end&limit&page_token (or /v2/stocks/{symbol}/bars). */
  stockBars(q: URLSearchParams, pathSymbol?: string): object | Refusal {
    const symbols = pathSymbol ? [pathSymbol] : (q.get('symbols') ?? '').split(',').filter(Boolean);
    if (!symbols.length) return { status: 400, message: 'missing symbols' };
    const tf = q.get('timeframe');
    if (tf !== '1Day' && tf !== '1D') return { status: 400, message: `the fake serves only 1Day bars, not ${tf}` };
    const feed = q.get('feed');
    if (feed !== null && !['iex', 'sip', 'delayed_sip', 'otc', 'boats'].includes(feed)) return { status: 400, message: `invalid feed: ${feed}` };
    const day = (v: string | null) => (v === null ? null : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : etDate(new Date(v)));
    // Bars are stamped at midnight ET of their session and returned when stamped at or after start.
    const from = (v: string | null) => {
      const d = day(v);
      if (d === null || v === d) return d;
      return etToUtc(d, '00:00') >= new Date(v!) ? d : toIsoDate(parseIsoDate(d) + 1);
    };
    const start = from(q.get('start')) ?? etDate(this.now());
    const end = day(q.get('end')) ?? etDate(this.now());
    const limit = Math.min(Number(q.get('limit') ?? 1000), 10_000, this.maxPageSize);
    const offset = q.get('page_token') ? Number(Buffer.from(q.get('page_token')!, 'base64').toString('utf8').split('|')[1]) : 0;
    const all: Array<[string, object]> = [];
    for (const s of [...symbols].sort()) {
      const set = this.bars.get(s);
      if (!set) continue;
      const to = set.last && set.last < end ? set.last : end;
      for (const b of fakeBars(s, start, to)) {
        const t = new Date(b.t).toISOString().replace('.000Z', 'Z');
        const x = set.ohlc?.[etDate(new Date(b.t))];
        if (x) {
          all.push([s, { t, o: x.o, h: x.h, l: x.l, c: x.c, v: x.v ?? b.v, n: b.n, vw: Math.round(((x.h + x.l + x.c) / 3) * 10_000) / 10_000 }]);
          continue;
        }
        const c = set.closes?.[etDate(new Date(b.t))] ?? b.c;
        const k = set.split && etDate(new Date(b.t)) < set.split.date ? 1 / set.split.ratio : 1;
        all.push([s, { t, o: b.o * k, h: Math.max(b.h, c) * k, l: Math.min(b.l, c) * k, c: c * k, v: b.v, n: b.n, vw: b.vw * k }]);
      }
    }
    const page = all.slice(offset, offset + limit);
    const bars: Record<string, object[]> = {};
    for (const [s, b] of page) (bars[s] ??= []).push(b);
    const next = offset + limit < all.length ? Buffer.from(`${page.at(-1)![0]}|${offset + limit}`).toString('base64') : null;
    return pathSymbol ? { symbol: pathSymbol, bars: bars[pathSymbol] ?? [], next_page_token: next } : { bars, next_page_token: next, currency: 'USD' };
  }
}
