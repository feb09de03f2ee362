// One contract, two brokers: the SimBroker on a temp kobe home and the AlpacaBroker (the real SDK)
// pointed at the local fake Alpaca server. Reconcile and the OMS rely on these behaving alike, so
// every case runs unchanged against both: an order is answered `accepted` with nothing filled and
// moves only when the world does (advance: the sim's FakeClock or the fake's clock; moveTo: the
// sim's next session bar or the fake's price).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { BrokerRejection, DuplicateClientOrderId } from '../../src/core/broker/errors.js';
import { SimBroker, type SimSettings } from '../../src/core/broker/sim/client.js';
import { StorePrices } from '../../src/core/broker/sim/prices.js';
import { BarStore } from '../../src/core/data/store.js';
import { nextSession, sessionsBetween } from '../../src/core/market/calendar.js';
import { isTerminal, type Broker, type OrderReport, type OrderRequest, type SubmitPermit } from '../../src/core/ports/broker.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { StateStore } from '../../src/core/state/store.js';
import { seriesFromRows } from '../../src/core/strategy/bars.js';
import { FakeAlpacaServer, alpacaBrokerFor } from '../fakes/alpaca-server.js';
import { tempStateHome } from '../helpers/home.js';

/** A broker under test, how to move its world, and how to dispose of it. */
interface World {
  broker: Broker;
  /** Let `ms` pass: accepted orders reach the venue and marketable ones fill. */
  advance(ms: number): Promise<void>;
  /** The market trades through `px` (sim: the next session's bar reaches it and the clock moves into that session). */
  moveTo(symbol: string, px: number): Promise<void>;
  cleanup(): Promise<void>;
}

// The permit is minted only in src/core/oms/submit.ts; the choke point is proven there.
const PERMIT = {} as SubmitPermit;
const NOW = '2025-01-14T16:00:00Z'; // Tuesday 11:00 ET, market open
const PRICES: Record<string, number> = { AAPL: 100, MSFT: 200, XOM: 50 };
const LATER = 1_000; // longer than any fill delay

function order(cid: string, o: Partial<OrderRequest> = {}): OrderRequest {
  return { client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null, ...o };
}
/** A buy far below the market: rests open. */
const resting = (cid: string, symbol = 'AAPL', qty = 10) => order(cid, { symbol, qty, time_in_force: 'day', limit_price: Math.round(PRICES[symbol] * 0.5) });
const WAITING = ['accepted', 'new', 'pending_new'];

async function simWorld(): Promise<World> {
  const home = tempStateHome();
  fs.mkdirSync(path.join(home.paths.stateDir, 'sim'));
  const clock = new FakeClock(NOW);
  const bars = new BarStore(path.join(home.dir, 'data', 'cache'), () => clock.now(), home.dir);
  const rows = new Map<string, Array<{ date: string; open: number; high: number; low: number; close: number; volume: number }>>();
  for (const [symbol, p] of Object.entries(PRICES)) {
    rows.set(symbol, sessionsBetween('2024-12-02', '2025-01-13').map((date) => ({ date, open: p, high: p * 1.01, low: p * 0.99, close: p, volume: 1_000_000 })));
    await bars.write(seriesFromRows(symbol, rows.get(symbol)!), { source: 'synthetic' });
  }
  // The sim's price source caches series: moveTo swaps in a fresh one after writing a bar.
  let prices = new StorePrices(bars);
  const live = new Proxy({} as StorePrices, {
    get: (_t, k) => {
      const v = (prices as unknown as Record<string | symbol, unknown>)[k];
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(prices) : v;
    },
  });
  const settings = { starting_cash: 100_000, slippage_bps: 5, partial_fills: false, fill_delay_ms: 250 } as SimSettings;
  const broker = new SimBroker(new StateStore(home.paths), live, clock, settings);
  let session = '2025-01-14';
  return {
    broker,
    advance: async (ms) => clock.advance(ms),
    moveTo: async (symbol, px) => {
      const last = rows.get(symbol)!.at(-1)!.close;
      session = nextSession(session);
      rows.get(symbol)!.push({ date: session, open: last, high: Math.max(last, px) * 1.001, low: Math.min(last, px) * 0.999, close: px, volume: 1_000_000 });
      await bars.write(seriesFromRows(symbol, rows.get(symbol)!), { source: 'synthetic' });
      prices = new StorePrices(bars);
      clock.set(`${session}T20:30:00Z`); // 15:30 ET: the session's path has been walked
    },
    cleanup: async () => home.cleanup(),
  };
}

async function alpacaWorld(): Promise<World> {
  const server = await new FakeAlpacaServer({ prices: PRICES, cash: 100_000, now: NOW }).start();
  return {
    broker: alpacaBrokerFor(server),
    advance: async (ms) => server.advance(ms),
    moveTo: async (symbol, px) => server.setPrice(symbol, px),
    cleanup: () => server.stop(),
  };
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

    /** Buy `qty` AAPL and let it fill. */
    async function hold(qty: number): Promise<OrderReport> {
      const o = await b.submitOrder(order(`c-hold-${qty}`, { qty }), PERMIT);
      await w.advance(LATER);
      const filled = await b.getOrder(o.id);
      expect(filled?.status).toBe('filled');
      return filled!;
    }

    it('the account reports numbers, not strings, and its flags as booleans', async () => {
      const a = await b.account();
      expect(a).toMatchObject({ cash: 100_000, equity: 100_000, buying_power: 100_000, currency: 'USD', trading_blocked: false, account_blocked: false });
      for (const k of ['cash', 'equity', 'buying_power', 'last_equity', 'daytrade_count'] as const) expect(Number.isFinite(a[k])).toBe(true);
      expect(typeof a.pattern_day_trader).toBe('boolean');
      expect(a.id.length).toBeGreaterThan(0);
    });

    it('a POST is answered accepted with nothing filled; the order fills only after time passes', async () => {
      const o = await b.submitOrder(order('c-buy-1'), PERMIT);
      expect(o).toMatchObject({ client_order_id: 'c-buy-1', symbol: 'AAPL', side: 'buy', type: 'limit', qty: 10, filled_qty: 0, filled_avg_price: null, limit_price: 101 });
      expect(WAITING).toContain(o.status);
      expect(await b.positions()).toEqual([]);
      await w.advance(LATER);
      const f = await b.getOrder(o.id);
      expect(f).toMatchObject({ id: o.id, status: 'filled', filled_qty: 10 });
      expect(f!.filled_avg_price).toBeGreaterThanOrEqual(100);
      expect(f!.filled_avg_price).toBeLessThanOrEqual(101);
      const positions = await b.positions();
      expect(positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
      expect(positions[0].avg_entry_price).toBeCloseTo(f!.filled_avg_price!, 4);
      expect((await b.account()).cash).toBeCloseTo(100_000 - 10 * f!.filled_avg_price!, 2);
    });

    it('get by id and get by client id return the same order', async () => {
      const o = await b.submitOrder(order('c-get-1'), PERMIT);
      const byId = await b.getOrder(o.id);
      const byCid = await b.getOrderByClientId('c-get-1');
      expect(byId).toEqual(byCid);
      expect(byId).toMatchObject({ id: o.id, client_order_id: 'c-get-1', status: o.status, filled_qty: 0, legs: [] });
    });

    it('an IOC that cannot fill is canceled with nothing filled, and stays findable by client id', async () => {
      const o = await b.submitOrder(order('c-ioc-1', { limit_price: 90 }), PERMIT);
      expect(WAITING).toContain(o.status);
      await w.advance(LATER);
      expect(await b.getOrderByClientId('c-ioc-1')).toMatchObject({ id: o.id, status: 'canceled', filled_qty: 0 });
      expect(await b.positions()).toEqual([]);
      expect((await b.listOrders({ status: 'closed' })).map((x) => x.id)).toContain(o.id);
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
      await w.advance(LATER);
      expect((await b.getOrderByClientId('c-dup-2'))?.status).toBe('canceled');
      await expect(b.submitOrder(resting('c-dup-2'), PERMIT)).rejects.toBeInstanceOf(DuplicateClientOrderId);
    });

    it('a non-marketable day limit is open until cancelled, then canceled and closed', async () => {
      const o = await b.submitOrder(resting('c-rest-1'), PERMIT);
      await w.advance(LATER);
      expect(await b.getOrder(o.id)).toMatchObject({ status: 'new', filled_qty: 0 });
      expect((await b.listOrders({ status: 'open' })).map((x) => x.id)).toContain(o.id);
      await b.cancelOrder(o.id);
      await w.advance(LATER);
      expect((await b.getOrder(o.id))?.status).toBe('canceled');
      expect((await b.listOrders({ status: 'open' })).map((x) => x.id)).not.toContain(o.id);
      expect((await b.listOrders({ status: 'closed' })).map((x) => x.id)).toContain(o.id);
      await expect(b.cancelOrder(o.id)).rejects.toBeInstanceOf(BrokerRejection);
    });

    it('cancelAllOrders cancels every open order and reports them; a filled order is left alone', async () => {
      const filled = await b.submitOrder(order('c-all-3', { symbol: 'XOM', limit_price: 51 }), PERMIT);
      await w.advance(LATER);
      const ids = [(await b.submitOrder(resting('c-all-1'), PERMIT)).id, (await b.submitOrder(resting('c-all-2', 'MSFT'), PERMIT)).id];
      const acted = await b.cancelAllOrders();
      expect(acted.map((o) => o.id).sort()).toEqual([...ids].sort());
      await w.advance(LATER);
      expect(await b.listOrders({ status: 'open' })).toEqual([]);
      for (const id of ids) expect((await b.getOrder(id))?.status).toBe('canceled');
      expect((await b.getOrder(filled.id))?.status).toBe('filled');
      await expect(b.cancelOrder(filled.id)).rejects.toBeInstanceOf(BrokerRejection);
    });

    it('selling more than is held, or than open sells leave free, is a BrokerRejection 403 and places nothing', async () => {
      await hold(5);
      const err = await b.submitOrder(order('c-sell-1', { side: 'sell', qty: 6, limit_price: 99 }), PERMIT).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BrokerRejection);
      expect(err).not.toBeInstanceOf(DuplicateClientOrderId);
      expect((err as BrokerRejection).status).toBe(403);
      expect(await b.getOrderByClientId('c-sell-1')).toBeNull();
      await b.submitOrder(order('c-sell-2', { side: 'sell', qty: 3, limit_price: 150, time_in_force: 'gtc' }), PERMIT);
      const reserved = await b.submitOrder(order('c-sell-3', { side: 'sell', qty: 3, limit_price: 150, time_in_force: 'gtc' }), PERMIT).catch((e: unknown) => e);
      expect((reserved as BrokerRejection).status).toBe(403);
      expect((await b.positions())[0]?.qty).toBe(5);
    });

    it('a resting GTC sell stop triggers when the market trades through it', async () => {
      await hold(10);
      const stop = await b.submitOrder(order('c-stop-1', { side: 'sell', type: 'stop', stop_price: 95, limit_price: null, time_in_force: 'gtc' }), PERMIT);
      await w.advance(LATER);
      expect(await b.getOrder(stop.id)).toMatchObject({ status: 'new', type: 'stop', stop_price: 95, filled_qty: 0 });
      await w.moveTo('AAPL', 90);
      const f = await b.getOrder(stop.id);
      expect(f).toMatchObject({ status: 'filled', filled_qty: 10 });
      expect(f!.filled_avg_price).toBeLessThanOrEqual(95);
      expect(f!.filled_avg_price).toBeGreaterThanOrEqual(89);
      expect(await b.positions()).toEqual([]);
    });

    it('an OCO exit: the target fills and the stop is canceled', async () => {
      await hold(10);
      const oco = await b.submitOrder(
        order('c-oco-1', { side: 'sell', type: 'limit', limit_price: 110, time_in_force: 'gtc', order_class: 'oco', take_profit: { limit_price: 110 }, stop_loss: { stop_price: 95 } }),
        PERMIT,
      );
      expect(oco.order_class).toBe('oco');
      await w.advance(LATER);
      const resting = await b.getOrder(oco.id);
      const all = () => [resting!, ...resting!.legs];
      // Alpaca keeps an oco's stop leg `held` until it triggers.
      expect(Object.fromEntries(all().map((o) => [o.type, o.status]))).toEqual({ limit: 'new', stop: expect.stringMatching(/^(new|held)$/) });
      await w.moveTo('AAPL', 111);
      const after = await b.getOrder(oco.id);
      const byType = Object.fromEntries([after!, ...after!.legs].map((o) => [o.type, o]));
      expect(byType.limit).toMatchObject({ status: 'filled', filled_qty: 10 });
      expect(byType.stop).toMatchObject({ status: 'canceled', filled_qty: 0 });
      expect(await b.positions()).toEqual([]);
    });

    it('replace of a resting stop: refused while accepted, then the old order is replaced by the new one', async () => {
      await hold(10);
      const old = await b.submitOrder(order('c-rep-1', { side: 'sell', type: 'stop', stop_price: 90, limit_price: null, time_in_force: 'gtc' }), PERMIT);
      if (old.status === 'accepted') {
        const early = await b.replaceOrder(old.id, { stop_price: 93 }, PERMIT).catch((e: unknown) => e);
        expect(early).toBeInstanceOf(BrokerRejection);
        expect((early as BrokerRejection).status).toBe(422);
      }
      await w.advance(LATER);
      const next = await b.replaceOrder(old.id, { stop_price: 93, client_order_id: 'c-rep-1-a2' }, PERMIT);
      expect(next).toMatchObject({ client_order_id: 'c-rep-1-a2', replaces: old.id, stop_price: 93, qty: 10, type: 'stop', side: 'sell' });
      expect(next.id).not.toBe(old.id);
      await w.advance(LATER);
      expect(await b.getOrder(old.id)).toMatchObject({ status: 'replaced', replaced_by: next.id });
      expect(await b.getOrder(next.id)).toMatchObject({ status: 'new', stop_price: 93, replaces: old.id });
      expect((await b.listOrders({ status: 'open' })).map((o) => o.id)).toEqual([next.id]);
      await expect(b.replaceOrder(old.id, { stop_price: 94 }, PERMIT)).rejects.toBeInstanceOf(BrokerRejection);
    });

    it('more than 500 orders take two pages (until), none lost or repeated', async () => {
      const n = 501;
      for (let i = 0; i < n; i++) {
        await b.submitOrder(resting(`c-page-${i}`, 'XOM', 1), PERMIT);
        await w.advance(1);
      }
      const first = await b.listOrders({ status: 'all', limit: 1_000 });
      expect(first).toHaveLength(500);
      expect(first[0].client_order_id).toBe(`c-page-${n - 1}`);
      const oldest = first.at(-1)!.submitted_at!;
      const second = await b.listOrders({ status: 'all', limit: 500, until: oldest });
      expect(second.map((o) => o.client_order_id)).toEqual(['c-page-0']);
      const asc = await b.listOrders({ status: 'all', limit: 2, direction: 'asc' });
      expect(asc.map((o) => o.client_order_id)).toEqual(['c-page-0', 'c-page-1']);
      expect(new Set([...first, ...second].map((o) => o.id)).size).toBe(n);
    }, 120_000);

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
