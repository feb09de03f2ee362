// SimBroker: the embedded paper broker. It keeps its own books in state/sim/book.json, fills
// against the local bar store with configurable slippage, and enforces client_order_id uniqueness
// exactly like Alpaca (HTTP 422, also after a cancel). Every call first "catches up": resting
// orders are matched against the bars of sessions completed since they were placed, with stops
// checked before targets inside a bar and gaps through a level filled at the open.
import type { Clock } from '../../ports/clock.js';
import { isTerminal, type AccountReport, type Broker, type BrokerOrderStatus, type CalendarDay, type ClockReport, type ListOrdersQuery, type OrderReport, type OrderRequest, type PositionReport, type SubmitPermit } from '../../ports/broker.js';
import { closeTimeEt, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../../market/calendar.js';
import { lastCompletedSession } from '../../market/sessions.js';
import { etDate } from '../../market/time.js';
import type { StateStore } from '../../state/store.js';
import type { Quote, Quotes } from '../../ports/quotes.js';
import { BrokerRejection, DuplicateClientOrderId } from '../errors.js';
import { SimBookFile, type SimBook, type SimOrder } from './book.js';
import type { SimBar, SimPrices } from './prices.js';

/** Settings of the sim broker (config `sim`). */
export interface SimSettings {
  starting_cash: number;
  slippage_bps: number;
  partial_fills: boolean;
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

function report(o: SimOrder, all: SimOrder[]): OrderReport {
  const { parent_id: _p, active: _a, rest_from: _r, ...rest } = o;
  return { ...rest, status: o.status as BrokerOrderStatus, legs: all.filter((x) => x.parent_id === o.id).map((l) => report(l, all)) };
}

/** The simulated broker. */
export class SimBroker implements Broker, Quotes {
  readonly name = 'sim' as const;
  readonly host = 'sim';

  constructor(
    private readonly store: StateStore,
    private readonly prices: SimPrices,
    private readonly time: Clock,
    private readonly settings: SimSettings,
  ) {}

  private async tx<T>(fn: (book: SimBook, now: Date) => T): Promise<T> {
    let out: T | undefined;
    const now = this.time.now();
    await this.store.update(SimBookFile, (current) => {
      const book = this.store.exists(SimBookFile) ? current : this.newBook(now);
      this.catchUp(book, now);
      out = fn(book, now);
      return book;
    });
    return out as T;
  }

  /** Reads skip the lock and the write unless catching up changed the book (then it is a tx). */
  private async view<T>(fn: (book: SimBook, now: Date) => T): Promise<T> {
    const now = this.time.now();
    const book = this.store.exists(SimBookFile) ? this.store.read(SimBookFile) : this.newBook(now);
    if (this.catchUp(book, now)) return this.tx(fn);
    return fn(book, now);
  }

  private newBook(now: Date): SimBook {
    return { version: 1, created_at: now.toISOString(), starting_cash: this.settings.starting_cash, cash: this.settings.starting_cash, next_id: 1, positions: {}, orders: [] };
  }

  private marketOpen(now: Date): boolean {
    const d = etDate(now);
    return isTradingDay(d) && now >= sessionOpenUtc(d) && now < sessionCloseUtc(d);
  }

  private slip(side: 'buy' | 'sell', px: number): number {
    const s = this.settings.slippage_bps / 10_000;
    return round4(side === 'buy' ? px * (1 + s) : px * (1 - s));
  }

  private fill(book: SimBook, o: SimOrder, qty: number, px: number, at: string): void {
    const pos = book.positions[o.symbol] ?? { qty: 0, avg_entry_price: 0 };
    if (o.side === 'buy') {
      const newQty = pos.qty + qty;
      pos.avg_entry_price = round4((pos.qty * pos.avg_entry_price + qty * px) / newQty);
      pos.qty = newQty;
      book.cash = round4(book.cash - qty * px);
    } else {
      pos.qty -= qty;
      book.cash = round4(book.cash + qty * px);
    }
    if (pos.qty === 0) delete book.positions[o.symbol];
    else book.positions[o.symbol] = pos;
    const prevQty = o.filled_qty;
    o.filled_qty = prevQty + qty;
    o.filled_avg_price = round4(((o.filled_avg_price ?? 0) * prevQty + px * qty) / o.filled_qty);
    o.status = o.filled_qty >= o.qty ? 'filled' : 'partially_filled';
    if (o.status === 'filled') o.filled_at = at;
    o.updated_at = at;
    if (o.status === 'filled') this.onFilled(book, o, at);
  }

  private onFilled(book: SimBook, o: SimOrder, at: string): void {
    for (const leg of book.orders) {
      if (leg.parent_id === o.id) {
        leg.active = true;
        leg.rest_from = etDate(new Date(at));
        leg.qty = o.filled_qty;
      }
      // One leg of a bracket filled: its sibling is cancelled (OCO).
      if (o.parent_id && leg.parent_id === o.parent_id && leg.id !== o.id && !isTerminal(leg.status as BrokerOrderStatus)) this.cancel(leg, at);
    }
  }

  private cancel(o: SimOrder, at: string): void {
    o.status = 'canceled';
    o.canceled_at = at;
    o.updated_at = at;
  }

  /** Match a resting order against one complete bar; returns the fill price or null. */
  private matchBar(o: SimOrder, bar: SimBar, firstDay: boolean): number | null {
    const lim = o.limit_price;
    const stop = o.stop_price;
    // On the day the order was placed, the open had already happened: no gap fills at the open.
    if (o.type === 'market') return firstDay ? null : this.slip(o.side, bar.open);
    if (o.type === 'stop' && stop !== null) {
      if (o.side === 'sell') {
        if (!firstDay && bar.open <= stop) return this.slip('sell', bar.open);
        return bar.low <= stop ? this.slip('sell', stop) : null;
      }
      if (!firstDay && bar.open >= stop) return this.slip('buy', bar.open);
      return bar.high >= stop ? this.slip('buy', stop) : null;
    }
    if (o.type === 'limit' && lim !== null) {
      if (o.side === 'sell') {
        if (!firstDay && bar.open >= lim) return bar.open;
        return bar.high >= lim ? lim : null;
      }
      if (!firstDay && bar.open <= lim) return bar.open;
      return bar.low <= lim ? lim : null;
    }
    return null;
  }

  /** Process resting orders against bars of sessions completed up to `now`; true when anything changed. */
  private catchUp(book: SimBook, now: Date): boolean {
    let changed = false;
    const done = lastCompletedSession(now);
    const at = (d: string) => sessionCloseUtc(d).toISOString();
    // Stops before targets: sort so that within a day stop legs are tried first.
    const open = () => book.orders.filter((o) => o.active && !isTerminal(o.status as BrokerOrderStatus)).sort((a, b) => (a.type === 'stop' ? 0 : 1) - (b.type === 'stop' ? 0 : 1));
    for (const day of book.orders.length ? sessionsBetween(this.earliestRest(book, done), done) : []) {
      for (const o of open()) {
        if (day < o.rest_from || isTerminal(o.status as BrokerOrderStatus)) continue;
        const [bar] = this.prices.bars(o.symbol, day, day);
        if (bar) {
          const px = this.matchBar(o, bar, day === o.rest_from && o.submitted_at !== null && new Date(o.submitted_at) >= sessionOpenUtc(day));
          if (px !== null) {
            this.fill(book, o, o.qty - o.filled_qty, px, at(day));
            changed = true;
          }
        }
        if (o.time_in_force === 'day' && !isTerminal(o.status as BrokerOrderStatus) && o.parent_id === null) {
          o.status = 'expired';
          o.updated_at = at(day);
          changed = true;
        }
      }
    }
    return changed;
  }

  private earliestRest(book: SimBook, done: string): string {
    let min = done;
    for (const o of book.orders) if (o.active && !isTerminal(o.status as BrokerOrderStatus) && o.rest_from < min) min = o.rest_from;
    return min;
  }

  private reserved(book: SimBook): number {
    let r = 0;
    for (const o of book.orders) if (o.side === 'buy' && o.active && !isTerminal(o.status as BrokerOrderStatus)) r += (o.qty - o.filled_qty) * (o.limit_price ?? o.stop_price ?? 0);
    return r;
  }

  private sellable(book: SimBook, symbol: string): number {
    let held = book.positions[symbol]?.qty ?? 0;
    for (const o of book.orders) {
      if (o.symbol === symbol && o.side === 'sell' && o.active && o.parent_id === null && !isTerminal(o.status as BrokerOrderStatus)) held -= o.qty - o.filled_qty;
    }
    return held;
  }

  private newOrder(book: SimBook, req: OrderRequest, now: Date, extra: Partial<SimOrder> = {}): SimOrder {
    const at = now.toISOString();
    const id = `sim-${String(book.next_id++).padStart(8, '0')}`;
    const o: SimOrder = {
      id, client_order_id: req.client_order_id, symbol: req.symbol, side: req.side, type: req.type, time_in_force: req.time_in_force,
      qty: req.qty, filled_qty: 0, filled_avg_price: null, limit_price: req.limit_price ?? null, stop_price: req.stop_price ?? null,
      status: 'accepted', order_class: req.order_class ?? 'simple', submitted_at: at, filled_at: null, canceled_at: null, updated_at: at,
      parent_id: null, active: true, rest_from: this.marketOpen(now) ? etDate(now) : this.nextTradingDate(now),
      ...extra,
    };
    book.orders.push(o);
    return o;
  }

  private nextTradingDate(now: Date): string {
    const d = etDate(now);
    return isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
  }

  private validate(book: SimBook, req: OrderRequest, now: Date): void {
    if (book.orders.some((o) => o.client_order_id === req.client_order_id)) throw new DuplicateClientOrderId(req.client_order_id);
    if (!Number.isInteger(req.qty) || req.qty <= 0) throw new BrokerRejection(`qty must be a positive whole number, got ${req.qty}`, 422);
    if (!this.prices.knows(req.symbol)) throw new BrokerRejection(`asset "${req.symbol}" not found`, 422);
    if ((req.type === 'limit' || req.type === 'stop_limit') && !(req.limit_price! > 0)) throw new BrokerRejection('limit_price is required for limit orders', 422);
    if ((req.type === 'stop' || req.type === 'stop_limit') && !(req.stop_price! > 0)) throw new BrokerRejection('stop_price is required for stop orders', 422);
    if (req.side === 'sell' && req.qty > this.sellable(book, req.symbol)) throw new BrokerRejection(`insufficient qty available for order (requested ${req.qty}, available ${this.sellable(book, req.symbol)})`, 403);
    if (req.side === 'buy') {
      const px = req.limit_price ?? this.prices.priceAt(req.symbol, now) ?? 0;
      if (req.qty * px > book.cash - this.reserved(book)) throw new BrokerRejection(`insufficient buying power (needs ${(req.qty * px).toFixed(2)}, has ${(book.cash - this.reserved(book)).toFixed(2)})`, 403);
    }
  }

  async submitOrder(req: OrderRequest, _permit: SubmitPermit): Promise<OrderReport> {
    return this.tx((book, now) => {
      this.validate(book, req, now);
      const o = this.newOrder(book, req, now);
      if (req.order_class === 'bracket') {
        if (req.take_profit) this.newOrder(book, { ...req, client_order_id: `${req.client_order_id}-tp`, side: 'sell', type: 'limit', time_in_force: 'gtc', limit_price: req.take_profit.limit_price, stop_price: null }, now, { parent_id: o.id, active: false, order_class: 'bracket' });
        if (req.stop_loss) this.newOrder(book, { ...req, client_order_id: `${req.client_order_id}-sl`, side: 'sell', type: 'stop', time_in_force: 'gtc', limit_price: null, stop_price: req.stop_loss.stop_price }, now, { parent_id: o.id, active: false, order_class: 'bracket' });
      }
      this.matchNow(book, o, now);
      return report(o, book.orders);
    });
  }

  /** A marketable order fills at once while the market is open; IOC/FOK leftovers are cancelled. */
  private matchNow(book: SimBook, o: SimOrder, now: Date): void {
    const at = now.toISOString();
    const open = this.marketOpen(now);
    const px = this.prices.priceAt(o.symbol, now);
    if (open && px !== null && (o.type === 'market' || o.type === 'limit')) {
      const exec = this.slip(o.side, px);
      const ok = o.type === 'market' || (o.side === 'buy' ? exec <= o.limit_price! : exec >= o.limit_price!);
      if (ok) {
        const qty = this.settings.partial_fills && (o.time_in_force === 'ioc' || o.time_in_force === 'day') && o.qty > 1 ? Math.ceil(o.qty / 2) : o.qty;
        this.fill(book, o, qty, o.type === 'limit' ? (o.side === 'buy' ? Math.min(exec, o.limit_price!) : Math.max(exec, o.limit_price!)) : exec, at);
      }
    }
    if ((o.time_in_force === 'ioc' || o.time_in_force === 'fok') && !isTerminal(o.status as BrokerOrderStatus)) {
      if (o.time_in_force === 'fok' && o.filled_qty > 0 && o.filled_qty < o.qty) throw new BrokerRejection('fok order could not be filled in full', 422);
      this.cancel(o, at);
      for (const leg of book.orders) if (leg.parent_id === o.id && o.filled_qty === 0) this.cancel(leg, at);
    }
  }

  async getOrder(id: string): Promise<OrderReport | null> {
    return this.view((book) => {
      const o = book.orders.find((x) => x.id === id);
      return o ? report(o, book.orders) : null;
    });
  }

  async getOrderByClientId(cid: string): Promise<OrderReport | null> {
    return this.view((book) => {
      const o = book.orders.find((x) => x.client_order_id === cid);
      return o ? report(o, book.orders) : null;
    });
  }

  async listOrders(q: ListOrdersQuery): Promise<OrderReport[]> {
    return this.view((book) => {
      const want = (o: SimOrder) => q.status === 'all' || (q.status === 'open') === !isTerminal(o.status as BrokerOrderStatus);
      return book.orders
        .filter((o) => o.parent_id === null && want(o) && (!q.symbols || q.symbols.includes(o.symbol)) && (!q.after || (o.submitted_at ?? '') > q.after))
        .sort((a, b) => (a.submitted_at! < b.submitted_at! ? 1 : a.submitted_at! > b.submitted_at! ? -1 : a.id < b.id ? 1 : -1))
        .slice(0, Math.min(q.limit ?? 50, 500))
        .map((o) => report(o, book.orders));
    });
  }

  async cancelOrder(id: string): Promise<void> {
    await this.tx((book, now) => {
      const o = book.orders.find((x) => x.id === id);
      if (!o) throw new BrokerRejection(`order ${id} not found`, 404);
      if (isTerminal(o.status as BrokerOrderStatus)) throw new BrokerRejection(`order ${id} is not cancelable (status ${o.status})`, 422);
      this.cancel(o, now.toISOString());
      for (const leg of book.orders) if (leg.parent_id === o.id && !isTerminal(leg.status as BrokerOrderStatus)) this.cancel(leg, now.toISOString());
    });
  }

  async cancelAllOrders(): Promise<OrderReport[]> {
    return this.tx((book, now) => {
      const hit = book.orders.filter((o) => !isTerminal(o.status as BrokerOrderStatus));
      for (const o of hit) this.cancel(o, now.toISOString());
      return hit.map((o) => report(o, book.orders));
    });
  }

  async positions(): Promise<PositionReport[]> {
    return this.view((book, now) =>
      Object.entries(book.positions)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([symbol, p]) => {
          const px = this.prices.priceAt(symbol, now);
          return { symbol, qty: p.qty, avg_entry_price: p.avg_entry_price, current_price: px, market_value: px === null ? null : round4(px * p.qty), unrealized_pl: px === null ? null : round4((px - p.avg_entry_price) * p.qty) };
        }),
    );
  }

  async account(): Promise<AccountReport> {
    return this.view((book, now) => {
      let mv = 0;
      for (const [symbol, p] of Object.entries(book.positions)) mv += p.qty * (this.prices.priceAt(symbol, now) ?? p.avg_entry_price);
      const equity = round4(book.cash + mv);
      return { id: 'sim-account', status: 'ACTIVE', currency: 'USD', cash: book.cash, equity, buying_power: round4(book.cash - this.reserved(book)), last_equity: equity, pattern_day_trader: false, trading_blocked: false, account_blocked: false, daytrade_count: 0 };
    });
  }

  async clock(): Promise<ClockReport> {
    const now = this.time.now();
    const d = etDate(now);
    const open = this.marketOpen(now);
    const nextOpenDay = isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
    const nextCloseDay = isTradingDay(d) && now < sessionCloseUtc(d) ? d : nextSession(d);
    return { timestamp: now.toISOString(), is_open: open, next_open: sessionOpenUtc(nextOpenDay).toISOString(), next_close: sessionCloseUtc(nextCloseDay).toISOString() };
  }

  /** The sim's own market: a tight spread around its price, observed now. */
  async latestQuote(symbol: string): Promise<Quote | null> {
    const now = this.time.now();
    const px = this.prices.priceAt(symbol, now);
    if (px === null) return null;
    return { symbol, bid: round4(px * 0.9998), ask: round4(px * 1.0002), ts: now.toISOString() };
  }

  async calendar(start: string, end: string): Promise<CalendarDay[]> {
    return sessionsBetween(start, end).map((date) => ({ date, open: '09:30', close: closeTimeEt(date) }));
  }
}
