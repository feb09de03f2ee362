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

/** A stock split on `date` (its ex date: the first session at the post-split price); `ratio` is shares after per share before (2 for 2:1, 0.5 for 1:2). */
export interface SplitRecord {
  date: string;
  ratio: number;
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
  /** Splits of `symbol` with an ex date in [start, end], oldest first. */
  splits(symbol: string, start: string, end: string): Promise<SplitRecord[]>;
}
