// The IBS+RSI strategy exit judges the entry session's own bar once it has closed: the fill came
// before that close, and the backtest exits on it (bars held 0). Found by the paper day on the fake
// Alpaca: a dip bought on Tuesday that closed Tuesday at its high was held instead of sold Wednesday.
import { afterEach, describe, expect, it } from '@jest/globals';
import { runTrade } from '../../../src/commands/trade.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { manageExits } from '../../../src/core/trade/exits.js';
import { readTrades } from '../../../src/core/trade/journal.js';
import { writeWatchlist } from '../../../src/core/trade/watchlist-file.js';
import { PositionsFile } from '../../../src/core/state/schemas.js';
import { seriesFromRows } from '../../../src/core/strategy/bars.js';
import type { Signal } from '../../../src/core/strategy/features.js';
import type { TestContext } from '../../helpers/context.js';
import { simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const pick = (symbol: string, entry: number, stop: number): Signal => ({
  date: '2025-01-10', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: entry * 0.9, level: null, bars_since: null, sweep: null,
});

describe('the strategy exit on the entry bar', () => {
  it('sells the next session when the entry session closed at its high (IBS > ibs_exit); a mid-range close holds', async () => {
    t = await simWorld({ at: '2025-01-13T15:30:00Z' });
    // AAPL: flat at 100, then the entry session 2025-01-13 closes at its high 103 (IBS 1).
    const days = sessionsBetween('2024-06-03', '2025-01-14');
    const rows = days.map((date) => (date === '2025-01-13' ? { date, open: 100, high: 103, low: 99.5, close: 103, volume: 1_000_000 } : { date, open: 100, high: 101, low: 99, close: 100, volume: 1_000_000 }));
    await (await t.ctx.bars()).writeMany([{ series: seriesFromRows('AAPL', rows), meta: { source: 'synthetic' as const } }]);
    const picks = [pick('AAPL', 100, 96), pick('XOM', 50, 45)];
    await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: 'x', from_session: '2025-01-10', for_session: '2025-01-13', picks, validated: { at: 'x', results: picks.map((p) => ({ symbol: p.symbol, ok: true, reason: null, gap_pct: 0 })) } });
    const r = await runTrade(t.ctx, { forceWindow: false, top: 3 });
    expect(r.outcomes.map((o) => [o.symbol, o.status])).toEqual([['AAPL', 'FILLED'], ['XOM', 'FILLED']]);

    // Still inside the entry session: its bar has not closed, nothing to judge.
    t.clock.set('2025-01-13T19:00:00Z');
    expect((await manageExits(await t.ctx.tradeDeps())).map((e) => [e.symbol, e.reason])).toEqual([['AAPL', null], ['XOM', null]]);

    t.clock.set('2025-01-14T14:45:00Z');
    const exits = await manageExits(await t.ctx.tradeDeps());
    expect(exits.map((e) => [e.symbol, e.reason, e.status ?? null])).toEqual([['AAPL', 'signal', 'FILLED'], ['XOM', null, null]]);
    expect(exits[0].detail).toBe('ibs_exit on the last completed bar');
    expect((await t.ctx.state()).read(PositionsFile).positions.map((p) => p.symbol)).toEqual(['XOM']);
    expect(readTrades(t.ctx.paths.logsDir).trades.filter((x) => x.event === 'close').map((c) => [c.symbol, c.reason])).toEqual([['AAPL', 'signal']]);
  });
});
