// A provider's daily bars (one parsed row per bar, in any order) as a BarSeries: sorted by session,
// two bars for one session refused by name. Shared by the Polygon and Alpaca adapters.
import { type BarSeries, allocSeries } from '../strategy/bars.js';
import { ProviderError } from './errors.js';

/** One provider bar: its session (day number and date) and its OHLCV. */
export interface OhlcvRow {
  day: number;
  date: string;
  b: { o: number; h: number; l: number; c: number; v: number };
}

/** The rows as a series sorted by session; a second bar for one session is a ProviderError. */
export function seriesFromOhlcv(provider: string, symbol: string, rows: OhlcvRow[]): BarSeries {
  rows.sort((a, b) => a.day - b.day);
  const n = rows.length;
  const s = allocSeries(symbol, n);
  for (let i = 0; i < n; i++) {
    const { day, date, b } = rows[i];
    if (i > 0 && rows[i - 1].day === day) throw new ProviderError(`${provider} sent two bars for ${symbol} on ${date}`, { details: { symbol, date } });
    s.dates[i] = day;
    s.open[i] = b.o;
    s.high[i] = b.h;
    s.low[i] = b.l;
    s.close[i] = b.c;
    s.volume[i] = b.v;
  }
  return s;
}
