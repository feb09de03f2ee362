// One contract, two brokers: the SimBroker on a temp kobe home and the AlpacaBroker (the real SDK)
// pointed at the local fake Alpaca server. Reconcile and the submit path rely on these behaving
// alike, so every case runs unchanged against both.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { BrokerRejection, DuplicateClientOrderId } from '../../src/core/broker/errors.js';
import { SimBroker } from '../../src/core/broker/sim/client.js';
import { StorePrices } from '../../src/core/broker/sim/prices.js';
import { BarStore } from '../../src/core/data/store.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { isTerminal, type Broker, type OrderRequest, type SubmitPermit } from '../../src/core/ports/broker.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { StateStore } from '../../src/core/state/store.js';
import { seriesFromRows } from '../../src/core/strategy/bars.js';
import { FakeAlpacaServer, alpacaBrokerFor } from '../fakes/alpaca-server.js';
import { tempStateHome } from '../helpers/home.js';

/** A broker under test and how to dispose of it. */
interface World {
  broker: Broker;
  cleanup(): Promise<void>;
}

// The permit is minted only in src/core/oms/submit.ts; the choke point is proven there.
const PERMIT = {} as SubmitPermit;
const NOW = '2025-01-14T16:00:00Z'; // Tuesday 11:00 ET, market open
const PRICES: Record<string, number> = { AAPL: 100, MSFT: 200, XOM: 50 };

function order(cid: string, o: Partial<OrderRequest> = {}): OrderRequest {
  return { client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null, ...o };
}
/** A buy far below the market: rests open. */
const resting = (cid: string, symbol = 'AAPL') => order(cid, { symbol, time_in_force: 'day', limit_price: Math.round(PRICES[symbol] * 0.5) });

async function simWorld(): Promise<World> {
  const home = tempStateHome();
  fs.mkdirSync(path.join(home.paths.stateDir, 'sim'));
  const clock = new FakeClock(NOW);
  const bars = new BarStore(path.join(home.dir, 'data', 'cache'), () => clock.now(), home.dir);
  for (const [symbol, p] of Object.entries(PRICES)) {
    const rows = sessionsBetween('2024-12-02', '2025-01-13').map((date) => ({ date, open: p, high: p * 1.01, low: p * 0.99, close: p, volume: 1_000_000 }));
    await bars.write(seriesFromRows(symbol, rows), { source: 'synthetic' });
  }
  const broker = new SimBroker(new StateStore(home.paths), new StorePrices(bars), clock, { starting_cash: 100_000, slippage_bps: 5, partial_fills: false });
  return { broker, cleanup: async () => home.cleanup() };
}

async function alpacaWorld(): Promise<World> {
  const server = await new FakeAlpacaServer({ prices: PRICES, cash: 100_000, now: () => new Date(NOW) }).start();
  return { broker: alpacaBrokerFor(server), cleanup: () => server.stop() };
}

/** The Broker contract, run against one implementation. */
export function brokerContract(name: string, make: () => Promise<World>): void {
  describe(`Broker contract: ${name}`, () => {
    let w: World;
    let b: Broker;
    beforeEach(async () => {
      w = await make();
      b = w.broker;
    });
    afterEach(async () => w.cleanup());

    it('the account reports numbers, not strings, and its flags as booleans', async () => {
      const a = await b.account();
      expect(a).toMatchObject({ cash: 100_000, equity: 100_000, buying_power: 100_000, currency: 'USD', trading_blocked: false, account_blocked: false });
      for (const k of ['cash', 'equity', 'buying_power', 'last_equity', 'daytrade_count'] as const) expect(Number.isFinite(a[k])).toBe(true);
      expect(typeof a.pattern_day_trader).toBe('boolean');
      expect(a.id.length).toBeGreaterThan(0);
    });

    it('a marketable limit buy fills in full, and positions and cash reflect it', async () => {
      const o = await b.submitOrder(order('c-buy-1'), PERMIT);
      expect(o).toMatchObject({ client_order_id: 'c-buy-1', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, filled_qty: 10, status: 'filled', limit_price: 101 });
      expect(o.filled_avg_price).toBeGreaterThanOrEqual(100);
      expect(o.filled_avg_price).toBeLessThanOrEqual(101);
      const positions = await b.positions();
      expect(positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
      expect(positions[0].avg_entry_price).toBeCloseTo(o.filled_avg_price!, 4);
      expect((await b.account()).cash).toBeCloseTo(100_000 - 10 * o.filled_avg_price!, 2);
    });

    it('get by id and get by client id return the same order', async () => {
      const o = await b.submitOrder(order('c-get-1'), PERMIT);
      const byId = await b.getOrder(o.id);
      const byCid = await b.getOrderByClientId('c-get-1');
      expect(byId).toEqual(byCid);
      expect(byId).toMatchObject({ id: o.id, client_order_id: 'c-get-1', status: o.status, filled_qty: o.filled_qty, legs: [] });
    });

    it('a reused client_order_id is DuplicateClientOrderId and no second order exists', async () => {
      await b.submitOrder(order('c-dup-1'), PERMIT);
      const err = await b.submitOrder(order('c-dup-1', { qty: 1 }), PERMIT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DuplicateClientOrderId);
      expect((err as DuplicateClientOrderId).status).toBe(422);
      expect((await b.listOrders({ status: 'all' })).filter((o) => o.client_order_id === 'c-dup-1')).toHaveLength(1);
    });

    it('a client_order_id stays taken after its order is cancelled', async () => {
      const o = await b.submitOrder(resting('c-dup-2'), PERMIT);
      await b.cancelOrder(o.id);
      await expect(b.submitOrder(resting('c-dup-2'), PERMIT)).rejects.toBeInstanceOf(DuplicateClientOrderId);
    });

    it('a non-marketable day limit is open until cancelled, then canceled and closed', async () => {
      const o = await b.submitOrder(resting('c-rest-1'), PERMIT);
      expect(isTerminal(o.status)).toBe(false);
      expect(o.filled_qty).toBe(0);
      expect((await b.listOrders({ status: 'open' })).map((x) => x.id)).toContain(o.id);
      await b.cancelOrder(o.id);
      expect((await b.getOrder(o.id))?.status).toBe('canceled');
      expect((await b.listOrders({ status: 'open' })).map((x) => x.id)).not.toContain(o.id);
      expect((await b.listOrders({ status: 'closed' })).map((x) => x.id)).toContain(o.id);
      await expect(b.cancelOrder(o.id)).rejects.toBeInstanceOf(BrokerRejection);
    });

    it('cancelAllOrders cancels every open order and reports them', async () => {
      const ids = [(await b.submitOrder(resting('c-all-1'), PERMIT)).id, (await b.submitOrder(resting('c-all-2', 'MSFT'), PERMIT)).id];
      const filled = await b.submitOrder(order('c-all-3', { symbol: 'XOM', limit_price: 51 }), PERMIT);
      const acted = await b.cancelAllOrders();
      expect(acted.map((o) => o.id).sort()).toEqual([...ids].sort());
      expect(await b.listOrders({ status: 'open' })).toEqual([]);
      for (const id of ids) expect((await b.getOrder(id))?.status).toBe('canceled');
      expect((await b.getOrder(filled.id))?.status).toBe('filled');
    });

    it('selling more than is held is a BrokerRejection 403 and places nothing', async () => {
      await b.submitOrder(order('c-sell-0', { qty: 5 }), PERMIT);
      const err = await b.submitOrder(order('c-sell-1', { side: 'sell', qty: 6, limit_price: 99 }), PERMIT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerRejection);
      expect(err).not.toBeInstanceOf(DuplicateClientOrderId);
      expect((err as BrokerRejection).status).toBe(403);
      expect(await b.getOrderByClientId('c-sell-1')).toBeNull();
      expect((await b.positions())[0]?.qty).toBe(5);
    });

    it('unknown ids give null, never an error or an empty order', async () => {
      expect(await b.getOrderByClientId('kobe-19990101-NOPE-buy-x-entry')).toBeNull();
      expect(await b.getOrder('00000000-0000-4000-8000-000000000000')).toBeNull();
    });

    it('the clock: open at 11:00 ET, closing at 16:00 ET today, next open tomorrow 09:30 ET, in UTC', async () => {
      expect(await b.clock()).toEqual({ timestamp: '2025-01-14T16:00:00.000Z', is_open: true, next_open: '2025-01-15T14:30:00.000Z', next_close: '2025-01-14T21:00:00.000Z' });
    });

    it('the calendar: NYSE sessions with holidays left out and early closes', async () => {
      expect((await b.calendar('2025-01-13', '2025-01-21')).map((d) => d.date)).toEqual(['2025-01-13', '2025-01-14', '2025-01-15', '2025-01-16', '2025-01-17', '2025-01-21']);
      expect(await b.calendar('2025-07-02', '2025-07-07')).toEqual([
        { date: '2025-07-02', open: '09:30', close: '16:00' },
        { date: '2025-07-03', open: '09:30', close: '13:00' },
        { date: '2025-07-07', open: '09:30', close: '16:00' },
      ]);
    });
  });
}

brokerContract('SimBroker', simWorld);
brokerContract('AlpacaBroker on the fake Alpaca server', alpacaWorld);
