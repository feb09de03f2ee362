// A SimBroker on a temp kobe home with bars made to order, for the sim-*.test.ts files.
import fs from 'node:fs';
import path from 'node:path';
import { SimBookFile, type SimBook } from '../../../src/core/broker/sim/book.js';
import { SimBroker, type SimSettings } from '../../../src/core/broker/sim/client.js';
import { StorePrices } from '../../../src/core/broker/sim/prices.js';
import { BarStore } from '../../../src/core/data/store.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import type { OrderRequest, SubmitPermit } from '../../../src/core/ports/broker.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { StateStore } from '../../../src/core/state/store.js';
import { seriesFromRows } from '../../../src/core/strategy/bars.js';
import { tempStateHome } from '../../helpers/home.js';

export const PERMIT = {} as SubmitPermit;

/** One session's prices: [open, high, low, close]. */
export type Ohlc = [number, number, number, number];

export interface SimWorld {
  broker: SimBroker;
  clock: FakeClock;
  state: StateStore;
  /** state/sim/book.json of the temp home. */
  bookFile: string;
  /** Put shares in the sim's book directly (as if bought earlier). */
  hold(symbol: string, qty: number, avg?: number): Promise<void>;
  /** Move the clock by ms. */
  wait(ms: number): void;
  cleanup(): void;
}

/**
 * AAPL (and any symbol in `extra`) trades flat at 100 from 2024-12-02 through `through`, except
 * the sessions given in `days`. Settings default to no slippage-free surprises: 5 bps slippage,
 * 2 bps spread, 250 ms delay.
 */
export async function simWorld(opts: { days?: Record<string, Ohlc>; through?: string; start?: string; settings?: Partial<SimSettings>; symbols?: string[] } = {}): Promise<SimWorld> {
  const home = tempStateHome();
  fs.mkdirSync(path.join(home.paths.stateDir, 'sim'));
  const clock = new FakeClock(opts.start ?? '2025-01-14T16:00:00Z');
  const bars = new BarStore(path.join(home.dir, 'data', 'cache'), () => clock.now(), home.dir);
  for (const symbol of opts.symbols ?? ['AAPL']) {
    const rows = sessionsBetween('2024-12-02', opts.through ?? '2025-01-17').map((date) => {
      const [open, high, low, close] = opts.days?.[date] ?? [100, 100, 100, 100];
      return { date, open, high, low, close, volume: 1_000_000 };
    });
    await bars.write(seriesFromRows(symbol, rows), { source: 'synthetic' });
  }
  const state = new StateStore(home.paths);
  const settings: SimSettings = { starting_cash: 100_000, slippage_bps: 5, partial_fills: false, fill_delay_ms: 250, spread_bps: 2, reject_symbols: [], ...opts.settings };
  const broker = new SimBroker(state, new StorePrices(bars), clock, settings);
  return {
    broker,
    clock,
    state,
    bookFile: path.join(home.paths.stateDir, 'sim', 'book.json'),
    async hold(symbol, qty, avg = 100) {
      const book: SimBook = { version: 2, created_at: clock.now().toISOString(), starting_cash: 100_000, cash: 100_000 - qty * avg, next_id: 1, positions: { [symbol]: { qty, avg_entry_price: avg } }, orders: [] };
      await state.write(SimBookFile, book);
    },
    wait: (ms) => clock.advance(ms),
    cleanup: () => home.cleanup(),
  };
}

/** An order request with defaults: buy 10 AAPL, IOC limit 101. */
export function req(cid: string, o: Partial<OrderRequest> = {}): OrderRequest {
  return { client_order_id: cid, symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 101, stop_price: null, ...o };
}

/** A resting GTC sell stop. */
export const sellStop = (cid: string, stop: number, qty = 10): OrderRequest => req(cid, { side: 'sell', qty, type: 'stop', time_in_force: 'gtc', limit_price: null, stop_price: stop });
