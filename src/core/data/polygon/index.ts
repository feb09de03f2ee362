// The Polygon MarketData adapter: client (SDK, pacing, retries, pages) + map (wire -> BarSeries).
import { performance } from 'node:perf_hooks';
import type { DailyBars, FetchProgress, MarketData } from '../../ports/market-data.js';
import { realSleep, type Sleep } from '../../util/rate-limiter.js';
import { PolygonClient } from './client.js';
import { barsToSeries } from './map.js';

export { ProviderError, KEY_HINT } from './errors.js';

/** Settings of the adapter (config polygon.* plus the key from .env). */
export interface PolygonOptions {
  baseUrl: string;
  apiKey: string;
  requestsPerMinute: number;
  timeoutMs: number;
  sleep?: Sleep;
  /** Monotonic ms for pacing (elapsed time between requests, not the domain clock). */
  now?: () => number;
  retries?: number;
  backoffMs?: number;
  maxBackoffMs?: number;
  maxRetryAfterMs?: number;
}

/** MarketData backed by Polygon, with its client exposed for request counts and waits. */
export interface PolygonMarketData extends MarketData {
  readonly client: PolygonClient;
}

/** Build the Polygon adapter. */
export function createPolygonMarketData(opts: PolygonOptions): PolygonMarketData {
  const client = new PolygonClient({ ...opts, sleep: opts.sleep ?? realSleep, now: opts.now ?? (() => performance.now()) });
  return {
    client,
    provider: 'polygon',
    requests: () => client.requests,
    async dailyBars(symbol: string, start: string, end: string, onProgress?: (p: FetchProgress) => void): Promise<DailyBars> {
      let bars = 0;
      const { pages, requests } = await client.dailyAggs(symbol, start, end, (p, n) => {
        bars += p.results.length;
        onProgress?.({ symbol, page: n, bars });
      });
      const series = barsToSeries(symbol, pages.flatMap((p) => p.results));
      return { series, pages: pages.length, requests };
    },
    splits: (symbol, start, end) => client.splits(symbol, start, end),
  };
}
