// Key material never leaves in an error: a canary key id and secret are sent to the fake (so they
// are really in play), the fake echoes them back in its error bodies, and no thrown message, hint,
// details or stack may contain them.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { KobeError } from '../../../src/core/errors.js';
import type { Broker, OrderRequest, SubmitPermit } from '../../../src/core/ports/broker.js';
import { FakeAlpacaServer, alpacaBrokerFor } from '../../fakes/alpaca-server.js';

const KEY = 'CANARY-KEYID-456';
const SECRET = 'CANARY-SECRET-123';
const PERMIT = {} as SubmitPermit;
const buy = (cid: string, qty = 10): OrderRequest => ({ client_order_id: cid, symbol: 'AAPL', side: 'buy', qty, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null });

let server: FakeAlpacaServer;
let broker: Broker;
beforeEach(async () => {
  server = await new FakeAlpacaServer({ keyId: KEY, secret: SECRET }).start();
  broker = alpacaBrokerFor(server, { timeoutMs: 300, retry: { maxRetries: 1, baseDelayMs: 5 } });
});
afterEach(async () => server.stop());

/** Everything an error can carry into a log, an event or --json output. */
function everything(err: unknown): string {
  const e = err as KobeError;
  return JSON.stringify({ s: String(err), message: e.message, hint: e.hint, details: e.details, stack: e.stack, cause: String(e.cause ?? '') });
}

async function caught(p: Promise<unknown>): Promise<KobeError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  expect(err).toBeInstanceOf(KobeError);
  return err as KobeError;
}

describe('no key material in errors', () => {
  it('the fake really echoes the canary (so the checks below can fail)', async () => {
    server.fail({ status: 403, times: 1, echoHeaders: 'message' });
    const res = await fetch(`${server.baseUrl}/v2/account`, { headers: { 'APCA-API-KEY-ID': KEY, 'APCA-API-SECRET-KEY': SECRET } });
    const text = await res.text();
    expect(text).toContain(SECRET);
    expect(text).toContain(KEY);
  });

  const cases: Array<[string, () => void, () => Promise<unknown>]> = [
    ['401 echoing headers in the message', () => server.fail({ status: 401, times: 1, echoHeaders: 'message' }), () => broker.account()],
    ['403 on a read echoing headers as a field', () => server.fail({ status: 403, times: 1, echoHeaders: 'field' }), () => broker.positions()],
    ['500 on a read after retries, echoing', () => server.fail({ status: 500, times: 10, echoHeaders: 'message' }), () => broker.clock()],
    ['403 on submit echoing', () => server.fail({ status: 403, times: 1, method: 'POST', echoHeaders: 'message', message: 'insufficient buying power' }), () => broker.submitOrder(buy('s-403'), PERMIT)],
    ['422 on submit echoing', () => server.fail({ status: 422, times: 1, method: 'POST', echoHeaders: 'message' }), () => broker.submitOrder(buy('s-422'), PERMIT)],
    ['500 on submit echoing', () => server.fail({ status: 500, times: 1, method: 'POST', echoHeaders: 'field' }), () => broker.submitOrder(buy('s-500'), PERMIT)],
    ['422 on cancel echoing', () => server.fail({ status: 422, times: 1, method: 'DELETE', echoHeaders: 'message' }), () => broker.cancelOrder('x-1')],
    ['a POST that is never answered', () => server.hangNextOrders(1), () => broker.submitOrder(buy('s-hang'), PERMIT)],
  ];

  it.each(cases)('%s', async (_name, arrange, act) => {
    arrange();
    const err = await caught(act());
    const text = everything(err);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(KEY);
    // The canary was sent, so its absence above is the adapter's doing.
    expect(server.requests.some((r) => r.headers['apca-api-secret-key'] === SECRET)).toBe(true);
  });

  it('what remains of an echoing message is still useful: status and the API words', async () => {
    server.fail({ status: 403, times: 1, method: 'POST', echoHeaders: 'message', message: 'insufficient buying power' });
    const err = await caught(broker.submitOrder(buy('s-words'), PERMIT));
    expect(err.message).toMatch(/HTTP 403: insufficient buying power/);
    expect(err.message).toContain('[redacted');
  });

  it('the keys never travel in a URL', async () => {
    await broker.account();
    await broker.getOrderByClientId('nope');
    for (const r of server.requests) expect(JSON.stringify([r.path, r.query])).not.toMatch(/CANARY/);
  });
});
