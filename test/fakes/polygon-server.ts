// A local fake of Polygon's aggregates endpoint, speaking the wire format of
// ../shared/reference/polygon (openapi.json and the recorded responses): the real
// @polygon.io/client-js talks to it over HTTP on 127.0.0.1. Per-test scenarios set up pagination,
// 429 + Retry-After, 5xx, slow answers, refused keys, malformed JSON and empty or unknown symbols.
import fs from 'node:fs';
import http from 'node:http';
import { LocalHttpFake } from './local-http.js';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { etDate, etToUtc } from '../../src/core/market/time.js';

/** Recorded Polygon responses (file = request path + '.json'), served when a request matches. */
const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'polygon');

/** What the fake does; every field optional, set per test through `server.scenario`. */
export interface FakePolygonScenario {
  /** Symbols that have bars (every session in the requested range); others get an empty OK answer. */
  symbols?: string[];
  /** Results per page; more results get a `next_url` with a cursor. */
  pageSize?: number;
  /** Answer the first `requests` requests with 429 and this Retry-After (seconds; omitted when null). */
  rateLimited?: { requests: number; retryAfterS?: number | null };
  /** Answer the first `requests` requests with `status` (default 500); Infinity for always. */
  serverErrors?: { requests: number; status?: number };
  /** Wait this long before answering. */
  delayMs?: number;
  /** Refuse requests with 401 (unknown key) or 403 (not entitled), whatever the key. */
  refuse?: 401 | 403;
  /** Refuse only requests for these symbols (all when omitted). */
  refuseSymbols?: string[];
  /** Malformed JSON for these symbols (on `page` only when given, 1-based). */
  malformed?: Array<{ symbol: string; page?: number }>;
  /** 404 NOT_FOUND for these symbols. */
  notFound?: string[];
  /** Origin to write into next_url (Polygon names its own public host there); default this server. */
  nextOrigin?: string;
  /** Bars only up to this date per symbol (a provider one or more sessions stale). */
  lastBar?: Record<string, string>;
  /** Revised closes: the bar of `symbol` on `date` closes at `close` (high/low widened to hold it). */
  revise?: Array<{ symbol: string; date: string; close: number }>;
  /** Every bar's prices divided by `ratio` for `symbol` (a split after the bars were stored). */
  split?: { symbol: string; ratio: number; /** Ex date /v3/reference/splits reports (default 2025-01-02). */ date?: string };
  /** 403 NOT_AUTHORIZED "plan doesn't include this data timeframe" for a range starting before this date. */
  planHistoryFrom?: string;
  /** 503 to every request after the first `n` (the provider going down mid-run). */
  downAfter?: number;
  /** Replace one field of one generated bar (to test junk values); `value: undefined` drops it. */
  badBar?: { symbol: string; index: number; field: string; value: unknown };
}

/** One request as the fake saw it; the key is never kept, only whether it was right. */
export interface RecordedRequest {
  path: string;
  query: Record<string, string>;
  keyOk: boolean;
  status: number;
}

interface Cursor {
  from: string;
  to: string;
  offset: number;
}

/** Polygon's daily aggregate wire shape. */
export interface WireBar {
  v: number;
  vw: number;
  o: number;
  c: number;
  h: number;
  l: number;
  t: number;
  n: number;
}

function hash(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

/** Deterministic bars for `symbol` on every NYSE session in [from, to]; `t` is midnight New York. */
export function fakeBars(symbol: string, from: string, to: string): WireBar[] {
  return sessionsBetween(from, to).map((d) => {
    const r = hash(`${symbol}${d}`);
    const o = 50 + (hash(symbol) % 200) + (r % 1000) / 100;
    const c = o * (1 + (((r >>> 10) % 200) - 100) / 10_000);
    const h = Math.max(o, c) * 1.01;
    const l = Math.min(o, c) * 0.99;
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    return { v: 1_000_000 + (r % 500_000), vw: round((o + c) / 2), o: round(o), c: round(c), h: round(h), l: round(l), t: etToUtc(d, '00:00').getTime(), n: 5_000 + (r % 3_000) };
  });
}

const AGGS = /^\/v2\/aggs\/ticker\/([^/]+)\/range\/(\d+)\/(\w+)\/([^/]+)\/([^/]+)$/;

/** The fake server: start(), point the client at `baseUrl`, set `scenario`, stop(). */
export class FakePolygonServer extends LocalHttpFake {
  protected readonly label = 'Polygon';
  readonly requests: RecordedRequest[] = [];
  private current: FakePolygonScenario = {};
  private counter = 0;
  private requestIds = 0;

  constructor(readonly apiKey = 'test-key-123') {
    super();
  }

  /** The scenario in force; setting one restarts its request count ("the first K requests"). */
  get scenario(): FakePolygonScenario {
    return this.current;
  }
  set scenario(s: FakePolygonScenario) {
    this.current = s;
    this.counter = 0;
  }




  /** Requests for one symbol's aggregates, in order. */
  requestsFor(symbol: string): RecordedRequest[] {
    return this.requests.filter((r) => r.path.startsWith(`/v2/aggs/ticker/${symbol}/`));
  }

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = url.searchParams.get('apiKey') ?? /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    url.searchParams.delete('apiKey');
    const rec: RecordedRequest = { path: url.pathname, query: Object.fromEntries(url.searchParams), keyOk: key === this.apiKey, status: 0 };
    this.requests.push(rec);
    const n = ++this.counter;
    const answer = () => {
      if (res.destroyed) return;
      const { status, body, headers } = this.respond(url, rec.keyOk, n);
      rec.status = status;
      res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
      res.end(body);
    };
    const delay = this.scenario.delayMs ?? 0;
    if (delay <= 0) return answer();
    const t = setTimeout(() => {
      this.timers.delete(t);
      answer();
    }, delay);
    this.timers.add(t);
  }

  /** The scenario's split as /v3/reference/splits rows for the requested ticker and execution_date range. */
  private splits(url: URL): Array<Record<string, unknown>> {
    const sp = this.scenario.split;
    const q = (k: string) => url.searchParams.get(k);
    const date = sp?.date ?? '2025-01-02';
    if (!sp || q('ticker') !== sp.symbol || (q('execution_date.gte') ?? '') > date || (q('execution_date.lte') ?? '9999') < date) return [];
    return [{ execution_date: date, split_from: sp.ratio >= 1 ? 1 : Math.round(1 / sp.ratio), split_to: sp.ratio >= 1 ? sp.ratio : 1, ticker: sp.symbol }];
  }

  /** A generated bar with the scenario's revisions and split applied. */
  private adjusted(symbol: string, b: WireBar): Record<string, unknown> {
    const out = { ...b };
    const rev = this.scenario.revise?.find((r) => r.symbol === symbol && r.date === wireDate(b));
    if (rev) Object.assign(out, { c: rev.close, h: Math.max(out.h, rev.close), l: Math.min(out.l, rev.close) });
    const sp = this.scenario.split;
    if (sp?.symbol === symbol) for (const k of ['o', 'h', 'l', 'c', 'vw'] as const) out[k] = out[k] / sp.ratio;
    return out;
  }

  private respond(url: URL, keyOk: boolean, n: number): { status: number; body: string; headers?: Record<string, string> } {
    const sc = this.scenario;
    const requestId = `fake${(++this.requestIds).toString(16).padStart(28, '0')}`;
    const json = (status: number, body: object, headers?: Record<string, string>) => ({ status, body: JSON.stringify(body), headers });
    const m = AGGS.exec(url.pathname);
    const symbol = m ? decodeURIComponent(m[1]) : '';
    const refuse = sc.refuse && (!sc.refuseSymbols || sc.refuseSymbols.includes(symbol)) ? sc.refuse : undefined;
    if (!keyOk || refuse === 401) return json(401, { status: 'ERROR', request_id: requestId, error: 'Unknown API Key' });
    if (refuse === 403) return json(403, { status: 'NOT_AUTHORIZED', request_id: requestId, message: 'You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing' });
    if (sc.downAfter !== undefined && n > sc.downAfter) return json(503, { status: 'ERROR', request_id: requestId, error: 'Service Unavailable' });
    if (sc.planHistoryFrom && m && !url.searchParams.get('cursor') && m[4] < sc.planHistoryFrom) {
      return json(403, { status: 'NOT_AUTHORIZED', request_id: requestId, message: "Your plan doesn't include this data timeframe. Please upgrade your plan at https://polygon.io/pricing" });
    }
    if (sc.rateLimited && n <= sc.rateLimited.requests) {
      const ra = sc.rateLimited.retryAfterS === null ? undefined : String(sc.rateLimited.retryAfterS ?? 1);
      return json(429, { status: 'ERROR', request_id: requestId, error: "You've exceeded the maximum requests per minute, please wait or upgrade your subscription to continue. https://polygon.io/pricing" }, ra === undefined ? undefined : { 'Retry-After': ra });
    }
    if (sc.serverErrors && n <= sc.serverErrors.requests) return json(sc.serverErrors.status ?? 500, { status: 'ERROR', request_id: requestId, error: 'Internal server error' });
    if (url.pathname === '/v3/reference/splits') return json(200, { status: 'OK', request_id: requestId, results: this.splits(url) });
    if (!m) return json(404, { status: 'NOT_FOUND', request_id: requestId, message: 'Not found' });
    if (sc.notFound?.includes(symbol)) return json(404, { status: 'NOT_FOUND', request_id: requestId, message: `Ticker ${symbol} not found` });
    const recorded = path.join(FIXTURES, `${url.pathname}.json`);
    if (fs.existsSync(recorded)) return { status: 200, body: fs.readFileSync(recorded, 'utf8') };

    const cursorText = url.searchParams.get('cursor');
    const cursor: Cursor = cursorText ? JSON.parse(Buffer.from(cursorText, 'base64url').toString('utf8')) : { from: m[4], to: m[5], offset: 0 };
    const page = Math.floor(cursor.offset / (sc.pageSize ?? 50_000)) + 1;
    if (sc.malformed?.some((x) => x.symbol === symbol && (x.page === undefined || x.page === page))) {
      return { status: 200, body: `{"ticker":"${symbol}","status":"OK","results":[{"v":1,"o":` };
    }
    const to = sc.lastBar?.[symbol] !== undefined && sc.lastBar[symbol] < cursor.to ? sc.lastBar[symbol] : cursor.to;
    const all: Array<Record<string, unknown>> = sc.symbols === undefined || sc.symbols.includes(symbol) ? fakeBars(symbol, cursor.from, to).map((b) => this.adjusted(symbol, b)) : [];
    const bad = sc.badBar;
    if (bad && bad.symbol === symbol && all[bad.index]) {
      if (bad.value === undefined) delete all[bad.index][bad.field];
      else all[bad.index][bad.field] = bad.value;
    }
    const size = sc.pageSize ?? 50_000;
    const results = all.slice(cursor.offset, cursor.offset + size);
    const body: Record<string, unknown> = { ticker: symbol, queryCount: results.length, resultsCount: results.length, adjusted: url.searchParams.get('adjusted') !== 'false', status: 'OK', request_id: requestId };
    if (results.length) body.results = results;
    if (cursor.offset + size < all.length) {
      const next: Cursor = { ...cursor, offset: cursor.offset + size };
      const nextFrom = all[next.offset].t as number;
      body.next_url = `${sc.nextOrigin ?? this.baseUrl}/v2/aggs/ticker/${symbol}/range/1/day/${nextFrom}/${cursor.to}?cursor=${Buffer.from(JSON.stringify(next)).toString('base64url')}`;
    }
    return { status: 200, body: JSON.stringify(body) };
  }
}

/** ET session date of a wire bar (for assertions). */
export function wireDate(b: { t: number }): string {
  return etDate(new Date(b.t));
}
