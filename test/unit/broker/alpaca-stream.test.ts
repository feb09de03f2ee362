// The Alpaca adapter's order stream (the SDK's TradingStream) against the fake's trade_updates
// websocket: fills arrive as OrderReports with numbers, the stream comes back after a drop, wrong
// keys are refused without a retry loop, and unreadable messages are reported, never guessed at.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { streamUrl } from '../../../src/core/broker/alpaca/stream.js';
import { AuthError, SafetyRefusal } from '../../../src/core/errors.js';
import type { Broker, OrderRequest, OrderStream, OrderUpdateEvent, SubmitPermit } from '../../../src/core/ports/broker.js';
import { FakeAlpacaServer, alpacaBrokerFor } from '../../fakes/alpaca-server.js';

const PERMIT = {} as SubmitPermit;
const buy = (cid: string, o: Partial<OrderRequest> = {}): OrderRequest => ({ client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'day', limit_price: 101, stop_price: null, ...o });

let server: FakeAlpacaServer;
let b: Broker;
let stream: OrderStream | undefined;
let events: OrderUpdateEvent[];
let states: Array<[string, string | undefined]>;

beforeEach(async () => {
  server = await new FakeAlpacaServer().start();
  b = alpacaBrokerFor(server);
  events = [];
  states = [];
  stream = undefined;
});
afterEach(async () => {
  await stream?.close();
  await server.stop();
});

async function until(what: string, ok: () => boolean, ms = 3_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function open(): Promise<void> {
  stream = await b.streamOrderUpdates!((e) => events.push(e), (s, d) => states.push([s, d]));
}

const names = (cid: string) => events.filter((e) => e.order.client_order_id === cid).map((e) => e.event);

describe('the trade_updates stream', () => {
  it('is wss://<host>/stream for an https base URL and ws:// only for loopback http', () => {
    expect(streamUrl('https://paper-api.alpaca.markets')).toBe('wss://paper-api.alpaca.markets/stream');
    expect(streamUrl('https://api.alpaca.markets/')).toBe('wss://api.alpaca.markets/stream');
    expect(streamUrl(server.baseUrl)).toBe(server.streamUrl);
    expect(() => streamUrl('http://example.com')).toThrow(SafetyRefusal);
  });

  it('delivers new and fill events as OrderReports with numbers and the execution id', async () => {
    await open();
    expect(states).toEqual([['connected', undefined]]);
    const o = await b.submitOrder(buy('s-1'), PERMIT);
    server.advance(1_000);
    await until('the fill', () => names('s-1').includes('fill'));
    expect(names('s-1')).toEqual(['new', 'fill']);
    const fill = events.find((e) => e.event === 'fill')!;
    expect(fill.order).toMatchObject({ id: o.id, status: 'filled', qty: 10, filled_qty: 10, filled_avg_price: 100, limit_price: 101 });
    expect(fill.execution_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(fill.at).toBe('2025-01-14T16:00:01.000Z');
    expect(events.find((e) => e.event === 'new')!.execution_id).toBeNull();
  });

  it('partial fills carry their own execution ids; a duplicated event repeats the same one', async () => {
    await open();
    server.duplicateEvents(true);
    const o = await b.submitOrder(buy('s-2', { limit_price: 50 }), PERMIT);
    server.tick();
    server.fill(o.id, 4, 99.5);
    server.fill(o.id, 6, 99);
    await until('both fills twice', () => names('s-2').filter((n) => n === 'fill').length === 2);
    expect(names('s-2')).toEqual(['new', 'new', 'partial_fill', 'partial_fill', 'fill', 'fill']);
    const fills = events.filter((e) => e.event.endsWith('fill'));
    expect(fills.map((e) => e.order.filled_qty)).toEqual([4, 4, 10, 10]);
    expect(fills[0].order.status).toBe('partially_filled');
    expect(fills[3].order.filled_avg_price).toBeCloseTo(99.2, 6);
    expect(new Set(fills.map((e) => e.execution_id)).size).toBe(2);
  });

  it('reports pending_cancel, canceled, rejected, expired, and replaced with the new order', async () => {
    await open();
    const [c, r, x, p] = await Promise.all(['s-c', 's-r', 's-x', 's-p'].map((cid) => b.submitOrder(buy(cid, { limit_price: 50 }), PERMIT)));
    server.tick();
    await b.cancelOrder(c.id);
    server.reject(r.id);
    server.expire(x.id);
    const next = await b.replaceOrder(p.id, { limit_price: 55, client_order_id: 's-p2' }, PERMIT);
    server.tick();
    await until('the replace', () => names('s-p2').includes('new'));
    expect(names('s-c')).toEqual(['new', 'pending_cancel', 'canceled']);
    expect(names('s-r')).toEqual(['new', 'rejected']);
    expect(names('s-x')).toEqual(['new', 'expired']);
    expect(names('s-p')).toEqual(['new', 'pending_replace', 'replaced']);
    expect(events.find((e) => e.event === 'replaced')!.order).toMatchObject({ status: 'replaced', replaced_by: next.id });
    expect(events.find((e) => e.order.client_order_id === 's-p2')!.order).toMatchObject({ status: 'new', replaces: p.id, limit_price: 55 });
  });

  it('comes back after the sockets are dropped, says so, and carries events again (none replayed)', async () => {
    await open();
    const o = await b.submitOrder(buy('s-3', { limit_price: 50 }), PERMIT);
    server.dropStreams();
    await until('the disconnect', () => states.some(([s]) => s === 'disconnected'));
    server.tick(); // while nobody listens: lost, as at Alpaca
    await until('the reconnect', () => states.filter(([s]) => s === 'connected').length === 2);
    expect(states.map(([s]) => s)).toEqual(['connected', 'disconnected', 'connected']);
    server.fill(o.id, 10, 50);
    await until('the fill', () => names('s-3').includes('fill'));
    expect(names('s-3')).toEqual(['fill']);
  });

  it('wrong keys are refused with AuthError, once, and the secret is in no message', async () => {
    const bad = alpacaBrokerFor(server, { secrets: { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: 'wrong-secret-xyz' } });
    const err = await bad.streamOrderUpdates!(() => undefined, (s, d) => states.push([s, d])).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/refused the API keys on the order stream/);
    expect(JSON.stringify({ m: (err as AuthError).message, h: (err as AuthError).hint, d: (err as AuthError).details, states })).not.toMatch(/wrong-secret-xyz|PKTESTKEYID0001/);
    await new Promise((r) => setTimeout(r, 300));
    expect(server.stream.auths).toEqual([false]);
  });

  it('an unreadable update is reported as a dropped message while staying connected, and later events still arrive', async () => {
    await open();
    server.stream.broadcastRaw('{"stream":"trade_updates","data":{"event":"fill","order":{"id":"x1","qty":"ten"}}}');
    server.stream.broadcastRaw('not json');
    await until('two reports', () => states.length === 3);
    expect(states[1]).toEqual(['connected', expect.stringMatching(/dropped an unreadable order update: .*field order\.client_order_id: missing/)]);
    expect(states[2]).toEqual(['connected', expect.stringMatching(/dropped an unreadable message: failed to decode/)]);
    expect(events).toEqual([]);
    await b.submitOrder(buy('s-4'), PERMIT);
    server.tick();
    await until('the fill', () => names('s-4').includes('fill'));
  });

  it('close() stops the events and reports nothing more', async () => {
    await open();
    await stream!.close();
    stream = undefined;
    await b.submitOrder(buy('s-5'), PERMIT);
    server.tick();
    await new Promise((r) => setTimeout(r, 100));
    expect(events).toEqual([]);
    expect(states).toEqual([['connected', undefined]]);
    expect(server.stream.listeners).toBe(0);
  });
});
