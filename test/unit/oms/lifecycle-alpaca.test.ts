// The order lifecycle against the fake Alpaca through the real SDK adapter (the broker kobe builds
// from config/base.yaml + .env): the POST is answered `accepted` and the fill comes later, by the
// trade_updates stream (followOrderStream, as the brain runs it) or by polling (syncOrders, as
// every command does). Each scenario checks the books: ledger, idempotency store, journal, budgets
// and the audit chain.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { runCloseAll, type CloseAllResult } from '../../../src/commands/close-all.js';
import { CheckFailed } from '../../../src/core/errors.js';
import { dailyUsage } from '../../../src/core/oms/budgets.js';
import { ensureProtection } from '../../../src/core/oms/protect.js';
import { followOrderStream } from '../../../src/core/oms/stream.js';
import { submitIntent, type SubmitDeps } from '../../../src/core/oms/submit.js';
import { syncOrders } from '../../../src/core/oms/sync.js';
import { DailyBudgetFile, IdempotencyFile, PositionsFile } from '../../../src/core/state/schemas.js';
import type { StateStore } from '../../../src/core/state/store.js';
import { readTrades } from '../../../src/core/trade/journal.js';
import { FakeAlpacaServer } from '../../fakes/alpaca-server.js';
import { stamp } from '../../fakes/alpaca/wire.js';
import { type TestContext } from '../../helpers/context.js';
import { VenueClock, alpacaHome } from '../../helpers/alpaca-home.js';
import { entry } from '../../helpers/sim.js';


let t: TestContext | undefined;
let server: FakeAlpacaServer | undefined;
let stream: { close(): Promise<void> | void; idle(): Promise<void> } | null = null;
afterEach(async () => {
  await stream?.close();
  stream = null;
  await server?.stop();
  server = undefined;
  t?.cleanup();
  t = undefined;
});

interface World {
  t: TestContext;
  clock: VenueClock;
  server: FakeAlpacaServer;
  deps: SubmitDeps;
  store: StateStore;
}

/** A kobe home whose config points broker alpaca at the fake; the fake's clock is kobe's clock. */
async function alpacaWorld(): Promise<World> {
  const h = await alpacaHome();
  t = h.t;
  server = h.server;
  const { clock } = h;
  const s = h.server;
  const deps = await t.ctx.submitDeps();
  expect(deps.broker.name).toBe('alpaca');
  return { t, clock, server: s, deps, store: await t.ctx.state() };
}

const withPlan = (symbol: string, qty: number, limit: number, stop: number | null) => ({
  ...entry(symbol, qty, limit),
  plan: { stop, target: null, time_stop_bars: 7, signal_price: limit, signal_date: '2025-01-13' },
});

function blocks(w: World): Array<Record<string, unknown> & { type: string }> {
  const text = fs.existsSync(w.t.ctx.paths.chain) ? fs.readFileSync(w.t.ctx.paths.chain, 'utf8').trim() : '';
  return text ? text.split('\n').map((l) => (JSON.parse(l) as { payload: Record<string, unknown> & { type: string } }).payload) : [];
}
const count = (w: World, type: string) => blocks(w).filter((b) => b.type === type).length;

/** A bounded wait on real time (the stream is asynchronous); no timing is asserted. */
async function until(what: string, ok: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function openStream(w: World, afterFills?: (r: unknown) => Promise<void>) {
  const s = await followOrderStream(w.deps, afterFills ? { afterFills } : {});
  expect(s).not.toBeNull();
  stream = s;
  await until('the stream listening', () => w.server.stream.listeners >= 1);
  return s!;
}

/** The brain's hook: rest protective stops after a fill. */
const brainHook = (w: World) => async (r: unknown) => void ((r as { status: string }).status !== 'UNKNOWN' && (await ensureProtection(w.deps)));

const ENTRY = 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1';
const PROTECT = 'kobe-20250114-AAPL-sell-ibsrsi-protect-a1';

describe('order lifecycle against the fake Alpaca (SDK adapter)', () => {
  it('1. accepted now, filled 40 s later: the stream alone books ledger, journal and budget; afterFills rests a GTC stop', async () => {
    const w = await alpacaWorld();
    const s = await openStream(w, brainHook(w));
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    expect(out).toMatchObject({ status: 'SUBMITTED', client_order_id: ENTRY, filled_qty: 0 });
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    expect(readTrades(w.t.ctx.paths.logsDir).trades).toEqual([]);
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1010 });
    const mark = w.server.requests.length;
    w.clock.advance(40_000); // the venue routes and fills it at 100; only the stream says so
    await until('the fill booked and the stop recorded', () => !!w.store.read(PositionsFile).positions[0]?.protective_client_order_id);
    await s.idle();
    // No polling: nothing asked the broker for an order by id or client id.
    const polls = w.server.requests.slice(mark).filter((r) => r.method === 'GET' && /^\/v2\/orders(\/|:by_client_order_id)/.test(r.path));
    expect(polls).toEqual([]);
    const rec = w.store.read(IdempotencyFile).orders[ENTRY];
    expect(rec).toMatchObject({ status: 'FILLED', filled_qty: 10, filled_avg_price: 100 });
    expect(rec.fills).toHaveLength(1);
    expect(w.store.read(PositionsFile).positions).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: 10, avg_price: 100, stop: 95, protective_client_order_id: PROTECT })]);
    expect(readTrades(w.t.ctx.paths.logsDir).trades).toEqual([expect.objectContaining({ event: 'fill', symbol: 'AAPL', qty: 10, price: 100, client_order_id: ENTRY })]);
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1000 });
    // The stop rests at the broker: GTC, for the filled quantity, at the plan's stop.
    const stops = w.server.orders.filter((o) => o.type === 'stop');
    expect(stops).toEqual([expect.objectContaining({ client_order_id: PROTECT, side: 'sell', qty: 10, stop_price: 95, time_in_force: 'gtc', status: 'accepted' })]);
    expect(w.store.read(IdempotencyFile).orders[PROTECT]).toMatchObject({ status: 'SUBMITTED', intent: expect.objectContaining({ kind: 'protect', qty: 10 }) });
    expect(count(w, 'order_filled')).toBe(1);
    expect(blocks(w).filter((b) => b.type === 'order_submitted').map((b) => b.client_order_id)).toEqual([ENTRY, PROTECT]);
  });

  it('2. stream down: syncOrders books the fill once; the same fill delivered again (twice) by the stream later changes nothing', async () => {
    const w = await alpacaWorld();
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    expect(out.status).toBe('SUBMITTED');
    w.clock.advance(40_000); // filled at the venue, nobody listening
    expect(w.server.orders[0]).toMatchObject({ status: 'filled', filled_qty: 10 });
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    const s1 = await syncOrders(w.deps);
    expect(s1.changed.map((c) => c.client_order_id)).toEqual([ENTRY]);
    expect((await syncOrders(w.deps)).changed).toEqual([]);
    const once = () => {
      expect(w.store.read(IdempotencyFile).orders[ENTRY]).toMatchObject({ status: 'FILLED', filled_qty: 10 });
      expect(w.store.read(IdempotencyFile).orders[ENTRY].fills).toHaveLength(1);
      expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
      expect(readTrades(w.t.ctx.paths.logsDir).trades.filter((x) => x.event === 'fill')).toHaveLength(1);
      expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1000 });
      expect(count(w, 'order_filled')).toBe(1);
    };
    once();
    // The stream comes up and the same fill arrives again, duplicated.
    const hooked: unknown[] = [];
    const s = await openStream(w, async (r) => void hooked.push(r));
    w.server.duplicateEvents(true);
    const o = w.server.orders[0];
    w.server.stream.broadcast({ event: 'fill', order: w.server.wire(o), timestamp: stamp(w.clock.now().getTime()), execution_id: 'exec-replayed', price: '100', qty: '10', position_qty: '10' });
    // A marker after it: the stream applies in arrival order, so once the marker is in the chain the replays were applied.
    w.server.stream.broadcast({ event: 'new', order: { ...w.server.wire(o), id: 'marker', client_order_id: 'kobe-20250114-ZZZZ-buy-ibsrsi-entry-a1', symbol: 'ZZZZ' }, timestamp: stamp(w.clock.now().getTime()) });
    await until('the marker applied', () => count(w, 'order_update_unknown') >= 1);
    await s.idle();
    once();
    expect(hooked).toEqual([]);
  });

  it('3. partial fill (4 of 10) then the rest expires: ledger 4, stop sized 4, budget holds only the 4 shares filled', async () => {
    const w = await alpacaWorld();
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    const id = out.broker_order_id!;
    w.server.fill(id, 4, 100.5);
    await syncOrders(w.deps);
    expect(w.store.read(IdempotencyFile).orders[ENTRY]).toMatchObject({ status: 'PARTIALLY_FILLED', filled_qty: 4 });
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 4]]);
    // While the order can still fill, its whole reservation is held.
    expect(w.store.read(DailyBudgetFile).notional_used).toBe(1010);
    expect((await ensureProtection(w.deps))[0]).toMatchObject({ action: 'placed', client_order_id: PROTECT });
    w.server.expire(id);
    const s = await syncOrders(w.deps);
    expect(s.changed.map((c) => [c.client_order_id, c.status])).toContainEqual([ENTRY, 'EXPIRED']);
    const rec = w.store.read(IdempotencyFile).orders[ENTRY];
    expect(rec).toMatchObject({ status: 'EXPIRED', filled_qty: 4, filled_avg_price: 100.5 });
    // The unfilled 6 are released: 4 x 100.5 = 402.
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 402 });
    expect(dailyUsage(w.store.read(IdempotencyFile).orders, '2025-01-14')).toEqual({ notional: 402, entries: 1 });
    expect(w.store.read(PositionsFile).positions).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: 4, avg_price: 100.5, protective_client_order_id: PROTECT })]);
    expect((await ensureProtection(w.deps))[0].action).toBe('resting');
    const stops = w.server.orders.filter((o) => o.type === 'stop' && o.status !== 'canceled');
    expect(stops).toEqual([expect.objectContaining({ qty: 4, stop_price: 95, time_in_force: 'gtc' })]);
    expect(readTrades(w.t.ctx.paths.logsDir).trades).toEqual([expect.objectContaining({ event: 'fill', qty: 4, price: 100.5 })]);
    expect(count(w, 'order_filled')).toBe(1);
    expect(count(w, 'order_expired')).toBe(1);
  });

  /** The stops at the fake that can still fill. */
  const liveStops = (w: World) => w.server.orders.filter((o) => o.type === 'stop' && !['canceled', 'replaced', 'filled', 'expired', 'rejected'].includes(o.status));

  it('3b. an IOC entry filled 4 then 6 at once: the stop placed after the 4 is resized to 10 once the venue has it, with no further call', async () => {
    const w = await alpacaWorld();
    const s = await openStream(w, brainHook(w));
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    w.server.fill(out.broker_order_id!, 4, 100.5);
    await until('the stop for 4', () => w.store.read(PositionsFile).positions[0]?.protective_client_order_id === PROTECT);
    await s.idle();
    expect(w.store.read(IdempotencyFile).orders[PROTECT].intent.qty).toBe(4);
    // The rest fills while the stop is still `accepted` (not at the exchange yet), as an IOC's fills do.
    w.server.fill(out.broker_order_id!, 6, 100);
    await until('the second fill booked', () => w.store.read(PositionsFile).positions[0]?.qty === 10);
    await s.idle();
    // The venue moves on (the stop goes live); the next polls and stream events are applied.
    for (let i = 0; i < 2; i++) {
      w.clock.advance(1_000);
      await syncOrders(w.deps);
      await s.idle();
    }
    expect(liveStops(w).map((o) => [o.client_order_id, o.qty])).toEqual([[w.store.read(PositionsFile).positions[0].protective_client_order_id, 10]]);
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1002 });
    expect(readTrades(w.t.ctx.paths.logsDir).trades.filter((x) => x.event === 'fill').map((x) => x.qty)).toEqual([4, 6]);
  });

  it('3c. partial fills resize the live stop (replace); the ledger names the new stop at once', async () => {
    const w = await alpacaWorld();
    const s = await openStream(w, brainHook(w));
    const out = await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    w.server.fill(out.broker_order_id!, 4, 100.5);
    await until('the stop for 4', () => w.store.read(PositionsFile).positions[0]?.protective_client_order_id === PROTECT);
    await s.idle();
    // One venue step: the stop goes live, then the IOC's remainder fills at 100.
    w.clock.advance(1_000);
    const A2 = 'kobe-20250114-AAPL-sell-ibsrsi-protect-a2';
    await until('the resize', () => w.store.read(IdempotencyFile).orders[A2] !== undefined && w.store.read(PositionsFile).positions[0]?.qty === 10);
    await s.idle();
    const ledgerAfterResize = w.store.read(PositionsFile).positions;
    w.clock.advance(1_000); // the venue completes the replace
    await until('the replace applied', () => w.store.read(IdempotencyFile).orders[PROTECT]?.status === 'REPLACED');
    await s.idle();
    await syncOrders(w.deps);
    expect(liveStops(w)).toEqual([expect.objectContaining({ client_order_id: A2, qty: 10, stop_price: 95, status: 'new' })]);
    expect(w.store.read(IdempotencyFile).orders[A2]).toMatchObject({ status: 'SUBMITTED', intent: expect.objectContaining({ qty: 10, kind: 'protect' }) });
    expect(w.store.read(DailyBudgetFile)).toMatchObject({ entries: 1, notional_used: 1002 });
    expect(count(w, 'order_filled')).toBe(2);
    // The replace request, and the old order's final status.
    expect(blocks(w).filter((b) => b.type === 'order_replace_requested').map((b) => [b.client_order_id, b.replaces])).toEqual([[A2, PROTECT]]);
    expect(blocks(w).filter((b) => b.type === 'order_replaced').map((b) => b.client_order_id)).toEqual([PROTECT]);
    // SPEC 5: the ledger records the stop that rests, right after the resize (not only after a later ensureProtection).
    expect(ledgerAfterResize).toEqual([expect.objectContaining({ symbol: 'AAPL', qty: 10, protective_client_order_id: A2 })]);
    expect((await ensureProtection(w.deps))[0]).toMatchObject({ action: 'resting', client_order_id: A2 });
  });

  it('7. close-all while a cancel is pending: that symbol WAITING, the other sold; a second close-all after the tick closes it', async () => {
    const w = await alpacaWorld();
    await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    await submitIntent(w.deps, withPlan('MSFT', 5, 201, null)); // no stop: nothing rests for MSFT
    w.clock.advance(1_000);
    await syncOrders(w.deps);
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10], ['MSFT', 5]]);
    expect((await ensureProtection(w.deps)).map((p) => [p.symbol, p.action])).toEqual([['AAPL', 'placed'], ['MSFT', 'skipped']]);
    w.server.tick(); // the stop goes live
    // The venue is slow to confirm cancels: close-all waits (bounded) and then reports it.
    w.server.stallCancels(true);
    const err = await runCloseAll(w.t.ctx, { yes: true }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).exitCode).toBe(5);
    expect((err as CheckFailed).message).toMatch(/AAPL \(WAITING/);
    const first = (err as CheckFailed).result as CloseAllResult;
    expect(first.closes.map((c) => [c.symbol, c.outcome])).toEqual([['AAPL', 'WAITING'], ['MSFT', 'FILLED']]);
    expect(w.server.positions.has('MSFT')).toBe(false);
    expect(w.server.positions.get('AAPL')?.qty).toBe(10);
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    w.server.stallCancels(false);
    w.server.tick();
    const second = await runCloseAll(w.t.ctx, { yes: true });
    expect(second.closes.map((c) => [c.symbol, c.outcome, c.client_order_id])).toEqual([['AAPL', 'FILLED', 'kobe-20250114-AAPL-sell-closeall-close-a1']]);
    expect(w.server.positions.size).toBe(0);
    expect(w.store.read(PositionsFile).positions).toEqual([]);
    expect(w.store.read(IdempotencyFile).orders[PROTECT].status).toBe('CANCELED');
    const closes = readTrades(w.t.ctx.paths.logsDir).trades.filter((x) => x.event === 'close');
    expect(closes.map((c) => [c.symbol, c.qty, (c as { reason?: string }).reason])).toEqual([['MSFT', 5, 'close'], ['AAPL', 10, 'close']]);
    // One sell per symbol ever reached the broker.
    expect(w.server.orders.filter((o) => o.side === 'sell' && o.type === 'market').map((o) => o.symbol)).toEqual(['MSFT', 'AAPL']);
    expect(blocks(w).some((b) => b.type === 'order_canceled' && b.client_order_id === PROTECT)).toBe(true);
  }, 60_000);

  it('8. bad input on the stream: an unknown kobe id, a fill larger than ordered, a sell fill larger than the ledger: named problems, audited, never negative', async () => {
    const w = await alpacaWorld();
    const s = await openStream(w, brainHook(w));
    await submitIntent(w.deps, withPlan('AAPL', 10, 101, 95));
    w.clock.advance(1_000);
    await until('the entry booked and protected', () => !!w.store.read(PositionsFile).positions[0]?.protective_client_order_id);
    await s.idle();
    // (a) an order with a kobe client id the store does not know fills at the broker.
    const stray = w.server.addOrder({ symbol: 'AAPL', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry-a7', side: 'buy', type: 'limit', qty: 1, limit_price: 101, status: 'new' });
    w.server.fill(stray.id, 1, 100);
    await until('order_update_unknown', () => count(w, 'order_update_unknown') === 1);
    expect(blocks(w).find((b) => b.type === 'order_update_unknown')).toMatchObject({ client_order_id: stray.client_order_id, broker_order_id: stray.id, source: 'stream' });
    // (b) the entry reported with 15 filled of 10 ordered.
    const e = w.server.orders.find((o) => o.client_order_id === ENTRY)!;
    w.server.stream.broadcast({ event: 'fill', order: { ...(w.server.wire(e) as Record<string, unknown>), filled_qty: '15' }, timestamp: stamp(w.clock.now().getTime()), execution_id: 'exec-bad', price: '100', qty: '5', position_qty: '15' });
    await until('the over-fill problem', () => blocks(w).some((b) => b.type === 'order_update_problem' && /15 filled of 10 ordered/.test(String(b.problem))));
    expect(w.store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    expect(w.store.read(IdempotencyFile).orders[ENTRY].filled_qty).toBe(10);
    // (c) the ledger holds 6 (drift), then the 10-share stop fills.
    await w.store.update(PositionsFile, (f) => ({ ...f, positions: f.positions.map((p) => ({ ...p, qty: 6 })) }));
    w.server.tick();
    w.server.setPrice('AAPL', 94);
    await until('the oversized sell problem', () => blocks(w).some((b) => b.type === 'order_update_problem' && /larger than the 6 the ledger holds/.test(String(b.problem))));
    await s.idle();
    expect(w.store.read(IdempotencyFile).orders[PROTECT]).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    const positions = w.store.read(PositionsFile).positions;
    expect(positions.every((p) => p.qty >= 0)).toBe(true);
    expect(positions.find((p) => p.symbol === 'AAPL')).toBeUndefined();
    expect(readTrades(w.t.ctx.paths.logsDir).trades.filter((x) => x.event === 'close')).toEqual([expect.objectContaining({ symbol: 'AAPL', reason: 'stop' })]);
    expect(count(w, 'order_filled')).toBe(2);
  });
});
