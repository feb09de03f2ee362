// Alpaca's historical bars wire shape (GET /v2/stocks/bars) -> BarSeries. `bars` is keyed by symbol;
// a daily bar's `t` is RFC-3339 at midnight America/New_York of its session, so its ET calendar
// date is the session. A missing or non-numeric o/h/l/c/v is a provider error, never a 0.
import { z } from 'zod';
import { etDate } from '../../market/time.js';
import { dayNumber, type BarSeries } from '../../strategy/bars.js';
import { ProviderError } from '../errors.js';
import { seriesFromOhlcv } from '../ohlcv.js';
import { splitRecord } from '../splits.js';
import type { SplitRecord } from '../../ports/market-data.js';

const PageSchema = z
  .object({
    bars: z.record(z.string(), z.array(z.unknown()).nullable()).nullish(),
    next_page_token: z.string().nullish(),
  })
  .passthrough();

const num = z.number({ invalid_type_error: 'is not a number', required_error: 'is missing' }).finite('is not finite');
const BarSchema = z.object({ o: num, h: num, l: num, c: num, v: num, t: z.string() }).passthrough();

/** One validated page: `symbol`'s bars on it and the token of the next page. */
export interface AlpacaBarsPage {
  bars: unknown[];
  nextPageToken: string | null;
}

/** Validate one parsed body as a bars page for `symbol`. */
export function parseBarsPage(body: unknown, symbol: string, page: number): AlpacaBarsPage {
  const r = PageSchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ProviderError(`Alpaca bars for ${symbol} (page ${page}): field ${i.path.join('.') || '(root)'} ${i.message.toLowerCase()}`, { details: { symbol, page } });
  }
  return { bars: r.data.bars?.[symbol] ?? [], nextPageToken: r.data.next_page_token || null };
}

/** Alpaca bars (all pages) -> a sorted BarSeries; duplicate dates and junk fields are errors. */
export function alpacaBarsToSeries(symbol: string, bars: readonly unknown[]): BarSeries {
  const rows = bars.map((raw, i) => {
    const r = BarSchema.safeParse(raw);
    const t = r.success ? new Date(r.data.t) : null;
    if (!r.success || Number.isNaN(t!.getTime())) {
      const issue = r.success ? null : r.error.issues[0];
      const what = issue ? `field ${String(issue.path[0] ?? '(bar)')} ${issue.message}` : `has an unreadable timestamp t`;
      throw new ProviderError(`Alpaca bar for ${symbol} at position ${i + 1}: ${what}`, { details: { symbol, position: i + 1 } });
    }
    return { day: dayNumber(etDate(t!)), date: etDate(t!), b: r.data };
  });
  return seriesFromOhlcv('Alpaca', symbol, rows);
}

const ActionsSchema = z
  .object({
    corporate_actions: z.object({ forward_splits: z.array(z.unknown()).nullish(), reverse_splits: z.array(z.unknown()).nullish() }).passthrough(),
    next_page_token: z.string().nullish(),
  })
  .passthrough();

/** One validated page of GET /v1/corporate-actions: `symbol`'s forward and reverse splits (ex date, new_rate : old_rate). */
export function parseSplitsPage(body: unknown, symbol: string, page: number): { splits: SplitRecord[]; nextPageToken: string | null } {
  const where = `Alpaca corporate actions (page ${page})`;
  const r = ActionsSchema.safeParse(body);
  if (!r.success) throw new ProviderError(`${where} for ${symbol}: field ${r.error.issues[0].path.join('.') || '(root)'} ${r.error.issues[0].message.toLowerCase()}`, { details: { symbol, page } });
  const ca = r.data.corporate_actions;
  const splits = [...(ca.forward_splits ?? []), ...(ca.reverse_splits ?? [])].map((raw) => {
    const x = (raw ?? {}) as Record<string, unknown>;
    if (typeof x.symbol === 'string' && x.symbol.toUpperCase() !== symbol.toUpperCase()) throw new ProviderError(`${where} for ${symbol}: answered with a split of ${x.symbol}`, { details: { symbol, page } });
    return splitRecord(where, symbol, x.ex_date, x.new_rate, x.old_rate);
  });
  return { splits, nextPageToken: r.data.next_page_token || null };
}
