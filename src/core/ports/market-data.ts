// The MarketData port (ARCHITECTURE section 4): daily bars for a symbol and a date range. Adapters
// return a complete, sorted, de-duplicated series or throw; never a partial one.
import type { BarSeries } from '../strategy/bars.js';

/** Daily bars for one symbol, with what it cost to get them. */
export interface DailyBars {
  series: BarSeries;
  /** Pages (responses with data) the provider sent. */
  pages: number;
  /** HTTP requests made, retries included. */
  requests: number;
}

/** Progress of one fetch, for progress lines. */
export interface FetchProgress {
  symbol: string;
  page: number;
  bars: number;
}

/** Who serves the bars (recorded as the bar store's source). */
export type BarProvider = 'polygon' | 'alpaca';

/** A source of daily bars. */
export interface MarketData {
  readonly provider: BarProvider;
  /** HTTP requests made so far, retries included. */
  requests(): number;
  /** Adjusted daily bars of `symbol` for sessions in [start, end] (YYYY-MM-DD, ET calendar dates). */
  dailyBars(symbol: string, start: string, end: string, onProgress?: (p: FetchProgress) => void): Promise<DailyBars>;
}
