// The Alpaca adapter against the fake Alpaca server: what each failure becomes, which calls the SDK
// retries (reads only, honouring Retry-After) and which it never does (POST), the order that is
// accepted but never answered, and the host check at startup.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAlpacaBroker } from '../../../src/core/broker/alpaca/index.js';
import { BrokerDataError } from '../../../src/core/broker/alpaca/errors.js';
import { BrokerRejection, DuplicateClientOrderId, UnknownOutcome } from '../../../src/core/broker/errors.js';
import { LIVE_HOST, PAPER_HOST } from '../../../src/core/config/schema.js';
import { AuthError, ConnectivityError, SafetyRefusal, TransientBrokerError } from '../../../src/core/errors.js';
import type { OrderRequest, SubmitPermit } from '../../../src/core/ports/broker.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { FakeAlpacaServer, alpacaBrokerFor, alpacaConfig } from '../../fakes/alpaca-server.js';

const PERMIT = {} as SubmitPermit;
const buy = (cid: string, o: Partial<OrderRequest> = {}): OrderRequest => ({ client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null, ...o });

let server: FakeAlpacaServer;
beforeEach(async () => {
  server = await new FakeAlpacaServer().start();
});
afterEach(async () => server.stop());

const hits = (method: string, path: string) => server.requests.filter((r) => r.method === method && r.path === path).length;

/** A port on 127.0.0.1 where nothing listens. */
async function deadPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('auth', () => {
  it('refused keys are an AuthError (exit 4) with the .env hint, and are not retried', async () => {
    const b = alpacaBrokerFor(server, { secrets: { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: 'wrong-secret' } });
    const err = await b.account().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(4);
    expect((err as AuthError).message).toMatch(/HTTP 401: request is not authorized/);
    expect((err as AuthError).hint).toMatch(/ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY in \.env/);
    expect(hits('GET', '/v2/account')).toBe(1);
  });

  it('a 403 on a read is an AuthError too', async () => {
    server.fail({ status: 403, times: 1, path: '/v2/positions' });
    await expect(alpacaBrokerFor(server).positions()).rejects.toBeInstanceOf(AuthError);
  });

  it('missing keys are an AuthError naming the variables, before any request', () => {
    const make = () => createAlpacaBroker({ config: alpacaConfig(server.baseUrl), secrets: { ALPACA_API_KEY_ID: 'PKONLY' }, clock: new FakeClock() });
    expect(make).toThrow(AuthError);
    expect(make).toThrow(/ALPACA_API_SECRET_KEY is not set/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('retries: reads only', () => {
  it('a 429 with Retry-After on a read is waited out and retried', async () => {
    server.fail({ status: 429, times: 1, path: '/v2/account', retryAfterS: 1 });
    const t0 = Date.now();
    await expect(alpacaBrokerFor(server).account()).resolves.toMatchObject({ cash: 100_000 });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950);
    expect(hits('GET', '/v2/account')).toBe(2);
  });

  it('a 429 on an order POST is not retried: TransientBrokerError, one POST, no order', async () => {
    server.fail({ status: 429, times: 1, method: 'POST', path: '/v2/orders', retryAfterS: 0 });
    await expect(alpacaBrokerFor(server).submitOrder(buy('r-429'), PERMIT)).rejects.toBeInstanceOf(TransientBrokerError);
    expect(hits('POST', '/v2/orders')).toBe(1);
    expect(server.orders).toHaveLength(0);
  });

  it('a 500 on a read is retried and can recover', async () => {
    server.fail({ status: 500, times: 2, path: '/v2/positions' });
    await expect(alpacaBrokerFor(server).positions()).resolves.toEqual([]);
    expect(hits('GET', '/v2/positions')).toBe(3);
  });

  it('a 500 that persists on a read ends as TransientBrokerError after the bounded retries', async () => {
    server.fail({ status: 500, times: 100, path: '/v2/positions' });
    const err = await alpacaBrokerFor(server).positions().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientBrokerError);
    expect((err as TransientBrokerError).message).toMatch(/HTTP 500.*after 2 retries/);
    expect(hits('GET', '/v2/positions')).toBe(3);
  });

  it('a 500 on an order POST is an UnknownOutcome, never retried', async () => {
    server.fail({ status: 500, times: 1, method: 'POST', path: '/v2/orders' });
    await expect(alpacaBrokerFor(server).submitOrder(buy('r-500'), PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
    expect(hits('POST', '/v2/orders')).toBe(1);
  });

  it('an unreachable host: reads are retried then ConnectivityError (exit 4); a POST is UnknownOutcome after one try', async () => {
    const port = await deadPort();
    let calls = 0;
    // Under jest's vm realm, fetch rejects with an outer-realm TypeError that the SDK's
    // `instanceof Error` misses (so it would not wrap or retry it); re-throw it as this realm's
    // error, which is what the SDK sees outside jest.
    const counting = (url: string, init: RequestInit) => {
      calls += 1;
      return fetch(url, init).catch((e: { message: string; cause?: unknown }) => {
        throw Object.assign(new TypeError(e.message), { cause: e.cause });
      });
    };
    const b = createAlpacaBroker({ config: alpacaConfig(`http://127.0.0.1:${port}`), secrets: { ALPACA_API_KEY_ID: 'k-id-1', ALPACA_API_SECRET_KEY: 's-1234' }, clock: new FakeClock(), retry: { maxRetries: 2, baseDelayMs: 5 }, fetchApi: counting });
    const err = await b.account().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err).not.toBeInstanceOf(UnknownOutcome);
    expect((err as ConnectivityError).exitCode).toBe(4);
    expect((err as ConnectivityError).message).toMatch(/cannot reach Alpaca \(ECONNREFUSED\)/);
    expect(calls).toBe(3);
    calls = 0;
    await expect(b.submitOrder(buy('r-dead'), PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
    expect(calls).toBe(1);
    // The platform fetch as is (its foreign-realm TypeError) is still classified, not left raw.
    const plain = createAlpacaBroker({ config: alpacaConfig(`http://127.0.0.1:${port}`), secrets: { ALPACA_API_KEY_ID: 'k-id-1', ALPACA_API_SECRET_KEY: 's-1234' }, clock: new FakeClock() });
    await expect(plain.positions()).rejects.toThrow(/cannot reach Alpaca \(ECONNREFUSED\)/);
    await expect(plain.submitOrder(buy('r-dead-2'), PERMIT)).rejects.toBeInstanceOf(UnknownOutcome);
  });
});

describe('timeouts and the order that is accepted but never answered', () => {
  it('the POST times out as UnknownOutcome; the lookup by client id then finds exactly one order', async () => {
    server.hangNextOrders(1);
    const b = alpacaBrokerFor(server, { timeoutMs: 300 });
    const err = await b.submitOrder(buy('h-1'), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcome);
    expect(err).toBeInstanceOf(ConnectivityError);
    expect((err as UnknownOutcome).message).toMatch(/no answer within 300 ms to order h-1: it may or may not have been placed/);
    expect((err as UnknownOutcome).hint).toMatch(/client_order_id/);
    expect(hits('POST', '/v2/orders')).toBe(1);
    expect(await b.getOrderByClientId('h-1')).toMatchObject({ client_order_id: 'h-1', status: 'accepted', filled_qty: 0 });
    server.tick();
    expect(await b.getOrderByClientId('h-1')).toMatchObject({ client_order_id: 'h-1', status: 'filled', filled_qty: 10 });
    expect(server.orders.filter((o) => o.client_order_id === 'h-1')).toHaveLength(1);
    // A blind re-send under the same id cannot create a second order.
    await expect(b.submitOrder(buy('h-1'), PERMIT)).rejects.toBeInstanceOf(DuplicateClientOrderId);
    expect(server.orders).toHaveLength(1);
  });

  it('a slow read times out as ConnectivityError, not UnknownOutcome, and is not retried', async () => {
    server.slow(1_500, { path: '/v2/account' });
    const err = await alpacaBrokerFor(server, { timeoutMs: 200 }).account().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err).not.toBeInstanceOf(UnknownOutcome);
    expect((err as ConnectivityError).message).toMatch(/no answer within 200 ms for GET \/v2\/account/);
    expect(hits('GET', '/v2/account')).toBe(1);
  });
});

describe('rejections', () => {
  it('a buy beyond buying power is BrokerRejection(403) with the API message', async () => {
    const err = await alpacaBrokerFor(server).submitOrder(buy('bp-1', { qty: 5_000 }), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejection);
    expect(err).toMatchObject({ status: 403, message: expect.stringMatching(/insufficient buying power/) });
  });

  it('another 422 on submit is a BrokerRejection, not a duplicate', async () => {
    const err = await alpacaBrokerFor(server).submitOrder(buy('bad-sym', { symbol: 'NOPE' }), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerRejection);
    expect(err).not.toBeInstanceOf(DuplicateClientOrderId);
    expect((err as BrokerRejection).status).toBe(422);
  });

  it('an invalid request is refused before it is sent', async () => {
    await expect(alpacaBrokerFor(server).submitOrder(buy('nan-1', { qty: Number.NaN }), PERMIT)).rejects.toBeInstanceOf(BrokerRejection);
    expect(server.requests).toHaveLength(0);
  });
});

describe('junk from the broker is an error naming the field, never 0', () => {
  it('an account with cash "NaN" is a BrokerDataError naming cash', async () => {
    server.cash = Number.NaN;
    const err = await alpacaBrokerFor(server).account().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerDataError);
    expect((err as BrokerDataError).message).toMatch(/unreadable account: field cash: not a number: "NaN"/);
  });

  it('an order whose qty turned to junk fails the read; a junk answer to a POST is an UnknownOutcome', async () => {
    const b = alpacaBrokerFor(server);
    const o = await b.submitOrder(buy('j-1'), PERMIT);
    server.orders[0].filled_qty = Number.NaN;
    await expect(b.getOrder(o.id)).rejects.toThrow(/unreadable order: field filled_qty/);
    await expect(b.listOrders({ status: 'all' })).rejects.toThrow(/unreadable order list: field \[0\]\.filled_qty/);
    // The POST is stored and answered 200, but with a junk field on the way back.
    const junkPost: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (init?.method !== 'POST') return res;
      return new Response(JSON.stringify({ ...((await res.json()) as object), filled_qty: 'none' }), { status: res.status, headers: res.headers });
    };
    const err = await alpacaBrokerFor(server, { fetchApi: junkPost }).submitOrder(buy('j-2', { symbol: 'MSFT', type: 'market', limit_price: null, qty: 1 }), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcome);
    expect((err as UnknownOutcome).message).toMatch(/order j-2 was answered but .*field filled_qty/);
    expect(server.orders.map((x) => x.client_order_id)).toContain('j-2');
  });

  it('a 200 whose body is not JSON: on a POST an UnknownOutcome, on a read a BrokerDataError', async () => {
    const garbled = () => Promise.resolve(new Response('<html>ok</html>', { status: 200 }));
    const b = alpacaBrokerFor(server, { fetchApi: garbled });
    const err = await b.submitOrder(buy('g-1'), PERMIT).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnknownOutcome);
    expect((err as UnknownOutcome).message).toMatch(/order g-1 was answered but .*not JSON/);
    await expect(b.clock()).rejects.toBeInstanceOf(BrokerDataError);
  });
});

describe('the host is checked against the mode at startup', () => {
  const secrets = { ALPACA_API_KEY_ID: 'PKX1', ALPACA_API_SECRET_KEY: 'sx-1' };
  it('paper mode with the live host is a SafetyRefusal (exit 6)', () => {
    const make = () => createAlpacaBroker({ config: alpacaConfig(LIVE_HOST), secrets, clock: new FakeClock() });
    expect(make).toThrow(SafetyRefusal);
    expect(make).toThrow(/paper mode but the broker resolves to the live host/);
  });

  it('paper mode with some other https host is refused too', () => {
    expect(() => createAlpacaBroker({ config: alpacaConfig('https://api.alpaca.markets.evil.example'), secrets, clock: new FakeClock() })).toThrow(SafetyRefusal);
  });

  it('live mode with the paper host constructs (the live gates refuse orders later)', () => {
    const b = createAlpacaBroker({ config: alpacaConfig(PAPER_HOST, { mode: 'live' }), secrets, clock: new FakeClock() });
    expect(b).toMatchObject({ name: 'alpaca', host: PAPER_HOST });
  });

  it('keys are never sent in clear text to a non-loopback host', () => {
    expect(() => createAlpacaBroker({ config: alpacaConfig('http://example.com', { mode: 'live' }), secrets, clock: new FakeClock() })).toThrow(/clear text/);
  });

  it('the host is scheme and host of alpaca.base_url', () => {
    expect(alpacaBrokerFor(server).host).toBe(server.baseUrl);
  });
});
