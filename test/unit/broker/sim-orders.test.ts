// listOrders over a large book (paging by submitted_at as Alpaca does) and loading a version 1 book.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { SimBookFile, type SimBook, type SimOrder } from '../../../src/core/broker/sim/book.js';
import type { OrderReport } from '../../../src/core/ports/broker.js';
import { simWorld, type SimWorld } from './sim-world.js';

let w: SimWorld;
afterEach(() => w.cleanup());

const NOW = Date.parse('2025-01-14T16:00:00Z');

function order(i: number, o: Partial<SimOrder> = {}): SimOrder {
  const at = new Date(NOW - (1200 - i) * 1000).toISOString();
  return {
    id: `sim-${String(i + 1).padStart(8, '0')}`, client_order_id: `c-${i}`, symbol: i % 2 ? 'MSFT' : 'AAPL', side: 'buy', type: 'limit', time_in_force: 'gtc',
    qty: 1, filled_qty: 0, filled_avg_price: null, limit_price: 50, stop_price: null, status: i % 10 === 0 ? 'new' : i % 2 ? 'canceled' : 'expired', order_class: 'simple',
    submitted_at: at, filled_at: null, canceled_at: null, updated_at: at, parent_id: null, active: true, live_at: at, checked_to: at, replaces: null, replaced_by: null, cancel_at: null, ...o,
  };
}

async function bigBook(): Promise<void> {
  const orders = Array.from({ length: 1200 }, (_, i) => order(i));
  orders.push(order(1200, { id: 'sim-leg', client_order_id: 'c-0-sl', parent_id: orders[0].id, type: 'stop', side: 'sell', limit_price: null, stop_price: 40, status: 'canceled', submitted_at: orders[0].submitted_at }));
  const book: SimBook = { version: 2, created_at: '2025-01-01T00:00:00Z', starting_cash: 100_000, cash: 100_000, next_id: 1300, positions: {}, orders };
  await w.state.write(SimBookFile, book);
}

describe('SimBroker listOrders', () => {
  it('pages through 1,200 orders newest first with until, each once, legs nested only', async () => {
    w = await simWorld({ symbols: ['AAPL', 'MSFT'] });
    await bigBook();
    const seen: OrderReport[] = [];
    const sizes: number[] = [];
    let until: string | undefined;
    for (;;) {
      const page = await w.broker.listOrders({ status: 'all', limit: 500, until });
      sizes.push(page.length);
      if (page.length === 0) break;
      seen.push(...page);
      until = page[page.length - 1].submitted_at!;
    }
    expect(sizes).toEqual([500, 500, 200, 0]);
    expect(new Set(seen.map((o) => o.id)).size).toBe(1200);
    expect(seen.map((o) => o.submitted_at)).toEqual([...seen.map((o) => o.submitted_at!)].sort().reverse());
    expect(seen.some((o) => o.id === 'sim-leg')).toBe(false);
    expect(seen.find((o) => o.id === 'sim-00000001')!.legs.map((l) => l.id)).toEqual(['sim-leg']);
  });

  it('asc with after pages the other way; limit defaults to 50 and stops at 500; status and symbols filter', async () => {
    w = await simWorld({ symbols: ['AAPL', 'MSFT'] });
    await bigBook();
    const first = await w.broker.listOrders({ status: 'all', direction: 'asc', limit: 3 });
    expect(first.map((o) => o.client_order_id)).toEqual(['c-0', 'c-1', 'c-2']);
    const next = await w.broker.listOrders({ status: 'all', direction: 'asc', limit: 2, after: first[2].submitted_at! });
    expect(next.map((o) => o.client_order_id)).toEqual(['c-3', 'c-4']);
    expect(await w.broker.listOrders({ status: 'all' })).toHaveLength(50);
    expect(await w.broker.listOrders({ status: 'all', limit: 5000 })).toHaveLength(500);
    const open = await w.broker.listOrders({ status: 'open', limit: 500 });
    expect(open).toHaveLength(120);
    expect(open.every((o) => o.status === 'new' && o.symbol === 'AAPL')).toBe(true);
    expect(await w.broker.listOrders({ status: 'closed', limit: 500, symbols: ['MSFT'] })).toHaveLength(500);
    expect((await w.broker.listOrders({ status: 'open', symbols: ['MSFT'] })).length).toBe(0);
  });

  it('a version 1 book (no live_at, rest_from dates) still loads and its resting orders go on', async () => {
    w = await simWorld();
    const v1 = {
      version: 1, created_at: '2025-01-02T00:00:00Z', starting_cash: 100_000, cash: 99_000, next_id: 2, positions: { AAPL: { qty: 10, avg_entry_price: 100 } },
      orders: [{ id: 'sim-00000001', client_order_id: 'old-stop', symbol: 'AAPL', side: 'sell', type: 'stop', time_in_force: 'gtc', qty: 10, filled_qty: 0, filled_avg_price: null, limit_price: null, stop_price: 95, status: 'accepted', order_class: 'simple', submitted_at: '2025-01-10T16:00:00.000Z', filled_at: null, canceled_at: null, updated_at: '2025-01-10T16:00:00.000Z', parent_id: null, active: true, rest_from: '2025-01-10' }],
    };
    fs.writeFileSync(w.bookFile, JSON.stringify(v1));
    const o = await w.broker.getOrderByClientId('old-stop');
    expect(o).toMatchObject({ status: 'new', replaces: null, replaced_by: null, qty: 10 });
    expect(w.state.read(SimBookFile).version).toBe(2);
  });
});
