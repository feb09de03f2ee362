// The AlpacaBroker through its only caller, the submit path, and through the broker factory: an
// order accepted but never answered ends as one order at the broker, resolved by client id.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createBroker } from '../../../src/core/broker/index.js';
import type { BarStore } from '../../../src/core/data/store.js';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { submitIntent, type OrderIntent, type SubmitDeps } from '../../../src/core/oms/submit.js';
import type { Broker } from '../../../src/core/ports/broker.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { IdempotencyFile } from '../../../src/core/state/schemas.js';
import { StateStore } from '../../../src/core/state/store.js';
import { FakeAlpacaServer, alpacaConfig } from '../../fakes/alpaca-server.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

const intent: OrderIntent = { session_date: '2025-01-14', symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null, strategy: 'ibs_rsi', kind: 'entry' };

let server: FakeAlpacaServer;
let home: TempHome;
beforeEach(async () => {
  server = await new FakeAlpacaServer().start();
  home = tempStateHome();
});
afterEach(async () => {
  await server.stop();
  home.cleanup();
});

async function broker(baseUrl = server.baseUrl, timeoutMs = 300): Promise<Broker> {
  const config = alpacaConfig(baseUrl, { timeoutMs });
  const secrets = { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: server.secret };
  // The Alpaca branch of the factory uses neither the state store nor the bar store.
  return createBroker({ config, secrets, store: new StateStore(home.paths), bars: {} as BarStore, clock: new FakeClock('2025-01-14T16:00:00Z') });
}

function deps(b: Broker): SubmitDeps {
  const clock = new FakeClock('2025-01-14T16:00:00Z');
  return {
    broker: b, store: new StateStore(home.paths), config: alpacaConfig(server.baseUrl), clock,
    audit: { append: async () => undefined }, events: { emit: () => undefined },
    tradingState: () => ({ state: 'ACTIVE', source: 'absent' }), missingLiveGates: async () => [], locksDir: home.paths.state('locks'),
    logsDir: home.paths.logsDir,
    // The OMS's waits between polls move the fake broker's clock, so the order fills as it would.
    wait: async (ms: number) => server.advance(ms),
  };
}

describe('AlpacaBroker behind the factory and the submit path', () => {
  it('the factory builds it from config alone', async () => {
    const b = await broker();
    expect(b).toMatchObject({ name: 'alpaca', host: server.baseUrl });
    await expect(broker('https://api.alpaca.markets')).rejects.toBeInstanceOf(SafetyRefusal);
  });

  it('an order accepted but never answered: UNKNOWN at once resolved by client id, one order at the broker', async () => {
    server.hangNextOrders(1);
    const d = deps(await broker());
    const out = await submitIntent(d, intent);
    // Found by client id as Alpaca has it: accepted, nothing filled yet.
    expect(out).toMatchObject({ status: 'SUBMITTED', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1' });
    expect(server.orders).toHaveLength(1);
    expect(out.broker_order_id).toBe(server.orders[0].id);
    expect(d.store.read(IdempotencyFile).orders[out.client_order_id]).toMatchObject({ status: 'SUBMITTED', broker_order_id: server.orders[0].id });
    // Running the same intent again sends nothing.
    const again = await submitIntent(d, intent);
    expect(again).toMatchObject({ client_order_id: out.client_order_id, reused: true });
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('a buying-power 403 is REJECTED with the API reason', async () => {
    server.fail({ status: 403, times: 1, method: 'POST', path: '/v2/orders', message: 'insufficient buying power' });
    const out = await submitIntent(deps(await broker()), intent);
    expect(out).toMatchObject({ status: 'REJECTED', reason: expect.stringMatching(/HTTP 403: insufficient buying power/) });
    expect(server.orders).toHaveLength(0);
  });
});
