// Looking an order up (by id, by client id) answers about that order or not at all: a reply about
// another order (Prism's spec examples do exactly that) is a BrokerDataError naming the field, so
// `orders cancel --client-id` can never cancel, and the OMS never book, an order nobody asked for.
import { describe, expect, it } from '@jest/globals';
import { BrokerDataError, createAlpacaBroker, type FetchLike } from '../../../src/core/broker/alpaca/index.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import { FakeClock } from '../../../src/core/ports/clock.js';

const ID = '61e69015-8549-4bfd-b9c3-01e75843f47d';
const CID = 'kobe-20250114-AAPL-buy-ibsrsi-entry-a1';

function wireOrder(o: { id?: string; client_order_id?: string } = {}): object {
  return {
    id: ID, client_order_id: CID, symbol: 'AAPL', side: 'buy', type: 'limit', time_in_force: 'day', qty: '10', notional: null, filled_qty: '0',
    filled_avg_price: null, limit_price: '101', stop_price: null, status: 'accepted', order_class: '', submitted_at: '2025-01-14T11:00:00-05:00', legs: null, ...o,
  };
}

/** A broker whose every request is answered with `status` and `body`. */
function brokerAnswering(status: number, body: unknown) {
  const fetchApi: FetchLike = async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
  const config = ConfigSchema.parse({ broker: { name: 'alpaca' }, alpaca: { base_url: 'http://127.0.0.1:9' }, strategy: { params_sha256: 'a'.repeat(64) } });
  return createAlpacaBroker({ config, secrets: { ALPACA_API_KEY_ID: 'PKTEST', ALPACA_API_SECRET_KEY: 'secret-1' }, clock: new FakeClock(), fetchApi, retry: { maxRetries: 0 } });
}

describe('AlpacaBroker order lookups', () => {
  it('by id: the order asked for (ids compared without case); another order is a BrokerDataError naming id', async () => {
    await expect(brokerAnswering(200, wireOrder()).getOrder(ID.toUpperCase())).resolves.toMatchObject({ id: ID, client_order_id: CID });
    const other = brokerAnswering(200, wireOrder({ id: '38e482f3-79a8-4f75-a057-f07a1ec6a397' })).getOrder(ID);
    await expect(other).rejects.toBeInstanceOf(BrokerDataError);
    await expect(other).rejects.toThrow(`Alpaca answered GET /v2/orders/${ID} with another order: field id: another order ("38e482f3-79a8-4f75-a057-f07a1ec6a397")`);
    await expect(brokerAnswering(404, { code: 40410000, message: 'order not found' }).getOrder(ID)).resolves.toBeNull();
  });

  it('by client id: the order asked for; another client id is a BrokerDataError naming client_order_id', async () => {
    await expect(brokerAnswering(200, wireOrder()).getOrderByClientId(CID)).resolves.toMatchObject({ id: ID, client_order_id: CID });
    // Client ids are exact: Alpaca keeps them as sent.
    const other = brokerAnswering(200, wireOrder()).getOrderByClientId(CID.toUpperCase());
    await expect(other).rejects.toBeInstanceOf(BrokerDataError);
    await expect(other).rejects.toMatchObject({ details: { field: 'client_order_id' } });
    await expect(brokerAnswering(404, { code: 40410000, message: 'order not found' }).getOrderByClientId(CID)).resolves.toBeNull();
  });
});
