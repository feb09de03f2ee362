// The Alpaca adapter's order surface against the fake: every order type, class and status of the
// spec parses; replace by PATCH (never retried); listing passes until/direction and pages at 500;
// reads are retried on 429/5xx while POST, PATCH and DELETE never are; and the unknown outcomes of a
// POST (stored but answered 5xx, stored but not yet visible) resolve by client id.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BrokerRejection, DuplicateClientOrderId, UnknownOutcome } from '../../../src/core/broker/errors.js';
import { TransientBrokerError } from '../../../src/core/errors.js';
import type { Broker, OrderRequest, SubmitPermit } from '../../../src/core/ports/broker.js';
import { FakeAlpacaServer, alpacaBrokerFor } from '../../fakes/alpaca-server.js';

const PERMIT = {} as SubmitPermit;
const buy = (cid: string, o: Partial<OrderRequest> = {}): OrderRequest => ({ client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'day', limit_price: 101, stop_price: null, ...o });

let server: FakeAlpacaServer;
let b: Broker;
beforeEach(async () => {
  server = await new FakeAlpacaServer().start();
  b = alpacaBrokerFor(server);
});
afterEach(async () => server.stop());

const hits = (method: string, path: string | RegExp) => server.requests.filter((r) => r.method === method && (typeof path === 'string' ? r.path === path : path.test(r.path))).length;

describe('order types and statuses on the wire', () => {
  it('a trailing stop parses with its trail and follows the high-water mark', async () => {
    server.positions.set('AAPL', { qty: 10, avg: 90 });
    const t = server.addOrder({ symbol: 'AAPL', side: 'sell', type: 'trailing_stop', qty: 10, limit_price: null, trail_percent: 5, time_in_force: 'gtc' });
    server.tick();
    expect(await b.getOrder(t.id)).toMatchObject({ type: 'trailing_stop', trail_percent: 5, trail_price: null, stop_price: 95, status: 'new' });
    server.setPrice('AAPL', 120);
    expect((await b.getOrder(t.id))?.stop_price).toBe(114);
    server.setPrice('AAPL', 113);
    expect(await b.getOrder(t.id)).toMatchObject({ status: 'filled', filled_qty: 10, filled_avg_price: 113 });
  });

  it('a notional order has qty null and notional set, and fills a fractional quantity', async () => {
    const n = server.addOrder({ symbol: 'AAPL', side: 'buy', type: 'market', qty: null, notional: 500, limit_price: null, status: 'accepted' });
    expect(await b.getOrder(n.id)).toMatchObject({ qty: null, notional: 500, filled_qty: 0, status: 'accepted' });
    server.setPrice('AAPL', 400);
    server.tick();
    expect(await b.getOrder(n.id)).toMatchObject({ qty: null, notional: 500, filled_qty: 1.25, status: 'filled' });
  });

  it('a bracket: legs are nested with server-made ids, held until the entry fills; then the target rests and the stop is held', async () => {
    const o = await b.submitOrder(buy('br-1', { order_class: 'bracket', take_profit: { limit_price: 110 }, stop_loss: { stop_price: 95 } }), PERMIT);
    expect(o.order_class).toBe('bracket');
    expect(o.legs.map((l) => [l.type, l.side, l.status])).toEqual([['limit', 'sell', 'held'], ['stop', 'sell', 'held']]);
    expect(new Set([o.id, ...o.legs.map((l) => l.id)]).size).toBe(3);
    expect((await b.listOrders({ status: 'open' })).map((x) => x.id)).toEqual([o.id]);
    server.tick();
    const filled = await b.getOrder(o.id);
    expect(filled?.status).toBe('filled');
    expect(filled!.legs.map((l) => l.status)).toEqual(['new', 'held']);
    server.setPrice('AAPL', 94);
    expect((await b.getOrder(o.id))!.legs.map((l) => l.status)).toEqual(['canceled', 'filled']);
    expect(await b.positions()).toEqual([]);
  });

  it.each(['accepted', 'new', 'pending_new', 'partially_filled', 'filled', 'done_for_day', 'canceled', 'pending_cancel', 'expired', 'replaced', 'pending_replace', 'rejected', 'held', 'stopped', 'suspended', 'calculated', 'accepted_for_bidding'])('status %s parses', async (status) => {
    const o = server.addOrder({ symbol: 'MSFT', status });
    expect((await b.getOrder(o.id))?.status).toBe(status);
  });

  it('an order placed by hand at the broker is listed like any other', async () => {
    const o = server.addOrder({ symbol: 'XOM', side: 'buy', type: 'stop_limit', qty: 3, stop_price: 55, limit_price: 56, time_in_force: 'gtc', client_order_id: 'web-ui-1' });
    expect(await b.listOrders({ status: 'open', symbols: ['XOM'] })).toEqual([expect.objectContaining({ id: o.id, type: 'stop_limit', stop_price: 55, limit_price: 56 })]);
  });
});

describe('replace (PATCH)', () => {
  it('sends numeric strings, returns the new order, and the old one ends replaced', async () => {
    const o = await b.submitOrder(buy('rp-1', { limit_price: 50 }), PERMIT);
    server.tick();
    const n = await b.replaceOrder(o.id, { qty: 4, limit_price: 51.5, time_in_force: 'gtc' }, PERMIT);
    expect(n).toMatchObject({ replaces: o.id, qty: 4, limit_price: 51.5, time_in_force: 'gtc' });
    expect(await b.getOrder(o.id)).toMatchObject({ status: 'pending_replace', replaced_by: n.id });
    server.tick();
    expect(await b.getOrder(o.id)).toMatchObject({ status: 'replaced', replaced_by: n.id });
  });

  it('a replace whose old order filled first is rejected', async () => {
    const o = await b.submitOrder(buy('rp-2', { limit_price: 50 }), PERMIT);
    server.tick();
    const n = await b.replaceOrder(o.id, { limit_price: 52 }, PERMIT);
    server.fill(o.id, 10, 50);
    server.tick();
    expect((await b.getOrder(n.id))?.status).toBe('rejected');
    expect((await b.getOrder(o.id))?.status).toBe('filled');
  });

  it('is refused 422 while accepted and when final; a reused client id is DuplicateClientOrderId', async () => {
    const o = await b.submitOrder(buy('rp-3', { limit_price: 50 }), PERMIT);
    await expect(b.replaceOrder(o.id, { limit_price: 52 }, PERMIT)).rejects.toMatchObject({ status: 422, message: expect.stringMatching(/isn't sent to exchange yet/) });
    server.tick();
    await expect(b.replaceOrder(o.id, { limit_price: 52, client_order_id: 'rp-3' }, PERMIT)).rejects.toBeInstanceOf(DuplicateClientOrderId);
    server.expire(o.id);
    await expect(b.replaceOrder(o.id, { limit_price: 52 }, PERMIT)).rejects.toBeInstanceOf(BrokerRejection);
  });

  it('a 500 or a 429 on PATCH is not retried: one request each', async () => {
    const o = await b.submitOrder(buy('rp-4', { limit_price: 50 }), PERMIT);
    server.tick();
    server.fail({ status: 500, times: 1, method: 'PATCH' });
    await expect(b.replaceOrder(o.id, { limit_price: 52 }, PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
    server.fail({ status: 429, times: 1, method: 'PATCH', retryAfterS: 0 });
    await expect(b.replaceOrder(o.id, { limit_price: 52 }, PERMIT)).rejects.toBeInstanceOf(TransientBrokerError);
    expect(hits('PATCH', /^\/v2\/orders\//)).toBe(2);
  });
});

describe('listing and retries', () => {
  it('passes until, direction and a limit capped at 500', async () => {
    await b.listOrders({ status: 'closed', limit: 900, until: '2025-01-14T16:00:00.000Z', direction: 'asc', symbols: ['AAPL', 'XOM'] });
    expect(server.requests.at(-1)!.query).toMatchObject({ status: 'closed', limit: '500', until: '2025-01-14T16:00:00.000Z', direction: 'asc', symbols: 'AAPL,XOM', nested: 'true' });
  });

  it('429 and 503 on GET /v2/orders are retried; 500 on DELETE is not', async () => {
    server.fail({ status: 429, times: 1, method: 'GET', path: '/v2/orders', retryAfterS: 0 });
    server.fail({ status: 503, times: 1, method: 'GET', path: '/v2/orders' });
    await expect(b.listOrders({ status: 'all' })).resolves.toEqual([]);
    expect(hits('GET', '/v2/orders')).toBe(3);
    const o = await b.submitOrder(buy('rt-1', { limit_price: 50 }), PERMIT);
    server.fail({ status: 500, times: 1, method: 'DELETE' });
    await expect(b.cancelOrder(o.id)).rejects.toBeInstanceOf(TransientBrokerError);
    expect(hits('DELETE', `/v2/orders/${o.id}`)).toBe(1);
  });
});

describe('unknown outcomes of a POST', () => {
  it('stored but answered 500: UnknownOutcome, one POST, and the order is there by client id', async () => {
    server.failAfterStore(500);
    await expect(b.submitOrder(buy('uo-1'), PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
    expect(hits('POST', '/v2/orders')).toBe(1);
    expect(await b.getOrderByClientId('uo-1')).toMatchObject({ client_order_id: 'uo-1', status: 'accepted' });
  });

  it('stored but not yet visible: the lookup misses, a re-send is still a duplicate, and it appears later', async () => {
    server.failAfterStore(503).hideNextOrders(1);
    await expect(b.submitOrder(buy('uo-2'), PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
    expect(await b.getOrderByClientId('uo-2')).toBeNull();
    expect(await b.listOrders({ status: 'all' })).toEqual([]);
    await expect(b.submitOrder(buy('uo-2'), PERMIT)).rejects.toBeInstanceOf(DuplicateClientOrderId);
    server.reveal('uo-2');
    server.tick();
    expect(await b.getOrderByClientId('uo-2')).toMatchObject({ status: 'filled', filled_qty: 10 });
  });
});
