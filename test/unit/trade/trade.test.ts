import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { runTrade } from '../../../src/commands/trade.js';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { manageExits } from '../../../src/core/trade/exits.js';
import { readTrades } from '../../../src/core/trade/journal.js';
import { writeWatchlist } from '../../../src/core/trade/watchlist-file.js';
import { PositionsFile } from '../../../src/core/state/schemas.js';
import type { Signal } from '../../../src/core/strategy/features.js';
import type { TestContext } from '../../helpers/context.js';
import { simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const pick = (symbol: string, entry: number, stop: number, extra: Partial<Signal> = {}): Signal => ({
  date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: entry * 0.9, level: null, bars_since: null, sweep: null, ...extra,
});

async function watchlist(tc: TestContext, picks: Signal[]): Promise<void> {
  await writeWatchlist(tc.ctx.paths.logsDir, { version: 1, built_at: '2025-01-13T21:30:00Z', from_session: '2025-01-13', for_session: '2025-01-14', picks, validated: { at: '2025-01-14T13:00:00Z', results: picks.map((p) => ({ symbol: p.symbol, ok: true, reason: null, gap_pct: 0 })) } });
}

describe('kobe trade', () => {
  it('places the validated picks through the submit path, writes the ledger and the journal; a second run adds nothing', async () => {
    t = await simWorld();
    await watchlist(t, [pick('AAPL', 100, 96), pick('XOM', 50, 48)]);
    const r = await runTrade(t.ctx, { forceWindow: false, top: 3 });
    expect(r.source).toBe('watchlist');
    expect(r.outcomes.map((o) => [o.symbol, o.status])).toEqual([['AAPL', 'FILLED'], ['XOM', 'FILLED']]);
    // Sizing: equity 100k, risk 1% -> 1000 / (limit - stop), capped at 10% of equity / limit.
    const aapl = r.outcomes[0];
    expect(aapl.qty).toBe(Math.min(Math.floor(1000 / (aapl.limit! - 96)), Math.floor(10_000 / aapl.limit!)));
    const ledger = (await t.ctx.state()).read(PositionsFile).positions;
    expect(ledger.map((p) => [p.symbol, p.strategy, p.stop, p.time_stop_bars, p.entry_date])).toEqual([['AAPL', 'ibs_rsi', 96, 7, '2025-01-14'], ['XOM', 'ibs_rsi', 48, 7, '2025-01-14']]);
    expect(readTrades(t.ctx.paths.logsDir).trades.map((x) => [x.event, x.symbol, x.signal_price])).toEqual([['fill', 'AAPL', 100], ['fill', 'XOM', 50]]);
    // Each position got its protective stop at the broker, recorded in the ledger.
    expect(r.protection.map((p) => [p.symbol, p.action])).toEqual([['AAPL', 'placed'], ['XOM', 'placed']]);
    const stops = await (await t.ctx.broker()).listOrders({ status: 'open' });
    expect(stops.map((o) => [o.symbol, o.type, o.stop_price, o.time_in_force]).sort()).toEqual([['AAPL', 'stop', 96, 'gtc'], ['XOM', 'stop', 48, 'gtc']]);
    const again = await runTrade(t.ctx, { forceWindow: false, top: 3 });
    expect(again.outcomes.every((o) => o.status === 'FILLED' && o.reused)).toBe(true);
    expect(await (await t.ctx.broker()).listOrders({ status: 'all' })).toHaveLength(4);
    expect(readTrades(t.ctx.paths.logsDir).trades).toHaveLength(2);
  });

  it('refuses outside the windows (exit 6) unless --force-window in paper', async () => {
    t = await simWorld({ at: '2025-01-14T17:00:00Z' });
    await watchlist(t, [pick('AAPL', 100, 96)]);
    const err = await runTrade(t.ctx, { forceWindow: false, top: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(6);
    expect(await (await t.ctx.broker()).listOrders({ status: 'all' })).toHaveLength(0);
    const forced = await runTrade(t.ctx, { forceWindow: true, top: 3 });
    expect(forced.outcomes[0].status).toBe('FILLED');
  });

  it('refuses under the kill switch, touched by hand, and sends nothing', async () => {
    t = await simWorld();
    await watchlist(t, [pick('AAPL', 100, 96)]);
    fs.writeFileSync(t.ctx.paths.killSwitch, '');
    await expect(runTrade(t.ctx, { forceWindow: false, top: 3 })).rejects.toThrow(/kill switch on/);
    expect(await (await t.ctx.broker()).listOrders({ status: 'all' })).toHaveLength(0);
  });

  it('exits: the stop resting at the broker fills while kobe is down and is booked by the next run; the time stop fires on its bar count', async () => {
    t = await simWorld({ at: '2025-01-13T15:30:00Z' });
    await watchlist(t, []);
    const deps = await t.ctx.tradeDeps();
    // Enter AAPL and XOM on 2025-01-13 by hand through the submit path via the cycle's watchlist.
    await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: 'x', from_session: '2025-01-10', for_session: '2025-01-13', picks: [pick('AAPL', 100, 99.5), pick('XOM', 50, 40, { time_stop_bars: 1 })], validated: { at: 'x', results: [{ symbol: 'AAPL', ok: true, reason: null, gap_pct: 0 }, { symbol: 'XOM', ok: true, reason: null, gap_pct: 0 }] } });
    const r = await runTrade(t.ctx, { forceWindow: false, top: 3 });
    expect(r.outcomes.map((o) => o.status)).toEqual(['FILLED', 'FILLED']);
    // The rest of 2025-01-13 traded down to 99, through AAPL's stop 99.5, while nothing of kobe ran:
    // the stop resting at the broker filled, and the next run books it. XOM has held no completed bar yet.
    t.clock.set('2025-01-14T14:45:00Z');
    expect((await manageExits(deps)).map((e) => [e.symbol, e.reason])).toEqual([['XOM', null]]);
    expect((await t.ctx.state()).read(PositionsFile).positions.map((p) => p.symbol)).toEqual(['XOM']);
    t.clock.set('2025-01-15T15:30:00Z');
    const exits = await manageExits(deps);
    expect(exits.map((e) => [e.symbol, e.reason, e.caught_up, e.status])).toEqual([['XOM', 'time', false, 'FILLED']]);
    expect((await t.ctx.state()).read(PositionsFile).positions).toEqual([]);
    const closes = readTrades(t.ctx.paths.logsDir).trades.filter((x) => x.event === 'close');
    expect(closes.map((c) => [c.symbol, c.reason])).toEqual([['AAPL', 'stop'], ['XOM', 'time']]);
    expect(closes[0].price).toBeLessThanOrEqual(99.5);
    expect(await manageExits(deps)).toEqual([]);
  });
});

describe('exits on a book that disagrees with the broker', () => {
  it('sells nothing on ledger levels whose quantity the broker does not confirm (a split, a missed fill): reconcile first', async () => {
    const { submitIntent } = await import('../../../src/core/oms/submit.js');
    const { waitFinal } = await import('../../../src/core/oms/sync.js');
    const { entry } = await import('../../helpers/sim.js');
    t = await simWorld();
    const deps = await t.ctx.tradeDeps();
    const e = await submitIntent(deps.submit, { ...entry('AAPL', 10, 101), plan: { stop: 150, target: null, time_stop_bars: 7, signal_price: 100, signal_date: '2025-01-13' } });
    await waitFinal(deps.submit, [e.client_order_id], 10_000);
    // The ledger says 20 (as after a 2:1 split the broker has not shown yet); its stop 150 is far above the market.
    await (await t.ctx.state()).update(PositionsFile, (f) => ({ ...f, positions: f.positions.map((p) => ({ ...p, qty: 20 })) }));
    const [d] = await manageExits(deps);
    expect(d).toMatchObject({ symbol: 'AAPL', reason: null });
    expect(d.detail).toMatch(/the broker holds 10, the ledger 20: no exit until `kobe reconcile --fix --yes`/);
    expect((await deps.submit.broker.listOrders({ status: 'all' })).filter((o) => o.side === 'sell')).toEqual([]);
  });
});
