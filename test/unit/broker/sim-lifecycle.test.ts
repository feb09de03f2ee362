// The sim broker answers like Alpaca: accepted now, filled later, as its clock moves.
import { afterEach, describe, expect, it } from '@jest/globals';
import { BrokerRejection, DuplicateClientOrderId } from '../../../src/core/broker/errors.js';
import { PERMIT, req, simWorld, type SimWorld } from './sim-world.js';

let w: SimWorld;
afterEach(() => w.cleanup());

describe('SimBroker order lifecycle', () => {
  it('answers the POST with accepted and nothing filled, and fills at the ask plus slippage once the delay has passed', async () => {
    w = await simWorld();
    const o = await w.broker.submitOrder(req('c-1'), PERMIT);
    expect(o).toMatchObject({ status: 'accepted', filled_qty: 0, filled_avg_price: null, qty: 10, notional: null, trail_price: null, trail_percent: null, replaces: null, replaced_by: null, legs: [] });
    w.wait(249);
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'accepted', filled_qty: 0 });
    expect(await w.broker.positions()).toEqual([]);
    w.wait(1);
    // mid 100, ask 100.02 (2 bps), plus 5 bps slippage
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'filled', filled_qty: 10, filled_avg_price: 100.07, filled_at: '2025-01-14T16:00:00.250Z' });
    expect((await w.broker.positions()).map((p) => [p.symbol, p.qty, p.avg_entry_price])).toEqual([['AAPL', 10, 100.07]]);
    expect((await w.broker.account()).cash).toBeCloseTo(100_000 - 1000.7, 4);
  });

  it('IOC: a non-marketable order is canceled at its live instant, a marketable one with partial fills keeps half and cancels the rest', async () => {
    w = await simWorld({ settings: { partial_fills: true } });
    const far = await w.broker.submitOrder(req('c-far', { limit_price: 99 }), PERMIT);
    const near = await w.broker.submitOrder(req('c-near'), PERMIT);
    expect(near.status).toBe('accepted');
    w.wait(300);
    expect(await w.broker.getOrder(far.id)).toMatchObject({ status: 'canceled', filled_qty: 0, canceled_at: '2025-01-14T16:00:00.250Z' });
    expect(await w.broker.getOrder(near.id)).toMatchObject({ status: 'canceled', filled_qty: 5 });
    expect((await w.broker.positions())[0]?.qty).toBe(5);
  });

  it('FOK is all or nothing, even with partial fills on', async () => {
    w = await simWorld({ settings: { partial_fills: true } });
    const all = await w.broker.submitOrder(req('c-fok-1', { time_in_force: 'fok' }), PERMIT);
    const none = await w.broker.submitOrder(req('c-fok-2', { time_in_force: 'fok', limit_price: 99.9 }), PERMIT);
    w.wait(300);
    expect(await w.broker.getOrder(all.id)).toMatchObject({ status: 'filled', filled_qty: 10 });
    expect(await w.broker.getOrder(none.id)).toMatchObject({ status: 'canceled', filled_qty: 0 });
  });

  it('a DAY market order placed after the close waits and fills at the next open, gap included; an IOC then is canceled', async () => {
    w = await simWorld({ start: '2025-01-14T22:00:00Z', days: { '2025-01-15': [105, 106, 104, 105.5] } });
    const day = await w.broker.submitOrder(req('c-day', { type: 'market', time_in_force: 'day', limit_price: null }), PERMIT);
    const ioc = await w.broker.submitOrder(req('c-ioc'), PERMIT);
    w.wait(1000);
    expect(await w.broker.getOrder(day.id)).toMatchObject({ status: 'new', filled_qty: 0 });
    expect(await w.broker.getOrder(ioc.id)).toMatchObject({ status: 'canceled', filled_qty: 0 });
    w.clock.set('2025-01-15T14:29:59Z');
    expect((await w.broker.getOrder(day.id))?.status).toBe('new');
    w.clock.set('2025-01-15T14:30:01Z');
    expect(await w.broker.getOrder(day.id)).toMatchObject({ status: 'filled', filled_qty: 10, filled_avg_price: 105.0525, filled_at: '2025-01-15T14:30:00.000Z' });
  });

  it('a DAY order still open at the close expires; a GTC order rests on and keeps its buying power', async () => {
    w = await simWorld();
    const day = await w.broker.submitOrder(req('c-d', { time_in_force: 'day', limit_price: 50 }), PERMIT);
    const gtc = await w.broker.submitOrder(req('c-g', { time_in_force: 'gtc', limit_price: 50 }), PERMIT);
    w.clock.set('2025-01-14T20:59:59Z');
    expect((await w.broker.getOrder(day.id))?.status).toBe('new');
    w.clock.set('2025-01-14T21:00:00Z');
    expect(await w.broker.getOrder(day.id)).toMatchObject({ status: 'expired', updated_at: '2025-01-14T21:00:00.000Z' });
    w.clock.set('2025-01-16T18:00:00Z');
    expect((await w.broker.getOrder(gtc.id))?.status).toBe('new');
    expect((await w.broker.account()).buying_power).toBe(100_000 - 500);
    expect((await w.broker.listOrders({ status: 'open' })).map((o) => o.id)).toEqual([gtc.id]);
  });

  it('reject_symbols: the POST accepts, the order is rejected when it goes live', async () => {
    w = await simWorld({ symbols: ['AAPL', 'MSFT'], settings: { reject_symbols: ['AAPL'] } });
    const bad = await w.broker.submitOrder(req('c-bad'), PERMIT);
    const good = await w.broker.submitOrder(req('c-good', { symbol: 'MSFT' }), PERMIT);
    expect(bad.status).toBe('accepted');
    w.wait(250);
    expect(await w.broker.getOrder(bad.id)).toMatchObject({ status: 'rejected', filled_qty: 0 });
    expect((await w.broker.getOrder(good.id))?.status).toBe('filled');
    expect((await w.broker.positions()).map((p) => p.symbol)).toEqual(['MSFT']);
  });

  it('partial fills: a DAY order fills half at its live instant and the rest no sooner than one delay later', async () => {
    w = await simWorld({ settings: { partial_fills: true } });
    const o = await w.broker.submitOrder(req('c-p', { time_in_force: 'day', qty: 9 }), PERMIT);
    w.wait(250);
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'partially_filled', filled_qty: 5 });
    w.wait(249);
    expect((await w.broker.getOrder(o.id))?.filled_qty).toBe(5);
    w.wait(1);
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'filled', filled_qty: 9, filled_at: '2025-01-14T16:00:00.500Z' });
    expect((await w.broker.positions())[0]?.qty).toBe(9);
  });

  it('a client id stays taken after its order is canceled (422)', async () => {
    w = await simWorld();
    const o = await w.broker.submitOrder(req('c-dup', { time_in_force: 'day', limit_price: 50 }), PERMIT);
    await w.broker.cancelOrder(o.id);
    expect((await w.broker.getOrder(o.id))?.status).toBe('canceled');
    const err = await w.broker.submitOrder(req('c-dup', { time_in_force: 'day', limit_price: 50 }), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DuplicateClientOrderId);
    expect((err as DuplicateClientOrderId).status).toBe(422);
  });

  it('a cancel that finds the order already filled by the catch-up is refused with 422', async () => {
    w = await simWorld();
    const o = await w.broker.submitOrder(req('c-race', { time_in_force: 'day' }), PERMIT);
    w.wait(1000);
    const err = await w.broker.cancelOrder(o.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejection);
    expect((err as BrokerRejection).status).toBe(422);
    expect((await w.broker.getOrder(o.id))?.status).toBe('filled');
  });

  it('validation errors still throw at the POST: bad qty, unknown symbol, buying power', async () => {
    w = await simWorld();
    await expect(w.broker.submitOrder(req('v-1', { qty: 1.5 }), PERMIT)).rejects.toMatchObject({ status: 422 });
    await expect(w.broker.submitOrder(req('v-2', { symbol: 'NOPE' }), PERMIT)).rejects.toMatchObject({ status: 422 });
    await expect(w.broker.submitOrder(req('v-3', { qty: 2000 }), PERMIT)).rejects.toMatchObject({ status: 403 });
    expect(await w.broker.listOrders({ status: 'all' })).toEqual([]);
  });
});

describe('SimBroker cancels like Alpaca', () => {
  it('a live order is pending_cancel for a fill delay and can still fill meanwhile; a not-yet-live one is canceled at once', async () => {
    const { simWorld: world } = await import('./sim-world.js');
    const w = await world({});
    try {
      const PERMIT = {} as Parameters<typeof w.broker.submitOrder>[1];
      const early = await w.broker.submitOrder({ client_order_id: 'c-early', symbol: 'AAPL', side: 'buy', qty: 1, type: 'limit', time_in_force: 'day', limit_price: 50 }, PERMIT);
      await w.broker.cancelOrder(early.id);
      expect((await w.broker.getOrder(early.id))?.status).toBe('canceled');
      const rest = await w.broker.submitOrder({ client_order_id: 'c-rest', symbol: 'AAPL', side: 'buy', qty: 1, type: 'limit', time_in_force: 'day', limit_price: 50 }, PERMIT);
      w.wait(1_000);
      await w.broker.cancelOrder(rest.id);
      expect((await w.broker.getOrder(rest.id))?.status).toBe('pending_cancel');
      w.wait(1_000);
      expect((await w.broker.getOrder(rest.id))?.status).toBe('canceled');
    } finally {
      await w.cleanup();
    }
  });
});
