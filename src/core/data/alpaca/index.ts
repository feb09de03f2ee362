// The Alpaca MarketData adapter: client (SDK, retries, pages) + map (wire -> BarSeries).
import type { DailyBars, FetchProgress, MarketData } from '../../ports/market-data.js';
import { AlpacaBarsClient, type AlpacaBarsOptions } from './client.js';
import { alpacaBarsToSeries } from './map.js';

/** MarketData backed by Alpaca, with its client exposed for request counts. */
export interface AlpacaMarketData extends MarketData {
  readonly client: AlpacaBarsClient;
}

/** Build the Alpaca bars adapter (the factory in broker/alpaca checks the host and keys). */
export function createAlpacaMarketData(opts: AlpacaBarsOptions): AlpacaMarketData {
  const client = new AlpacaBarsClient(opts);
  return {
    client,
    provider: 'alpaca',
    requests: () => client.requests,
    async dailyBars(symbol: string, start: string, end: string, onProgress?: (p: FetchProgress) => void): Promise<DailyBars> {
      const before = client.requests;
      let bars = 0;
      const pages = await client.dailyBars(symbol, start, end, (p, n) => {
        bars += p.bars.length;
        onProgress?.({ symbol, page: n, bars });
      });
      return { series: alpacaBarsToSeries(symbol, pages.flatMap((p) => p.bars)), pages: pages.length, requests: client.requests - before };
    },
    splits: (symbol, start, end) => client.splits(symbol, start, end),
  };
}
