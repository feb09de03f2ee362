import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { runDataSeed } from '../../src/commands/data/seed.js';
import { runDrift } from '../../src/commands/drift.js';
import { runBacktest, settingsFromConfig } from '../../src/core/backtest/engine.js';
import { loadUniverseBars } from '../../src/core/backtest/load.js';
import { compareWithBacktest, liveTrades } from '../../src/core/drift/drift.js';
import { loadUniverse } from '../../src/core/data/universe.js';
import { CheckFailed } from '../../src/core/errors.js';
import { addSessions } from '../../src/core/market/calendar.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { appendTrade } from '../../src/core/trade/journal.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

describe('kobe drift', () => {
  it('reports a known slippage, the missed and extra trades, and the P&L gap; exit 5 beyond K3', async () => {
    t = await testContext({ clock: new FakeClock('2025-06-02T22:00:00Z') });
    await runDataSeed(t.ctx, { symbols: 40, years: 3, seed: 7, withFaults: false });
    const { config, params } = await t.ctx.config();
    const until = '2025-05-30';
    const since = addSessions(until, -120);
    const u = loadUniverse(path.join(t.home, config.data.universe), config.data.cap);
    const bt = runBacktest({ series: loadUniverseBars(await t.ctx.bars(), u.symbols).series, params, settings: settingsFromConfig(config, 'portfolio', { start: since, end: until }) });
    const closed = bt.trades.filter((x) => x.entry_date >= since && x.exit_reason !== 'end');
    expect(closed.length).toBeGreaterThanOrEqual(3);
    const [missed, ...taken] = closed;
    // Every taken trade fills 10 bps worse and exits at the backtest's exit price.
    let ts = 0;
    for (const x of taken) {
      const price = x.entry_price * 1.001;
      await appendTrade(t.ctx.paths.logsDir, { ts: new Date(Date.parse(`${x.entry_date}T15:00:00Z`) + ts++).toISOString(), event: 'fill', symbol: x.symbol, side: 'buy', qty: x.qty, price, strategy: x.strategy, client_order_id: `c${ts}`, session_date: x.entry_date });
      await appendTrade(t.ctx.paths.logsDir, { ts: new Date(Date.parse(`${x.exit_date}T20:00:00Z`) + ts++).toISOString(), event: 'close', symbol: x.symbol, side: 'sell', qty: x.qty, price: x.exit_price, strategy: x.strategy, client_order_id: `c${ts}`, session_date: x.exit_date, entry_price: price, pnl: (x.exit_price - price) * x.qty });
    }
    await appendTrade(t.ctx.paths.logsDir, { ts: `${until}T15:00:00.000Z`, event: 'fill', symbol: 'XZZ9', side: 'buy', qty: 5, price: 20, strategy: 'manual', client_order_id: 'extra', session_date: until });

    const r = await runDrift(t.ctx, { since, until }).catch((e) => (e instanceof CheckFailed ? (e.result as Awaited<ReturnType<typeof runDrift>>) : Promise.reject(e)));
    expect(r.matched).toHaveLength(taken.length);
    expect(r.slippage_bps.median).toBeCloseTo(10, 5);
    const takenKeys = new Set(taken.map((x) => `${x.symbol}|${x.entry_date}`));
    const expectedMissed = bt.trades.filter((x) => x.entry_date >= since && !takenKeys.has(`${x.symbol}|${x.entry_date}`)).map((x) => `${x.symbol}|${x.entry_date}`);
    expect(expectedMissed).toContain(`${missed.symbol}|${missed.entry_date}`);
    expect(r.missed.map((m) => `${m.symbol}|${m.entry_date}`)).toEqual(expectedMissed);
    expect(r.extra.map((m) => m.symbol)).toEqual(['XZZ9']);
    // Per share, live P&L differs from the backtest's by the 10 bps paid on entry plus the backtest's fees.
    const livePer = taken.reduce((a, x) => a + (x.exit_price - x.entry_price * 1.001), 0);
    const btPer = taken.reduce((a, x) => a + x.pnl / x.qty, 0);
    expect(r.pnl.live).toBeCloseTo(livePer, 1);
    expect(r.pnl.backtest).toBeCloseTo(btPer, 1);
  }, 60_000);

  it('the divergence rule: beyond the threshold is breached, at it is not', () => {
    const trade = (pnl: number) => ({ symbol: 'A', strategy: 'ibs_rsi' as const, signal_date: '2025-01-02', entry_date: '2025-01-03', entry_price: 100, exit_date: '2025-01-06', exit_price: 110, qty: 1, pnl, return: 0.1, bars_held: 1, exit_reason: 'target' as const, stop: 90, target: 110, fees: 0, confidence: 1 });
    const live = (pnl: number) => liveTrades([
      { ts: '2025-01-03T15:00:00Z', event: 'fill', symbol: 'A', side: 'buy', qty: 1, price: 100, strategy: 'ibs_rsi', client_order_id: 'a', session_date: '2025-01-03' },
      { ts: '2025-01-06T20:00:00Z', event: 'close', symbol: 'A', side: 'sell', qty: 1, price: 100 + pnl, strategy: 'ibs_rsi', client_order_id: 'b', session_date: '2025-01-06', pnl },
    ], '2025-01-01', '2025-01-31');
    expect(compareWithBacktest(live(7.5), [trade(10)], '2025-01-01', '2025-01-31', 0.25)).toMatchObject({ breached: false, pnl: { divergence: 0.25 } });
    expect(compareWithBacktest(live(7.4), [trade(10)], '2025-01-01', '2025-01-31', 0.25)).toMatchObject({ breached: true });
  });
});
