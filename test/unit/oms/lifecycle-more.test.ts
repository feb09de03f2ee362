// More of the order lifecycle on the sim broker (accepted now, filled later): partial fills with
// `sim.partial_fills`, a gap through a resting stop while the brain is down, a K1 halt that keeps
// the stop resting, and close-all run twice in a day (also after a rejected first attempt).
// Each scenario checks the books: ledger, idempotency store, journal, budgets and the audit chain.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { runCloseAll } from '../../../src/commands/close-all.js';
import { BrokerRejection } from '../../../src/core/broker/errors.js';
import { CheckFailed } from '../../../src/core/errors.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { dailyUsage } from '../../../src/core/oms/budgets.js';
import { ensureProtection } from '../../../src/core/oms/protect.js';
import { submitIntent, type SubmitDeps } from '../../../src/core/oms/submit.js';
import { syncOrders, waitFinal } from '../../../src/core/oms/sync.js';
import type { Broker } from '../../../src/core/ports/broker.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { DailyBudgetFile, IdempotencyFile, PositionsFile } from '../../../src/core/state/schemas.js';
import type { StateStore } from '../../../src/core/state/store.js';
import { seriesFromRows } from '../../../src/core/strategy/bars.js';
import { readTrades } from '../../../src/core/trade/journal.js';
import { testContext, type TestContext } from '../../helpers/context.js';
import { IN_WINDOW, entry } from '../../helpers/sim.js';

type Row = { date: string; open: number; high: number; low: number; close: number; volume: number };

let t: TestContext | undefined;
afterEach(() => {
  t?.cleanup();
  t = undefined;
});

/**
 * A sim world like helpers/sim.ts simWorld, plus extra sessions after 2025-01-14 per symbol (bars
 * the sim trades along when the clock reaches them) and config edits, both before the broker exists.
 */
async function world(o: { later?: Record<string, Row[]>; config?: (yaml: string) => string } = {}): Promise<{ t: TestContext; deps: SubmitDeps; store: StateStore }> {
  t = await testContext({ clock: new FakeClock(IN_WINDOW) });
  if (o.config) {
    const cfg = path.join(t.home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, o.config(fs.readFileSync(cfg, 'utf8')));
  }
  const days = sessionsBetween('2024-06-03', '2025-01-14');
  const bars = await t.ctx.bars();
  await bars.writeMany(
    Object.entries({ AAPL: 100, MSFT: 200, XOM: 50 }).map(([symbol, p]) => ({
      series: seriesFromRows(symbol, [...days.map((date, i) => ({ date, open: p, high: p * 1.01, low: p * 0.99, close: p + (i % 2 ? 0.1 : -0.1), volume: 1_000_000 })), ...(o.later?.[symbol] ?? [])]),
      meta: { source: 'synthetic' as const },
    })),
  );
  return { t, deps: await t.ctx.submitDeps(), store: await t.ctx.state() };
}

const withPlan = (symbol: string, qty: number, limit: number, stop: number | null) => ({
  ...entry(symbol, qty, limit),
  plan: { stop, target: null, time_stop_bars: 7, signal_price: limit, signal_date: '2025-01-13' },
});

async function held(deps: SubmitDeps, symbol: string, qty: number, limit: number, stop: number): Promise<string> {
  const out = await submitIntent(deps, withPlan(symbol, qty, limit, stop));
  const [rec] = await waitFinal(deps, [out.client_order_id], 10_000);
  expect(rec).toMatchObject({ status: 'FILLED', filled_qty: qty });
  return out.client_order_id;
}

function blocks(tc: TestContext): Array<Record<string, unknown> & { type: string }> {
  const text = fs.existsSync(tc.ctx.paths.chain) ? fs.readFileSync(tc.ctx.paths.chain, 'utf8').trim() : '';
  return text ? text.split('\n').map((l) => (JSON.parse(l) as { payload: Record<string, unknown> & { type: string } }).payload) : [];
}
const count = (tc: TestContext, type: string) => blocks(tc).filter((b) => b.type === type).length;
const closes = (tc: TestContext) => readTrades(tc.ctx.paths.logsDir).trades.filter((x) => x.event === 'close') as unknown as Array<Record<string, unknown>>;

const PROTECT = 'kobe-20250114-AAPL-sell-ibsrsi-protect-a1';
const sellSlip = (px: number) => Math.round(px * (1 - 5 / 10_000) * 10_000) / 10_000;

describe('order lifecycle, more scenarios (sim broker)', () => {
  it('3. sim.partial_fills: an IOC entry fills 5 of 10, the rest is canceled: ledger 5, stop sized 5, budget holds the 5 filled only', async () => {
    const w = await world({ config: (y) => y.replace('partial_fills: false', 'partial_fills: true') });
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    expect(out).toMatchObject({ status: 'SUBMITTED', filled_qty: 0 });
    const [rec] = await waitFinal(w.deps, [out.client_order_id], 10_000);
    expect(rec).toMatchObject({ status: 'CANCELED', filled_qty: 5 });
    const px = rec.filled_avg_price!;
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: Math.round(5 * px * 100) / 100 });
    expect(dailyUsage(w.store.read(IdempotencyFile).orders, '2025-01-14').notional).toBeCloseTo(5 * px, 2);
    expect(w.store.read(DailyBudgetFile).notional_used).toBeLessThan(600);
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 5]]);
    expect((await ensureProtection(w.deps))[0]).toMatchObject({ action: 'placed', client_order_id: PROTECT });
    const open = await w.deps.broker.listOrders({ status: 'open' });
    expect(open).toEqual([expect.objectContaining({ client_order_id: PROTECT, type: 'stop', qty: 5, stop_price: 95, time_in_force: 'gtc' })]);
    expect(readTrades(w.t.ctx.paths.logsDir).trades).toEqual([expect.objectContaining({ event: 'fill', qty: 5 })]);
    expect(count(w.t, 'order_filled')).toBe(1);
    expect(count(w.t, 'order_canceled')).toBe(1);
  });

  it('4. brain down over a gap through the stop: the next sync books the exit at the open (not the stop), journal reason stop with a loss, ledger empty', async () => {
    const w = await world({ later: { AAPL: [{ date: '2025-01-15', open: 90, high: 91, low: 88, close: 89, volume: 1_000_000 }] } });
    const cid = await held(w.deps, 'AAPL', 10, 101, 95);
    expect((await ensureProtection(w.deps))[0]).toMatchObject({ action: 'placed', client_order_id: PROTECT });
    const entryPx = w.store.read(IdempotencyFile).orders[cid].filled_avg_price!;
    // Nothing runs until the next morning, 10:00 ET: AAPL opened at 90, below the 95 stop.
    w.t.clock.set('2025-01-15T15:00:00Z');
    const s = await syncOrders(w.deps);
    expect(s.changed.map((c) => [c.client_order_id, c.status])).toEqual([[PROTECT, 'FILLED']]);
    const stop = w.store.read(IdempotencyFile).orders[PROTECT];
    expect(stop).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    expect(stop.filled_avg_price).toBeCloseTo(sellSlip(90), 4);
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    const [close] = closes(w.t);
    expect(close).toMatchObject({ symbol: 'AAPL', qty: 10, reason: 'stop', client_order_id: PROTECT });
    expect(close.price as number).toBeCloseTo(sellSlip(90), 4);
    expect(close.pnl as number).toBeCloseTo((sellSlip(90) - entryPx) * 10, 1);
    expect(close.pnl as number).toBeLessThan(-50);
    expect(await w.deps.broker.positions()).toEqual([]);
    expect(count(w.t, 'order_filled')).toBe(2);
    // A second sync (the next command) books nothing again.
    await syncOrders(w.deps);
    expect(closes(w.t)).toHaveLength(1);
  });

  it('5. K1 halts with a position open: the stop keeps resting (no cancel, no duplicate) and still fills and is booked', async () => {
    const w = await world({ later: { AAPL: [{ date: '2025-01-15', open: 99, high: 99.5, low: 90, close: 92, volume: 1_000_000 }] } });
    await held(w.deps, 'AAPL', 10, 101, 95);
    await ensureProtection(w.deps);
    const [resting] = await w.deps.broker.listOrders({ status: 'open' });
    expect(resting).toMatchObject({ client_order_id: PROTECT, type: 'stop' });
    fs.writeFileSync(w.t.ctx.paths.killSwitch, JSON.stringify({ reason: 'K1 daily loss 3.2% > 3% (equity $96,800.00)', activated_at: w.t.clock.now().toISOString(), activated_by: 'brain', mode: 'halt', trigger: 'K1' }));
    expect(w.deps.tradingState()).toMatchObject({ state: 'HALTED', record: { trigger: 'K1', mode: 'halt' } });
    expect((await ensureProtection(w.deps))[0]).toMatchObject({ action: 'resting', client_order_id: PROTECT });
    const open = await w.deps.broker.listOrders({ status: 'open' });
    expect(open.map((o) => o.id)).toEqual([resting.id]);
    expect((await w.deps.broker.listOrders({ status: 'all' })).filter((o) => o.type === 'stop')).toHaveLength(1);
    expect(count(w.t, 'order_canceled')).toBe(0);
    // New risk is refused meanwhile.
    expect((await submitIntent(w.deps, withPlan('MSFT', 5, 201, 190))).status).toBe('REFUSED');
    // Next afternoon AAPL trades down through 95: the stop fills at the broker and the sync books it.
    w.t.clock.set('2025-01-15T19:00:00Z');
    await syncOrders(w.deps);
    expect(w.store.read(IdempotencyFile).orders[PROTECT]).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    expect(w.store.read(IdempotencyFile).orders[PROTECT].filled_avg_price).toBeCloseTo(sellSlip(95), 4);
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    expect(closes(w.t)).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: 10, reason: 'stop' })]);
    expect(count(w.t, 'order_filled')).toBe(2);
    expect(fs.existsSync(w.t.ctx.paths.killSwitch)).toBe(true);
    expect(w.deps.tradingState().state).toBe('HALTED');
  });

  it('6. close-all twice in a day: the first closes everything, the second finds nothing, exits 0 and sends nothing', async () => {
    const w = await world();
    await held(w.deps, 'AAPL', 10, 101, 95);
    await held(w.deps, 'MSFT', 5, 201, 190);
    expect((await ensureProtection(w.deps)).map((p) => p.action)).toEqual(['placed', 'placed']);
    const protects = Object.values(w.store.read(IdempotencyFile).orders).filter((r) => r.intent.kind === 'protect').map((r) => r.client_order_id);
    const first = await runCloseAll(w.t.ctx, { yes: true });
    expect(first.canceled_orders).toBe(2);
    expect(first.closes.map((c) => [c.symbol, c.outcome, c.filled_qty, c.client_order_id])).toEqual([
      ['AAPL', 'FILLED', 10, 'kobe-20250114-AAPL-sell-closeall-close-a1'],
      ['MSFT', 'FILLED', 5, 'kobe-20250114-MSFT-sell-closeall-close-a1'],
    ]);
    const orders = w.store.read(IdempotencyFile).orders;
    for (const p of protects) expect(orders[p].status).toBe('CANCELED');
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    expect(await w.deps.broker.positions()).toEqual([]);
    expect(closes(w.t).map((c) => [c.symbol, c.qty, c.reason])).toEqual([['AAPL', 10, 'close'], ['MSFT', 5, 'close']]);
    for (const p of protects) expect(blocks(w.t).some((b) => b.type === 'order_canceled' && b.client_order_id === p)).toBe(true);
    const sent = (await w.deps.broker.listOrders({ status: 'all', limit: 500 })).length;
    const submitted = count(w.t, 'order_submitted');
    w.t.clock.advance(60_000);
    const second = await runCloseAll(w.t.ctx, { yes: true });
    expect(second).toEqual({ canceled_orders: 0, closes: [] });
    expect((await w.deps.broker.listOrders({ status: 'all', limit: 500 })).length).toBe(sent);
    expect(count(w.t, 'order_submitted')).toBe(submitted);
    expect(closes(w.t)).toHaveLength(2);
  });

  it('6b. close-all whose first sell was rejected: the second close-all the same day sends attempt -a2 and closes', async () => {
    const w = await world();
    await held(w.deps, 'AAPL', 10, 101, 95);
    await ensureProtection(w.deps);
    const real = await w.t.ctx.broker();
    let refuse = true;
    const picky: Broker = Object.create(real, {
      submitOrder: { value: async (...a: Parameters<Broker['submitOrder']>) => { if (refuse && a[0].type === 'market') { refuse = false; throw new BrokerRejection('exchange closed for the symbol', 403); } return real.submitOrder(...a); } },
    });
    w.t.ctx.broker = async () => picky;
    const err = await runCloseAll(w.t.ctx, { yes: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).exitCode).toBe(5);
    expect((err as CheckFailed).message).toMatch(/AAPL \(REJECTED: exchange closed/);
    expect(w.store.read(IdempotencyFile).orders['kobe-20250114-AAPL-sell-closeall-close-a1']).toMatchObject({ status: 'REJECTED', filled_qty: 0 });
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    expect(closes(w.t)).toEqual([]);
    expect(count(w.t, 'order_rejected')).toBe(1);
    w.t.clock.advance(5 * 60_000);
    const second = await runCloseAll(w.t.ctx, { yes: true });
    expect(second.closes).toEqual([expect.objectContaining({ symbol: 'AAPL', outcome: 'FILLED', filled_qty: 10, client_order_id: 'kobe-20250114-AAPL-sell-closeall-close-a2' })]);
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    expect(await real.positions()).toEqual([]);
    expect(closes(w.t)).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: 10, reason: 'close', client_order_id: 'kobe-20250114-AAPL-sell-closeall-close-a2' })]);
    expect((await real.listOrders({ status: 'all', limit: 500 })).filter((o) => o.type === 'market' && o.side === 'sell')).toHaveLength(1);
  });
});
