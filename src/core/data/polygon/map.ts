// Polygon's aggregates wire shape -> BarSeries. A bar's `t` is the Unix ms of the start of its
// window, which for daily bars is midnight America/New_York; its ET calendar date is the session.
// A missing or non-numeric o/h/l/c/v is a provider error naming the symbol and date, never a 0.
import { z } from 'zod';
import { etDate } from '../../market/time.js';
import { dayNumber, type BarSeries } from '../../strategy/bars.js';
import { ProviderError } from './errors.js';
import { seriesFromOhlcv } from '../ohlcv.js';
import { splitRecord } from '../splits.js';
import type { SplitRecord } from '../../ports/market-data.js';

const PageSchema = z
  .object({
    status: z.string(),
    ticker: z.string().optional(),
    adjusted: z.boolean().optional(),
    queryCount: z.number().optional(),
    resultsCount: z.number().optional(),
    request_id: z.string().optional(),
    results: z.array(z.unknown()).nullish(),
    next_url: z.string().nullish(),
    error: z.string().optional(),
    message: z.string().optional(),
  })
  .passthrough();

const num = z.number({ invalid_type_error: 'is not a number', required_error: 'is missing' }).finite('is not finite');
const BarSchema = z.object({ o: num, h: num, l: num, c: num, v: num, t: z.number().int() }).passthrough();

/** One validated page of aggregates. */
export interface AggsPage {
  results: unknown[];
  nextUrl: string | null;
  requestId: string | null;
}

/** Statuses Polygon uses for a good answer (DELAYED: free-tier data behind real time). */
const GOOD_STATUS = new Set(['OK', 'DELAYED']);

/** Validate one response body (already JSON-parsed) as an aggregates page for `symbol`. */
export function parseAggsPage(body: unknown, symbol: string, page: number): AggsPage {
  const where = `Polygon aggregates for ${symbol} (page ${page})`;
  const r = PageSchema.safeParse(body);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ProviderError(`${where}: field ${i.path.join('.') || '(root)'} ${i.message.toLowerCase()}`, { details: { symbol, page } });
  }
  const p = r.data;
  if (!GOOD_STATUS.has(p.status)) throw new ProviderError(`${where}: status ${p.status}${p.error ?? p.message ? ` (${p.error ?? p.message})` : ''}`, { details: { symbol, page, status: p.status } });
  if (p.ticker !== undefined && p.ticker.toUpperCase() !== symbol.toUpperCase()) throw new ProviderError(`${where}: answered for ticker ${p.ticker}`, { details: { symbol, page } });
  if (p.adjusted === false) throw new ProviderError(`${where}: bars are not split-adjusted`, { details: { symbol, page } });
  return { results: p.results ?? [], nextUrl: p.next_url || null, requestId: p.request_id ?? null };
}

/** Where in the bar list a problem is: its ET date when `t` is usable, else its position. */
function barWhere(raw: unknown, index: number): string {
  const t = raw && typeof raw === 'object' ? (raw as { t?: unknown }).t : undefined;
  return typeof t === 'number' && Number.isFinite(t) ? `on ${etDate(new Date(t))}` : `at position ${index + 1}`;
}

/** Polygon bars (all pages, in any order) -> a sorted BarSeries; duplicate dates are an error. */
export function barsToSeries(symbol: string, bars: readonly unknown[]): BarSeries {
  const rows = bars.map((raw, i) => {
    const r = BarSchema.safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      const field = String(issue.path[0] ?? '(bar)');
      const value = (raw as Record<string, unknown> | null)?.[field];
      const got = value === undefined ? '' : ` (${JSON.stringify(value).slice(0, 40)})`;
      const msg = field === 't' ? `has no usable timestamp t (${issue.message.toLowerCase()})` : `field ${field} ${issue.message}${got}`;
      throw new ProviderError(`Polygon bar for ${symbol} ${barWhere(raw, i)}: ${msg}`, { details: { symbol, field } });
    }
    const date = etDate(new Date(r.data.t));
    return { day: dayNumber(date), date, b: r.data };
  });
  return seriesFromOhlcv('Polygon', symbol, rows);
}

/** One validated page of GET /v3/reference/splits for `symbol` (rows for other tickers are an error). */
export function parseSplitsPage(body: unknown, symbol: string, page: number): { splits: SplitRecord[]; nextUrl: string | null } {
  const where = `Polygon splits (page ${page})`;
  const r = PageSchema.safeParse(body);
  if (!r.success) throw new ProviderError(`${where} for ${symbol}: field ${r.error.issues[0].path.join('.') || '(root)'} ${r.error.issues[0].message.toLowerCase()}`, { details: { symbol, page } });
  if (!GOOD_STATUS.has(r.data.status)) throw new ProviderError(`${where} for ${symbol}: status ${r.data.status}`, { details: { symbol, page, status: r.data.status } });
  const splits = (r.data.results ?? []).map((raw) => {
    const x = (raw ?? {}) as Record<string, unknown>;
    if (typeof x.ticker === 'string' && x.ticker.toUpperCase() !== symbol.toUpperCase()) throw new ProviderError(`${where} for ${symbol}: answered with a split of ${x.ticker}`, { details: { symbol, page } });
    return splitRecord(where, symbol, x.execution_date, x.split_to, x.split_from);
  });
  return { splits, nextUrl: r.data.next_url || null };
}
