// Alpaca's historical bars wire shape (GET /v2/stocks/bars) -> BarSeries. `bars` is keyed by symbol;
// a daily bar's `t` is RFC-3339 at midnight America/New_York of its session, so its ET calendar
// date is the session. A missing or non-numeric o/h/l/c/v is a provider error, never a 0.
import { z } from 'zod';
import { etDate } from '../../market/time.js';
import { dayNumber, type BarSeries } from '../../strategy/bars.js';
import { ProviderError } from '../errors.js';
import { seriesFromOhlcv } from '../ohlcv.js';

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
