// Resting orders against the session price path: open -> low -> high -> close on an up day
// (open -> high -> low -> close on a down day), extremes at 1/3 and 2/3 of the session.
import { afterEach, describe, expect, it } from '@jest/globals';
import { BrokerRejection } from '../../../src/core/broker/errors.js';
import { PERMIT, req, sellStop, simWorld, type SimWorld } from './sim-world.js';

let w: SimWorld;
afterEach(() => w.cleanup());

const oco = (cid: string, tp: number, sl: number) => req(cid, { side: 'sell', type: 'limit', time_in_force: 'gtc', limit_price: tp, order_class: 'oco', take_profit: { limit_price: tp }, stop_loss: { stop_price: sl } });

describe('SimBroker along the session path', () => {
  it('a sell stop triggers where the path reaches it and fills at the stop less slippage', async () => {
    w = await simWorld({ start: '2025-01-14T22:00:00Z', days: { '2025-01-15': [100, 102, 90, 101] } });
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(sellStop('c-stop', 95), PERMIT);
    w.clock.set('2025-01-15T15:30:00Z');
    expect((await w.broker.getOrder(o.id))?.status).toBe('new');
    // open 100 at 14:30Z, low 90 at 16:40Z: 95 is reached half way, at 15:35Z
    const q = await w.broker.latestQuote('AAPL');
    expect((q!.bid + q!.ask) / 2).toBeCloseTo(100 - (10 * 60) / 130, 3);
    w.clock.set('2025-01-15T16:00:00Z');
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'filled', filled_qty: 10, filled_avg_price: 94.9525, filled_at: '2025-01-15T15:35:00.000Z' });
    expect(await w.broker.positions()).toEqual([]);
  });

  it('a stop placed after the low only sees the path after it went live', async () => {
    w = await simWorld({ start: '2025-01-15T18:00:00Z', days: { '2025-01-15': [100, 102, 90, 101] } });
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(sellStop('c-late', 91), PERMIT);
    w.clock.set('2025-01-15T22:00:00Z');
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'new', filled_qty: 0 });
  });

  it('a gap through the stop fills at the open', async () => {
    w = await simWorld({ days: { '2025-01-15': [90, 92, 88, 91] } });
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(sellStop('c-gap', 95), PERMIT);
    w.clock.set('2025-01-15T15:00:00Z');
    expect(await w.broker.getOrder(o.id)).toMatchObject({ status: 'filled', filled_avg_price: 89.955, filled_at: '2025-01-15T14:30:00.000Z' });
  });

  it('OCO: the stop leg fills first when the path goes down first, and cancels the target', async () => {
    w = await simWorld({ days: { '2025-01-15': [100, 110, 90, 105] } });
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(oco('c-oco', 108, 95), PERMIT);
    expect(o).toMatchObject({ status: 'accepted', type: 'limit', limit_price: 108, order_class: 'oco' });
    expect(o.legs).toEqual([expect.objectContaining({ client_order_id: 'c-oco-sl', type: 'stop', stop_price: 95, status: 'held', qty: 10 })]);
    // the pair holds the 10 shares once, and all of them
    await expect(w.broker.submitOrder(req('c-more', { side: 'sell', qty: 1, type: 'market', time_in_force: 'day', limit_price: null }), PERMIT)).rejects.toMatchObject({ status: 403 });
    w.clock.set('2025-01-15T21:30:00Z');
    const after = await w.broker.getOrder(o.id);
    expect(after).toMatchObject({ status: 'canceled', filled_qty: 0 });
    expect(after!.legs[0]).toMatchObject({ status: 'filled', filled_avg_price: 94.9525, filled_at: '2025-01-15T15:35:00.000Z' });
    expect(await w.broker.positions()).toEqual([]);
    expect((await w.broker.listOrders({ status: 'all' })).map((x) => x.id)).toEqual([o.id]);
  });

  it('OCO: the target fills first when the path goes up first, and cancels the stop', async () => {
    w = await simWorld({ days: { '2025-01-15': [100, 110, 90, 95] } });
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(oco('c-oco2', 108, 95), PERMIT);
    w.clock.set('2025-01-15T21:30:00Z');
    const after = await w.broker.getOrder(o.id);
    expect(after).toMatchObject({ status: 'filled', filled_avg_price: 108, filled_at: '2025-01-15T16:14:00.000Z' });
    expect(after!.legs[0].status).toBe('canceled');
  });

  it('replacing a resting stop: the old one ends replaced, the new one rests with the new qty and price', async () => {
    w = await simWorld({ days: { '2025-01-15': [100, 101, 95.5, 100] } });
    await w.hold('AAPL', 10);
    const old = await w.broker.submitOrder(sellStop('c-s1', 95), PERMIT);
    w.wait(1000);
    const r = await w.broker.replaceOrder(old.id, { qty: 5, stop_price: 96 }, PERMIT);
    expect(r).toMatchObject({ status: 'accepted', qty: 5, stop_price: 96, type: 'stop', side: 'sell', replaces: old.id, filled_qty: 0 });
    expect(r.id).not.toBe(old.id);
    expect(r.client_order_id).not.toBe('c-s1');
    expect(await w.broker.getOrder(old.id)).toMatchObject({ status: 'replaced', replaced_by: r.id });
    // the reservation moved: 5 of 10 are free now
    await expect(w.broker.submitOrder(req('c-x', { side: 'sell', qty: 6, type: 'market', time_in_force: 'day', limit_price: null }), PERMIT)).rejects.toMatchObject({ status: 403 });
    w.wait(250);
    expect((await w.broker.getOrder(r.id))?.status).toBe('new');
    w.clock.set('2025-01-15T21:30:00Z');
    expect(await w.broker.getOrder(r.id)).toMatchObject({ status: 'filled', filled_qty: 5, filled_avg_price: 95.952 });
    expect((await w.broker.getOrder(old.id))?.status).toBe('replaced');
    expect((await w.broker.positions())[0]?.qty).toBe(5);
  });

  it('a replace is refused while the order is still accepted, and once it is final', async () => {
    w = await simWorld();
    await w.hold('AAPL', 10);
    const o = await w.broker.submitOrder(sellStop('c-s2', 95), PERMIT);
    const err = await w.broker.replaceOrder(o.id, { stop_price: 96 }, PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejection);
    expect((err as BrokerRejection).status).toBe(422);
    expect((await w.broker.getOrder(o.id))?.status).toBe('accepted');
    w.wait(1000);
    await w.broker.cancelOrder(o.id);
    await expect(w.broker.replaceOrder(o.id, { stop_price: 96 }, PERMIT)).rejects.toMatchObject({ status: 422 });
  });

  it('a resting stop holds its shares: selling them too is insufficient qty (403) until it is canceled', async () => {
    w = await simWorld();
    await w.hold('AAPL', 10);
    const stop = await w.broker.submitOrder(sellStop('c-s3', 95), PERMIT);
    const sell = req('c-sell', { side: 'sell', qty: 1, type: 'market', time_in_force: 'day', limit_price: null });
    const err = await w.broker.submitOrder(sell, PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejection);
    expect((err as BrokerRejection).status).toBe(403);
    await w.broker.cancelOrder(stop.id);
    expect((await w.broker.submitOrder(sell, PERMIT)).status).toBe('accepted');
  });

  it('bracket: the legs activate for the filled qty (target new, stop held) and one cancels the other', async () => {
    w = await simWorld({ days: { '2025-01-15': [100, 101, 89, 100] } });
    const o = await w.broker.submitOrder(req('c-br', { time_in_force: 'day', order_class: 'bracket', take_profit: { limit_price: 110 }, stop_loss: { stop_price: 90 } }), PERMIT);
    expect(o.legs.map((l) => l.status)).toEqual(['held', 'held']);
    w.wait(250);
    const filled = await w.broker.getOrder(o.id);
    expect(filled?.status).toBe('filled');
    expect(filled!.legs.map((l) => [l.type, l.status, l.qty])).toEqual([['limit', 'new', 10], ['stop', 'held', 10]]);
    w.clock.set('2025-01-15T21:30:00Z');
    const legs = (await w.broker.getOrder(o.id))!.legs;
    expect(legs.map((l) => [l.type, l.status])).toEqual([['limit', 'canceled'], ['stop', 'filled']]);
    expect(legs[1].filled_avg_price).toBe(89.955);
  });
});

describe('SimBroker quotes', () => {
  it('in session with today\'s bar: the path price now, 2 bps either side, stamped now', async () => {
    w = await simWorld({ days: { '2025-01-14': [100, 104, 98, 103] } });
    const q = await w.broker.latestQuote('AAPL');
    const mid = 100 - (2 * 5400) / 7800; // 16:00Z is 90 of the 130 minutes from the open to the low
    expect(q).toEqual({ symbol: 'AAPL', bid: Math.round(mid * 0.9998 * 1e4) / 1e4, ask: Math.round(mid * 1.0002 * 1e4) / 1e4, ts: '2025-01-14T16:00:00.000Z' });
  });

  it('after the close and before the next open: stamped at the last completed session\'s close', async () => {
    w = await simWorld({ start: '2025-01-14T22:00:00Z', days: { '2025-01-14': [100, 104, 98, 103] } });
    expect(await w.broker.latestQuote('AAPL')).toMatchObject({ bid: 102.9794, ask: 103.0206, ts: '2025-01-14T21:00:00.000Z' });
    // Overnight (before 04:00 ET) nothing trades: still the last close.
    w.clock.set('2025-01-15T08:00:00Z');
    expect(await w.broker.latestQuote('AAPL')).toMatchObject({ bid: 102.9794, ts: '2025-01-14T21:00:00.000Z' });
    // Pre-market on a session the store has: quoted fresh at that day's open (what the watchlist check judges).
    w.clock.set('2025-01-15T14:00:00Z');
    const pre = await w.broker.latestQuote('AAPL');
    expect(pre?.ts).toBe('2025-01-15T14:00:00.000Z');
    expect(pre!.ask).toBeGreaterThan(pre!.bid);
  });

  it('in session without today\'s bar (stale data): the last close, stamped at that session\'s close', async () => {
    w = await simWorld({ through: '2025-01-13' });
    expect(await w.broker.latestQuote('AAPL')).toEqual({ symbol: 'AAPL', bid: 99.98, ask: 100.02, ts: '2025-01-13T21:00:00.000Z' });
    expect(await w.broker.latestQuote('NOPE')).toBeNull();
  });
});
