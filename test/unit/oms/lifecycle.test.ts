// The order lifecycle on a broker that accepts now and fills later (the sim, which behaves like
// Alpaca): fills drive the ledger, the journal and the budgets, exactly once; protective stops rest
// at the broker; exits and closes retry with attempt numbers; unknown outcomes stay unknown.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { BrokerRejection } from '../../../src/core/broker/errors.js';
import { ConnectivityError } from '../../../src/core/errors.js';
import { applyOrderUpdate } from '../../../src/core/oms/apply.js';
import { exitPosition } from '../../../src/core/oms/exit.js';
import { ensureProtection } from '../../../src/core/oms/protect.js';
import { submitIntent, type SubmitDeps } from '../../../src/core/oms/submit.js';
import { syncOrders, waitFinal } from '../../../src/core/oms/sync.js';
import { reconcile } from '../../../src/core/reconcile/apply.js';
import { DailyBudgetFile, IdempotencyFile, PositionsFile } from '../../../src/core/state/schemas.js';
import { readTrades } from '../../../src/core/trade/journal.js';
import type { TestContext } from '../../helpers/context.js';
import { entry, simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const withPlan = (symbol: string, qty: number, limit: number, stop: number, target: number | null = null) => ({
  ...entry(symbol, qty, limit),
  plan: { stop, target, time_stop_bars: 7, signal_price: limit, signal_date: '2025-01-13' },
});

async function filledEntry(deps: SubmitDeps, symbol = 'AAPL', qty = 10, limit = 101, stop = 95, target: number | null = null): Promise<string> {
  const out = await submitIntent(deps, withPlan(symbol, qty, limit, stop, target));
  const [rec] = await waitFinal(deps, [out.client_order_id], 10_000);
  expect(rec.status).toBe('FILLED');
  return out.client_order_id;
}

function chainTypes(t: TestContext): string[] {
  return fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as { payload: { type: string } }).payload.type);
}

describe('order lifecycle (sim broker, accepted now and filled later)', () => {
  it('an entry is accepted with nothing filled; the fill, found by polling, books ledger, journal, budget and chain once', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const out = await submitIntent(deps, withPlan('AAPL', 10, 101, 95));
    expect(out).toMatchObject({ status: 'SUBMITTED', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1', filled_qty: 0 });
    const store = await t.ctx.state();
    expect(store.read(PositionsFile).positions).toEqual([]);
    expect(store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1010 });
    t.clock.advance(40_000);
    await syncOrders(deps);
    await syncOrders(deps);
    const rec = store.read(IdempotencyFile).orders[out.client_order_id];
    expect(rec).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    expect(rec.fills).toHaveLength(1);
    const [pos] = store.read(PositionsFile).positions;
    expect(pos).toMatchObject({ symbol: 'AAPL', qty: 10, strategy: 'ibs_rsi', stop: 95, time_stop_bars: 7, entry_date: '2025-01-14', client_order_id: out.client_order_id });
    expect(readTrades(t.ctx.paths.logsDir).trades.filter((x) => x.event === 'fill')).toHaveLength(1);
    // The budget is the filled notional now (not the limit's).
    expect(store.read(DailyBudgetFile).notional_used).toBeCloseTo(10 * rec.filled_avg_price!, 2);
    expect(chainTypes(t).filter((x) => x === 'order_filled')).toHaveLength(1);
  });

  it('the same update applied twice, and by two callers at once, changes nothing the second time', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const cid = await filledEntry(deps);
    const report = await deps.broker.getOrderByClientId(cid);
    await Promise.all([applyOrderUpdate(deps, report!, 'stream'), applyOrderUpdate(deps, report!, 'poll'), applyOrderUpdate(deps, report!, 'stream')]);
    const store = await t.ctx.state();
    expect(store.read(PositionsFile).positions[0].qty).toBe(10);
    expect(store.read(IdempotencyFile).orders[cid].fills).toHaveLength(1);
    expect(readTrades(t.ctx.paths.logsDir).trades).toHaveLength(1);
  });

  it('a crash after the fill was recorded and journaled but before the ledger: the next sync books the ledger, once', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const cid = await filledEntry(deps);
    const store = await t.ctx.state();
    // Rewind the ledger and the booked flag to the state a SIGKILL between the two writes leaves.
    await store.update(PositionsFile, (f) => ({ ...f, positions: [], applied_fills: [] }));
    await store.update(IdempotencyFile, (f) => {
      f.orders[cid].fills[0].booked = false;
      return f;
    });
    const r = await syncOrders(deps);
    expect(r.recovered).toBe(1);
    expect(store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    expect(readTrades(t.ctx.paths.logsDir).trades).toHaveLength(1);
    await syncOrders(deps);
    expect(store.read(PositionsFile).positions[0].qty).toBe(10);
  });

  it('a fill for more than was ordered is a named problem in the chain, never booked', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const cid = await filledEntry(deps);
    const report = (await deps.broker.getOrderByClientId(cid))!;
    const r = await applyOrderUpdate(deps, { ...report, filled_qty: 15 }, 'stream');
    expect(r?.problems.join(' ')).toMatch(/15 filled of 10 ordered/);
    expect(chainTypes(t)).toContain('order_update_problem');
    expect((await t.ctx.state()).read(PositionsFile).positions[0].qty).toBe(10);
  });

  it('an update for a kobe order the store does not know is an error with an audit record', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const cid = await filledEntry(deps);
    const report = (await deps.broker.getOrderByClientId(cid))!;
    const r = await applyOrderUpdate(deps, { ...report, id: 'other', client_order_id: 'kobe-20250114-ZZZ-buy-x-entry-a1' }, 'stream');
    expect(r?.problems[0]).toMatch(/no record in the idempotency store/);
    expect(chainTypes(t)).toContain('order_update_unknown');
  });

  it('after an entry fills a GTC stop rests at the broker for the filled quantity, recorded in the ledger; a halt keeps it', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await filledEntry(deps);
    fs.writeFileSync(t.ctx.paths.killSwitch, 'K1: daily loss');
    const [p] = await ensureProtection(deps);
    expect(p).toMatchObject({ symbol: 'AAPL', action: 'placed' });
    const open = await deps.broker.listOrders({ status: 'open' });
    expect(open).toHaveLength(1);
    expect(open[0]).toMatchObject({ symbol: 'AAPL', side: 'sell', type: 'stop', stop_price: 95, qty: 10, time_in_force: 'gtc' });
    const store = await t.ctx.state();
    expect(store.read(PositionsFile).positions[0].protective_client_order_id).toBe(p.client_order_id);
    expect((await ensureProtection(deps))[0].action).toBe('resting');
    expect(await deps.broker.listOrders({ status: 'open' })).toHaveLength(1);
  });

  it('a strategy with a target gets an OCO stop + target', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await filledEntry(deps, 'MSFT', 5, 201, 190, 215);
    await ensureProtection(deps);
    const [o] = await deps.broker.listOrders({ status: 'open' });
    expect(o).toMatchObject({ symbol: 'MSFT', side: 'sell', order_class: 'oco', qty: 5 });
    const prices = [o.limit_price, o.stop_price, ...o.legs.map((l) => l.limit_price ?? l.stop_price)].filter((x) => x !== null);
    expect(prices).toEqual(expect.arrayContaining([215, 190]));
  });

  it('a time exit cancels the protective stop, confirms it, then sells once; the journal gets the close with P&L', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await filledEntry(deps);
    await ensureProtection(deps);
    const r = await exitPosition(deps, 'AAPL', 'time', 'ibs_rsi', { waitMs: 10_000 });
    expect(r).toMatchObject({ status: 'FILLED', qty: 10, client_order_id: 'kobe-20250114-AAPL-sell-ibsrsi-time-a1' });
    const all = await deps.broker.listOrders({ status: 'all' });
    expect(all.filter((o) => o.side === 'sell' && o.type === 'market')).toHaveLength(1);
    expect(all.find((o) => o.type === 'stop')?.status).toBe('canceled');
    expect(await deps.broker.positions()).toEqual([]);
    const store = await t.ctx.state();
    expect(store.read(PositionsFile).positions).toEqual([]);
    const close = readTrades(t.ctx.paths.logsDir).trades.find((x) => x.event === 'close');
    expect(close).toMatchObject({ symbol: 'AAPL', qty: 10, reason: 'time', entry_price: expect.any(Number), pnl: expect.any(Number) });
    // Nothing left to protect: no stop is re-placed on a closed position.
    expect(await ensureProtection(deps)).toEqual([]);
  });

  it('an exit rejected at 10:00 is retried at 10:15 with the next attempt id; the stop is re-placed in between', async () => {
    t = await simWorld({ at: '2025-01-14T15:00:00Z' });
    const deps = await t.ctx.submitDeps();
    await filledEntry(deps);
    await ensureProtection(deps);
    let refuse = true;
    const picky: SubmitDeps = { ...deps, broker: Object.create(deps.broker, { submitOrder: { value: async (...a: Parameters<typeof deps.broker.submitOrder>) => { if (refuse && a[0].type === 'market') throw new BrokerRejection('exchange closed for the symbol', 403); return deps.broker.submitOrder(...a); } } }) };
    const first = await exitPosition(picky, 'AAPL', 'time', 'ibs_rsi', { waitMs: 10_000 });
    expect(first).toMatchObject({ status: 'REJECTED', client_order_id: 'kobe-20250114-AAPL-sell-ibsrsi-time-a1' });
    // Unprotected and unsold is never left standing: the stop rests again.
    expect((await ensureProtection(picky))[0].action).toBe('placed');
    refuse = false;
    t.clock.set('2025-01-14T15:15:00Z');
    const second = await exitPosition(picky, 'AAPL', 'time', 'ibs_rsi', { waitMs: 10_000 });
    expect(second).toMatchObject({ status: 'FILLED', client_order_id: 'kobe-20250114-AAPL-sell-ibsrsi-time-a2' });
    expect((await t.ctx.state()).read(PositionsFile).positions).toEqual([]);
  });

  it('a POST that times out and is not found stays UNKNOWN with its age (also through reconcile --fix), and resolves when the order appears', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    let hidden = true;
    const lossy: SubmitDeps = {
      ...deps,
      broker: Object.create(deps.broker, {
        submitOrder: { value: async (...a: Parameters<typeof deps.broker.submitOrder>) => { await deps.broker.submitOrder(...a); throw new ConnectivityError('timed out after 10000 ms'); } },
        getOrderByClientId: { value: async (cid: string) => (hidden ? null : deps.broker.getOrderByClientId(cid)) },
      }),
    };
    const out = await submitIntent(lossy, withPlan('AAPL', 10, 101, 95));
    expect(out.status).toBe('UNKNOWN');
    t.clock.advance(60_000);
    const s = await syncOrders(lossy);
    expect(s.unknown).toEqual([{ client_order_id: out.client_order_id, age_s: 60 }]);
    const rd = await t.ctx.reconcileDeps();
    const rep = await reconcile({ ...rd, broker: lossy.broker, oms: lossy }, { fix: true });
    expect(rep.fixed.find((f) => f.type === 'UNRESOLVED_ORDER')?.change).toMatch(/UNKNOWN/);
    const store = await t.ctx.state();
    expect(store.read(IdempotencyFile).orders[out.client_order_id].status).toBe('UNKNOWN');
    // Never re-sent: the same intent again reports the unknown one.
    expect(await submitIntent(lossy, withPlan('AAPL', 10, 101, 95))).toMatchObject({ status: 'UNKNOWN', reused: true });
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(1);
    hidden = false;
    await syncOrders(lossy);
    expect(store.read(IdempotencyFile).orders[out.client_order_id]).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    expect(store.read(PositionsFile).positions.map((p) => p.qty)).toEqual([10]);
  });

  it('a rejected entry releases its reservation; entries get one attempt per session', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const out = await submitIntent(deps, withPlan('ZZZZ', 10, 20, 18));
    expect(out.status).toBe('REJECTED');
    expect((await t.ctx.state()).read(DailyBudgetFile)).toMatchObject({ notional_used: 0, entries: 0 });
    expect(await submitIntent(deps, withPlan('ZZZZ', 10, 20, 18))).toMatchObject({ status: 'REJECTED', reused: true, attempt: 1 });
  });
});
