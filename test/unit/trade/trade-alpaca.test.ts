// `kobe trade` on a home whose broker is the fake Alpaca (config/base.yaml + .env), with quotes from
// its market-data endpoint: a fresh quote prices an entry that fills and gets its protective stop;
// a stale one (by the API's own timestamp) is refused, naming its age, and nothing is sent.
import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { runTrade } from '../../../src/commands/trade.js';
import type { Signal } from '../../../src/core/strategy/features.js';
import { writeWatchlist } from '../../../src/core/trade/watchlist-file.js';
import { FakeAlpacaServer } from '../../fakes/alpaca-server.js';
import { VenueClock, alpacaHome } from '../../helpers/alpaca-home.js';
import { type TestContext } from '../../helpers/context.js';


let t: TestContext | undefined;
let server: FakeAlpacaServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  t?.cleanup();
});

const pick = (symbol: string, entry: number, stop: number): Signal => ({
  date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: entry * 0.9, level: null, bars_since: null, sweep: null,
});

async function tradeHome(): Promise<{ t: TestContext; server: FakeAlpacaServer; clock: VenueClock }> {
  const h = await alpacaHome();
  t = h.t;
  server = h.server;
  const s = h.server;
  const clock = h.clock;
  const picks = [pick('AAPL', 100, 96)];
  await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: '2025-01-13T21:30:00Z', from_session: '2025-01-13', for_session: '2025-01-14', picks, validated: { at: '2025-01-14T13:00:00Z', results: [{ symbol: 'AAPL', ok: true, reason: null, gap_pct: 0 }] } });
  return { t: t!, server: s, clock };
}

describe('kobe trade on Alpaca quotes', () => {
  it('a fresh quote from the market-data API prices the entry; it fills and its protective stop rests at the broker', async () => {
    const w = await tradeHome();
    w.server.setQuote('AAPL', { bid: 100.1, ask: 100.2, ts: new Date(w.clock.now().getTime() - 5_000) });
    const r = await runTrade(w.t.ctx, { forceWindow: false, top: 3 });
    expect(r.outcomes.map((o) => [o.symbol, o.status, o.limit])).toEqual([['AAPL', 'FILLED', 100.3]]);
    expect(w.server.requests.filter((x) => x.path === '/v2/stocks/quotes/latest').map((x) => x.query)).toEqual([{ symbols: 'AAPL', feed: 'iex' }]);
    const open = w.server.orders.filter((o) => o.status === 'new' || o.status === 'accepted');
    expect(open.map((o) => [o.symbol, o.side, o.type, o.stop_price, o.time_in_force])).toEqual([['AAPL', 'sell', 'stop', 96, 'gtc']]);
  });

  it('a stale quote (by its API timestamp) is refused naming its age, and nothing is sent', async () => {
    const w = await tradeHome();
    w.server.setQuote('AAPL', { bid: 100.1, ask: 100.2, ts: new Date(w.clock.now().getTime() - 300_000) });
    const r = await runTrade(w.t.ctx, { forceWindow: false, top: 3 });
    expect(r.outcomes.map((o) => [o.symbol, o.status, o.reason])).toEqual([['AAPL', 'SKIPPED', 'quote is 300 s old (limit 60 s)']]);
    expect(w.server.orders).toHaveLength(0);
  });
});
