import { afterEach, describe, expect, it } from '@jest/globals';
import { runWatchlistValidate } from '../../src/commands/watchlist.js';
import { writeWatchlist } from '../../src/core/trade/watchlist-file.js';
import type { Signal } from '../../src/core/strategy/features.js';
import type { TestContext } from '../helpers/context.js';
import { simWorld } from '../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const pick = (symbol: string, entry: number, stop: number): Signal => ({
  date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: 90, level: null, bars_since: null, sweep: null,
});

describe('kobe watchlist validate', () => {
  it('drops a gap beyond the limit, a gap through the stop, and a symbol without a quote', async () => {
    // 09:00 ET on 2025-01-14: the last close is 2025-01-13, prices are the last close (~100 for AAPL).
    t = await simWorld({ at: '2025-01-14T14:00:00Z' });
    await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: 'x', from_session: '2025-01-13', for_session: '2025-01-14', validated: null, picks: [pick('AAPL', 100, 95), pick('MSFT', 190, 180), pick('XOM', 60, 55), pick('NOPE', 10, 9)] });
    const r = await runWatchlistValidate(t.ctx);
    const by = Object.fromEntries(r.validated!.results.map((c) => [c.symbol, c]));
    expect(by.AAPL).toMatchObject({ ok: true, reason: null });
    expect(by.MSFT).toMatchObject({ ok: false });
    expect(by.MSFT.reason).toMatch(/gap 5\.\d% beyond 3\.0%/);
    expect(by.XOM).toMatchObject({ ok: false });
    expect(by.XOM.reason).toMatch(/gapped through the stop/);
    expect(by.NOPE).toMatchObject({ ok: false, reason: 'no quote (halted or unknown symbol)' });
  });

  it('a watchlist built from an older close is stale: nothing is valid', async () => {
    t = await simWorld({ at: '2025-01-14T14:00:00Z' });
    await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: 'x', from_session: '2025-01-10', for_session: '2025-01-13', validated: null, picks: [pick('AAPL', 100, 95)] });
    const r = await runWatchlistValidate(t.ctx);
    expect(r.stale).toBe(true);
    expect(r.validated!.results[0]).toMatchObject({ ok: false, reason: expect.stringMatching(/^stale/) });
  });
});
