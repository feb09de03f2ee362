import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { submitIntent } from '../../../src/core/oms/submit.js';
import { waitFinal } from '../../../src/core/oms/sync.js';
import { IdempotencyFile, RiskVetoesFile, DailyBudgetFile } from '../../../src/core/state/schemas.js';
import { SafetyRefusal } from '../../../src/core/errors.js';
import type { TestContext } from '../../helpers/context.js';
import { entry, exit, simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

describe('submit path against the sim broker', () => {
  it('an entry passes the gate, is stored PENDING, accepted (SUBMITTED), then FILLED, and is in the chain', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const out = await submitIntent(deps, entry('AAPL', 10, 101));
    expect(out).toMatchObject({ status: 'SUBMITTED', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1', reused: false, filled_qty: 0 });
    // The budget is reserved with the PENDING record, before anything is filled.
    expect((await t.ctx.state()).read(DailyBudgetFile)).toMatchObject({ date: '2025-01-14', entries: 1, notional_used: 1010 });
    await waitFinal(deps, [out.client_order_id], 10_000);
    const rec = (await t.ctx.state()).read(IdempotencyFile).orders[out.client_order_id];
    expect(rec).toMatchObject({ status: 'FILLED', broker_order_id: out.broker_order_id, attempts: 1, attempt: 1 });
    expect((await deps.broker.positions()).map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8');
    expect(chain).toContain('"type":"order_submitted"');
    expect(chain).toContain('"type":"order_filled"');
  });

  it('the same intent 100 times: one broker order, the rest report the first', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const outs = [];
    for (let i = 0; i < 100; i++) outs.push(await submitIntent(deps, entry('AAPL', 10, 101)));
    expect(outs.filter((o) => !o.reused)).toHaveLength(1);
    expect(new Set(outs.map((o) => o.broker_order_id)).size).toBe(1);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(1);
  });

  it('a crash between PENDING and the response: the next run finds the order by client id', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    // The broker took the order but the process died before recording the answer.
    const crashing = { ...deps, broker: Object.create(deps.broker, { submitOrder: { value: async (...a: Parameters<typeof deps.broker.submitOrder>) => { await deps.broker.submitOrder(...a); throw new Error('process killed'); } } }) };
    await expect(submitIntent(crashing, entry('AAPL', 10, 101))).resolves.toMatchObject({ status: 'SUBMITTED' });
    const again = await submitIntent(deps, entry('AAPL', 10, 101));
    expect(again).toMatchObject({ status: 'SUBMITTED', reused: true });
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(1);
  });

  it('a PENDING record left by a dead process is resolved before anything is sent', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const first = await submitIntent(deps, entry('MSFT', 5, 201));
    await (await t.ctx.state()).update(IdempotencyFile, (f) => {
      f.orders[first.client_order_id].status = 'PENDING';
      f.orders[first.client_order_id].broker_order_id = null;
      return f;
    });
    const again = await submitIntent(deps, entry('MSFT', 5, 201));
    expect(again).toMatchObject({ reused: true, broker_order_id: first.broker_order_id });
    expect(['SUBMITTED', 'FILLED']).toContain(again.status);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(1);
  });

  it('kill switch touched: the next submit is refused, cancels still go through', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await submitIntent(deps, { ...entry('XOM', 10, 40), time_in_force: 'day' });
    fs.writeFileSync(t.ctx.paths.killSwitch, '');
    const refused = await submitIntent(deps, entry('AAPL', 10, 101));
    expect(refused).toMatchObject({ status: 'REFUSED', veto: 'trading_state' });
    const open = await deps.broker.listOrders({ status: 'open' });
    expect(open).toHaveLength(1);
    await deps.broker.cancelOrder(open[0].id);
    expect(await deps.broker.listOrders({ status: 'open' })).toHaveLength(0);
    expect((await t.ctx.state()).read(RiskVetoesFile).today.trading_state).toBe(1);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(1);
  });

  it('REDUCING lets a closing sell through and refuses a buy', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await waitFinal(deps, [(await submitIntent(deps, entry('AAPL', 10, 101))).client_order_id], 10_000);
    fs.writeFileSync(t.ctx.paths.killSwitch, JSON.stringify({ reason: 'trim', mode: 'reduce' }));
    expect(await submitIntent(deps, entry('MSFT', 5, 201))).toMatchObject({ status: 'VETOED', veto: 'trading_state' });
    const sell = await submitIntent(deps, exit('AAPL', 10, 99));
    expect(sell).toMatchObject({ status: 'SUBMITTED' });
    expect((await waitFinal(deps, [sell.client_order_id], 10_000))[0].status).toBe('FILLED');
    expect(await deps.broker.positions()).toEqual([]);
  });

  it('risk vetoes are named and counted; nothing reaches the broker', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    expect(await submitIntent(deps, entry('AAPL', 0, 101))).toMatchObject({ status: 'VETOED', veto: 'invalid_price_qty' });
    expect(await submitIntent(deps, entry('AAPL', 200, 101))).toMatchObject({ status: 'VETOED', veto: 'order_notional' });
    expect(await submitIntent(deps, exit('MSFT', 1, 199))).toMatchObject({ status: 'VETOED', veto: 'shorts_disabled' });
    t.clock.set('2025-01-14T17:00:00Z');
    expect(await submitIntent(deps, entry('AAPL', 10, 101))).toMatchObject({ status: 'VETOED', veto: 'trading_window' });
    const counts = (await t.ctx.state()).read(RiskVetoesFile).today;
    expect(counts).toEqual({ invalid_price_qty: 1, order_notional: 1, shorts_disabled: 1, trading_window: 1 });
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
  });

  it('a broker rejection is stored REJECTED with the reason', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const out = await submitIntent(deps, entry('ZZZZ', 10, 20));
    expect(out.status).toBe('REJECTED');
    expect((await t.ctx.state()).read(IdempotencyFile).orders[out.client_order_id]).toMatchObject({ status: 'REJECTED', reason: expect.stringContaining('not found') });
  });

  it('live mode with any gate missing is refused (exit 6), recorded in the chain and events, nothing sent', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const live = { ...deps, config: { ...deps.config, trading: { ...deps.config.trading, mode: 'live' as const } } };
    const missing = ['env_live_enabled', 'live_approval'] as const;
    const err = await submitIntent({ ...live, missingLiveGates: async () => [...missing] }, entry('AAPL', 10, 101)).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(6);
    expect(err.details.missing_gates).toEqual([...missing]);
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8')).toMatch(/"missing_gates":\["env_live_enabled","live_approval"\].*"type":"live_trading_attempted"/);
    expect(fs.readFileSync(t.ctx.paths.events, 'utf8')).toContain('"event":"live_trading_attempted"');
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
    // With every gate present the same order is sent.
    expect(await submitIntent({ ...live, missingLiveGates: async () => [] }, entry('AAPL', 10, 101))).toMatchObject({ status: 'SUBMITTED' });
  });

  it('paper mode with a broker resolving to the live host refuses', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const liveHostBroker = Object.create(deps.broker, { host: { value: 'https://api.alpaca.markets' } });
    const err = await submitIntent({ ...deps, broker: liveHostBroker }, entry('AAPL', 10, 101)).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.message).toMatch(/paper mode but the broker resolves to the live host/);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
  });

  it('the kill switch is read again after waiting for the per-intent lock: turned on during the wait, nothing is sent', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const { withLock } = await import('../../../src/core/state/lock.js');
    const path = await import('node:path');
    fs.mkdirSync(deps.locksDir, { recursive: true });
    let release!: () => void;
    let held!: () => void;
    const heldP = new Promise<void>((r) => (held = r));
    const holder = withLock(path.join(deps.locksDir, 'kobe-20250114-AAPL-buy-ibsrsi-entry'), () => new Promise<void>((r) => { release = r; held(); }));
    await heldP;
    const waiting = submitIntent(deps, entry('AAPL', 10, 101));
    await new Promise((r) => setTimeout(r, 150));
    fs.writeFileSync(t.ctx.paths.killSwitch, 'operator: stop');
    release();
    await holder;
    expect(await waiting).toMatchObject({ status: 'REFUSED', veto: 'trading_state' });
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
  });

  it.each([
    ['weekly_budget.json', '{"version":1,"week_start":"2025-01-13","new_exposure":"lots","entries_by_day":{}}'],
    ['risk_vetoes.json', 'not json'],
    ['positions.json', '{"version":1}'],
  ])('a corrupt %s stops the order before anything is sent (exit 3, file untouched)', async (file, text) => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    fs.writeFileSync(t.ctx.paths.state(file), text);
    const err = await submitIntent(deps, entry('AAPL', 10, 101)).catch((e) => e);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(file);
    expect(fs.readFileSync(t.ctx.paths.state(file), 'utf8')).toBe(text);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
    expect(Object.keys((await t.ctx.state()).read(IdempotencyFile).orders)).toEqual([]);
  });

  it('a damaged end of the audit chain stops the order before anything is sent', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    await (await t.ctx.audit()).append('note', {});
    fs.appendFileSync(t.ctx.paths.chain, '{"payload":{"type":"forged"},"prev_hash":null,"this_hash":"00"}\n');
    const err = await submitIntent(deps, entry('AAPL', 10, 101)).catch((e) => e);
    expect(err.exitCode).toBe(3);
    expect(await deps.broker.listOrders({ status: 'all' })).toHaveLength(0);
  });
});

describe('state restore never rolls back today', () => {
  it('after backup, entries, halt, restore and kill off: today orders are still there and the cap still holds', async () => {
    t = await simWorld();
    const { runStateBackup, runStateRestore } = await import('../../../src/commands/state/backup.js');
    const snap = await runStateBackup(t.ctx, { list: false });
    const deps = await t.ctx.submitDeps();
    for (const [s, q, l] of [['AAPL', 10, 101], ['MSFT', 5, 201]] as const) await waitFinal(deps, [(await submitIntent(deps, entry(s, q, l))).client_order_id], 10_000);
    fs.writeFileSync(t.ctx.paths.killSwitch, 'restoring');
    await runStateRestore(t.ctx, { stamp: snap.stamp!, yes: true });
    fs.rmSync(t.ctx.paths.killSwitch);
    const store = await t.ctx.state();
    expect(Object.keys(store.read(IdempotencyFile).orders)).toHaveLength(2);
    expect(store.read(DailyBudgetFile)).toMatchObject({ date: '2025-01-14', entries: 2 });
    // Two entries a day: the third is still vetoed after the restore.
    expect(await submitIntent(deps, entry('XOM', 10, 51))).toMatchObject({ status: 'VETOED', veto: 'entries_per_day' });
    // The sim broker's own books are not rolled back either.
    expect((await deps.broker.positions()).map((p) => p.symbol)).toEqual(['AAPL', 'MSFT']);
  });
});

describe('a reply that does not match its request', () => {
  it('is a broker error: the intent stays unknown and is looked up by its own client id, never booked from the other order', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    const liar = { ...deps, broker: Object.create(deps.broker, { submitOrder: { value: async (...a: Parameters<typeof deps.broker.submitOrder>) => ({ ...(await deps.broker.submitOrder(...a)), symbol: 'MSFT' }) } }) };
    const out = await submitIntent(liar, entry('AAPL', 10, 101));
    // The lookup by client id finds the real AAPL order: it is followed, the lie is recorded.
    expect(out).toMatchObject({ client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1' });
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8')).toContain('"type":"order_reply_mismatch"');
    const rec = (await t.ctx.state()).read(IdempotencyFile).orders[out.client_order_id];
    expect(rec.intent.symbol).toBe('AAPL');
    expect(['SUBMITTED', 'FILLED']).toContain(rec.status);
  });
});
