// Splits (SPEC sections 5 and 6) on the sim broker: after a split the broker holds the same
// position in other units. Reconcile reports one SPLIT_ADJUSTED (not a quantity and a price
// mismatch); --fix rescales qty, stop and target and replaces the resting stop; the exit manager
// then judges the quote against post-split levels (no false stop or target exit).
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { createContext, type KobeContext } from '../../../src/cli/context.js';
import { SimBookFile } from '../../../src/core/broker/sim/book.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { ensureProtection } from '../../../src/core/oms/protect.js';
import type { OrderReport } from '../../../src/core/ports/broker.js';
import { reconcile } from '../../../src/core/reconcile/apply.js';
import { findDiscrepancies } from '../../../src/core/reconcile/plan.js';
import { splitRatio } from '../../../src/core/reconcile/split.js';
import { IdempotencyFile, PositionsFile, type PositionEntry } from '../../../src/core/state/schemas.js';
import { seriesFromRows } from '../../../src/core/strategy/bars.js';
import { manageExits } from '../../../src/core/trade/exits.js';
import { MemoryStream, type TestContext } from '../../helpers/context.js';
import { simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const position = (qty: number, avg: number, extra: Partial<PositionEntry> = {}): PositionEntry => ({
  symbol: 'AAPL', qty, avg_price: avg, strategy: 'turtle_soup', entry_date: '2025-01-14', stop: 95, target: 110, time_stop_bars: 7, bars_held: 0,
  client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null, ...extra,
});

const openAapl = (os: OrderReport[]) => os.filter((o) => o.symbol === 'AAPL').map((o) => ({ qty: o.qty, target: o.limit_price, stop: o.stop_price ?? o.legs.find((l) => l.type === 'stop')?.stop_price }));

/**
 * AAPL 100 @ 100 with an OCO stop 95 / target 110 resting; overnight the broker splits it by
 * `ratio` (book: qty x r, avg / r; open orders cancelled, or adjusted as some brokers do) and the
 * provider's adjusted history (with the split in the index) replaces the bars. Returns a fresh
 * context so the sim prices from the adjusted bars.
 */
async function splitOvernight(ratio: number, orders: 'cancel' | 'adjust'): Promise<KobeContext> {
  t = await simWorld();
  const store = await t.ctx.state();
  await store.write(SimBookFile, { version: 2, created_at: '2025-01-14T14:00:00Z', starting_cash: 100_000, cash: 90_000, next_id: 1, positions: { AAPL: { qty: 100, avg_entry_price: 100 } }, orders: [] });
  await store.write(PositionsFile, { version: 1, updated_at: null, positions: [position(100, 100)], applied_fills: [] });
  expect((await ensureProtection(await t.ctx.submitDeps())).map((p) => p.action)).toEqual(['placed']);
  expect(openAapl(await (await t.ctx.broker()).listOrders({ status: 'open' }))).toEqual([{ qty: 100, target: 110, stop: 95 }]);

  t.clock.set('2025-01-15T15:30:00Z');
  await store.update(SimBookFile, (b) => {
    b.positions.AAPL = { qty: 100 * ratio, avg_entry_price: 100 / ratio };
    for (const o of b.orders.filter((x) => x.symbol === 'AAPL' && !['filled', 'canceled'].includes(x.status))) {
      if (orders === 'cancel') Object.assign(o, { status: 'canceled', canceled_at: '2025-01-15T09:00:00Z', updated_at: '2025-01-15T09:00:00Z' });
      else Object.assign(o, { qty: o.qty * ratio, stop_price: o.stop_price && o.stop_price / ratio, limit_price: o.limit_price && o.limit_price / ratio });
    }
    return b;
  });
  const p = 100 / ratio;
  await (await t.ctx.bars()).writeMany([{
    series: seriesFromRows('AAPL', sessionsBetween('2024-06-03', '2025-01-15').map((date) => ({ date, open: p, high: p * 1.01, low: p * 0.99, close: p, volume: 1_000_000 }))),
    meta: { source: 'synthetic', splits: [{ date: '2025-01-15', ratio }] },
  }]);
  return createContext({ home: t.home, json: false, clock: t.clock, env: { USER: 'tester' }, streams: { stdout: new MemoryStream(), stderr: new MemoryStream() } });
}

/** The exit manager with a fresh quote at `bid`. */
async function exitsAt(ctx: KobeContext, bid: number) {
  const { params } = await ctx.config();
  const quotes = { latestQuote: async (symbol: string) => ({ symbol, bid, ask: bid + 0.02, ts: t.clock.now().toISOString() }) };
  return manageExits({ submit: await ctx.submitDeps(), quotes, store: await ctx.state(), bars: await ctx.bars(), params, events: await ctx.events(), logsDir: ctx.paths.logsDir });
}

const sells = async (ctx: KobeContext) => (await (await ctx.broker()).listOrders({ status: 'all' })).filter((o) => o.side === 'sell' && o.type === 'market');

async function splitScenario(ratio: number, orders: 'cancel' | 'adjust', expected: { name: string; qty: number; avg: string; stop: number; target: number; bid: number }): Promise<void> {
  const ctx = await splitOvernight(ratio, orders);
  const store = await ctx.state();
  const rd = await ctx.reconcileDeps();
  const first = await reconcile(rd, { fix: false });
  expect(first.discrepancies).toEqual([{
    type: 'SPLIT_ADJUSTED', symbol: 'AAPL', severity: 'high', notional: 0,
    detail: `${expected.name} split: ledger 100 @ 100.00 -> broker ${expected.qty} @ ${expected.avg}; the data provider recorded a ${expected.name} split on 2025-01-15`,
    action: 'kobe reconcile --fix --yes rescales qty, stop, target and the resting stop; `kobe data prefetch --symbols AAPL` re-fetches its adjusted history (the evening refresh also does)',
  }]);
  expect(first.mismatch_notional).toBe(0);
  expect(first.clean).toBe(false);

  const fixed = await reconcile(rd, { fix: true });
  expect(fixed.remaining).toEqual([]);
  expect(fixed.clean).toBe(true);
  expect(fixed.fixed.map((f) => [f.type, f.ok])).toEqual([['SPLIT_ADJUSTED', true], ['NO_PROTECTIVE_STOP', true]]);
  const [pos] = store.read(PositionsFile).positions;
  expect(pos).toMatchObject({ symbol: 'AAPL', qty: expected.qty, stop: expected.stop, target: expected.target, strategy: 'turtle_soup', time_stop_bars: 7, entry_date: '2025-01-14' });
  expect(pos.avg_price).toBeCloseTo(100 / ratio, 6);
  // One resting protective order: the new size at the new levels, recorded in the ledger.
  expect(openAapl(await (await ctx.broker()).listOrders({ status: 'open' }))).toEqual([{ qty: expected.qty, target: expected.target, stop: expected.stop }]);
  expect(store.read(IdempotencyFile).orders[pos.protective_client_order_id!]).toMatchObject({ status: 'SUBMITTED', intent: { qty: expected.qty, stop_price: expected.stop, target_price: expected.target } });
  const chain = fs.readFileSync(ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { payload: Record<string, unknown> });
  expect(chain.filter((b) => b.payload.type === 'split_adjusted').map((b) => b.payload)).toEqual([expect.objectContaining({
    symbol: 'AAPL', split: expected.name, ratio,
    before: { qty: 100, avg_price: 100, stop: 95, target: 110 },
    after: { qty: expected.qty, avg_price: 100 / ratio, stop: expected.stop, target: expected.target },
  })]);

  const again = await reconcile(rd, { fix: true });
  expect(again).toMatchObject({ clean: true, discrepancies: [], fixed: [] });

  // With the stop resting the broker enforces it; with it gone (cancelled at the broker) the
  // exit manager judges the quote itself, against the post-split levels: no sale either way.
  expect((await exitsAt(ctx, expected.bid)).map((e) => [e.symbol, e.reason])).toEqual([['AAPL', null]]);
  await store.update(SimBookFile, (b) => {
    for (const o of b.orders.filter((x) => x.symbol === 'AAPL' && ['new', 'accepted', 'held'].includes(x.status))) Object.assign(o, { status: 'canceled', canceled_at: t.clock.now().toISOString() });
    return b;
  });
  const decisions = await exitsAt(ctx, expected.bid);
  expect(decisions.map((e) => [e.symbol, e.reason])).toEqual([['AAPL', null]]);
  expect(decisions[0].detail).not.toMatch(/stop and target not checked/);
  expect(await sells(ctx)).toEqual([]);
  expect(store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', expected.qty]]);
  // ...and the exit manager put the stop back at the post-split level.
  expect(openAapl(await (await ctx.broker()).listOrders({ status: 'open' }))).toEqual([{ qty: expected.qty, target: expected.target, stop: expected.stop }]);
}

describe('splits', () => {
  it('2:1: one SPLIT_ADJUSTED; --fix gives 200 @ 50 with stop 47.5, target 55 and a resting stop for 200; no exit at bid 52', async () => {
    await splitScenario(2, 'cancel', { name: '2:1', qty: 200, avg: '50.00', stop: 47.5, target: 55, bid: 52 });
  });

  it('1:2 reverse split, open orders adjusted by the broker: --fix replaces them; no false target exit at bid 208', async () => {
    await splitScenario(0.5, 'adjust', { name: '1:2', qty: 50, avg: '200.00', stop: 190, target: 220, bid: 208 });
  });

  it('recognises split shapes only: a plain quantity change stays QUANTITY_MISMATCH', () => {
    expect(splitRatio(100, 100, 200, 50)).toMatchObject({ to: 2, from: 1 });
    // 3:2 with cash in lieu of the half share.
    expect(splitRatio(101, 100, 151, 66.67)).toMatchObject({ to: 3, from: 2 });
    expect(splitRatio(100, 100, 10, 1000)).toMatchObject({ to: 1, from: 10 });
    expect(splitRatio(100, 100, 200, 100)).toBeNull();
    expect(splitRatio(12, 100, 10, 100.5)).toBeNull();
    expect(splitRatio(100, 100, 110, 90.91)).toBeNull();
    const ds = findDiscrepancies({
      brokerPositions: [{ symbol: 'AAPL', qty: 130, avg_entry_price: 100, current_price: 100 } as never],
      brokerOpenOrders: [], ledger: [position(100, 100)], store: {},
    });
    expect(ds.map((d) => d.type)).toEqual(['QUANTITY_MISMATCH', 'NO_PROTECTIVE_STOP']);
    // Without a split recorded by the provider the shape alone is enough.
    const split = findDiscrepancies({ brokerPositions: [{ symbol: 'AAPL', qty: 300, avg_entry_price: 33.34, current_price: 33 } as never], brokerOpenOrders: [], ledger: [position(100, 100)], store: {} });
    expect(split.map((d) => [d.type, d.detail])).toEqual([['SPLIT_ADJUSTED', '3:1 split: ledger 100 @ 100.00 -> broker 300 @ 33.34']]);
  });
});
