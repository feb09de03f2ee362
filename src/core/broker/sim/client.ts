// SimBroker: the embedded paper broker, behaving like Alpaca. It keeps its own books in
// state/sim/book.json. A POST answers `accepted` with nothing filled, always; the order goes live
// `fill_delay_ms` later and fills, rests, expires or is rejected as time moves (matching.ts, along
// the session price path of path.ts). Every call first catches the book up to the injected clock,
// inside the book's transaction, so a cancel may find its order already filled (HTTP 422, as
// Alpaca answers a cancel that lost the race). client_order_id is unique forever (422, also after
// a cancel); open sell orders, resting stops and OCO legs included, reserve their shares.
import type { Clock } from '../../ports/clock.js';
import type { AccountReport, Broker, BrokerOrderStatus, CalendarDay, ClockReport, ListOrdersQuery, OrderReport, OrderRequest, PositionReport, ReplaceRequest, SubmitPermit, TimeInForce } from '../../ports/broker.js';
import { closeTimeEt, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../../market/calendar.js';
import { lastCompletedSession } from '../../market/sessions.js';
import { etDate, etToUtc } from '../../market/time.js';
import type { StateStore } from '../../state/store.js';
import type { Quote, Quotes } from '../../ports/quotes.js';
import { BrokerRejection, DuplicateClientOrderId } from '../errors.js';
import { SimBookFile, type SimBook, type SimOrder } from './book.js';
import { Matcher, done, pending, round4, roundQty } from './matching.js';
import { inSession } from './path.js';
import type { SimPrices } from './prices.js';

/** Settings of the sim broker (config `sim`); the optional ones default as the config does. */
export interface SimSettings {
  starting_cash: number;
  slippage_bps: number;
  partial_fills: boolean;
  fill_delay_ms?: number;
  spread_bps?: number;
  reject_symbols?: string[];
}

type Legs = Map<string, SimOrder[]>;

function legsOf(orders: SimOrder[]): Legs {
  const m: Legs = new Map();
  for (const o of orders) if (o.parent_id !== null) m.set(o.parent_id, [...(m.get(o.parent_id) ?? []), o]);
  return m;
}

function report(o: SimOrder, legs: Legs): OrderReport {
  return {
    id: o.id, client_order_id: o.client_order_id, symbol: o.symbol, side: o.side, type: o.type, time_in_force: o.time_in_force,
    qty: o.qty, notional: null, filled_qty: o.filled_qty, filled_avg_price: o.filled_avg_price, limit_price: o.limit_price, stop_price: o.stop_price,
    trail_price: null, trail_percent: null, status: o.status as BrokerOrderStatus, order_class: o.order_class,
    submitted_at: o.submitted_at, filled_at: o.filled_at, canceled_at: o.canceled_at, updated_at: o.updated_at,
    replaces: o.replaces, replaced_by: o.replaced_by, legs: (legs.get(o.id) ?? []).map((l) => report(l, legs)),
  };
}

const reject = (msg: string, status = 422) => new BrokerRejection(msg, status);

/** The simulated broker. */
export class SimBroker implements Broker, Quotes {
  readonly name = 'sim' as const;
  readonly host = 'sim';
  private readonly matcher: Matcher;
  private readonly delay: number;

  constructor(
    private readonly store: StateStore,
    private readonly prices: SimPrices,
    private readonly time: Clock,
    private readonly settings: SimSettings,
  ) {
    this.delay = settings.fill_delay_ms ?? 250;
    this.matcher = new Matcher(prices, {
      slippage_bps: settings.slippage_bps, spread_bps: settings.spread_bps ?? 2, fill_delay_ms: this.delay,
      partial_fills: settings.partial_fills, reject_symbols: new Set(settings.reject_symbols ?? []),
    });
  }

  private async tx<T>(fn: (book: SimBook, now: Date) => T): Promise<T> {
    let out: T | undefined;
    const now = this.time.now();
    await this.store.update(SimBookFile, (current) => {
      const book = this.store.exists(SimBookFile) ? current : this.newBook(now);
      this.matcher.catchUp(book, now.getTime());
      out = fn(book, now);
      return book;
    });
    return out as T;
  }

  /** Reads skip the lock and the write unless catching up changed the book (then it is a tx). */
  private async view<T>(fn: (book: SimBook, now: Date) => T): Promise<T> {
    const now = this.time.now();
    // The shared cached book, with copies of only what catching up may touch (open orders, cash,
    // positions): a year of closed orders is not copied on every read.
    const shared = this.store.exists(SimBookFile) ? this.store.peek(SimBookFile) : null;
    const book: SimBook = shared
      ? { ...shared, positions: structuredClone(shared.positions), orders: shared.orders.map((o) => (done(o) ? o : { ...o })) }
      : this.newBook(now);
    if (this.matcher.catchUp(book, now.getTime())) return this.tx(fn);
    return fn(book, now);
  }

  private newBook(now: Date): SimBook {
    return { version: 2, created_at: now.toISOString(), starting_cash: this.settings.starting_cash, cash: this.settings.starting_cash, next_id: 1, positions: {}, orders: [] };
  }

  /** Buying power held by open buys. */
  private reservedCash(book: SimBook, now: Date): number {
    let r = 0;
    for (const o of book.orders) {
      if (o.side !== 'buy' || !o.active || done(o)) continue;
      r += (o.qty - o.filled_qty) * (o.limit_price ?? o.stop_price ?? this.prices.priceAt(o.symbol, now) ?? 0);
    }
    return r;
  }

  /** Shares not yet promised to an open sell; the members of an OCO pair promise the same shares once. */
  private sellable(book: SimBook, symbol: string): number {
    const byGroup = new Map<string, number>();
    for (const o of book.orders) {
      if (o.symbol !== symbol || o.side !== 'sell' || !o.active || done(o)) continue;
      const root = o.parent_id ?? o.id;
      byGroup.set(root, Math.max(byGroup.get(root) ?? 0, o.qty - o.filled_qty));
    }
    let held = book.positions[symbol]?.qty ?? 0;
    for (const q of byGroup.values()) held -= q;
    return roundQty(held);
  }

  /** Run after the new order is in the book: refuses when it over-commits shares or cash. */
  private checkFunds(book: SimBook, o: SimOrder, now: Date): void {
    if (o.side === 'sell') {
      const free = this.sellable(book, o.symbol);
      if (free < 0) throw reject(`insufficient qty available for order (requested ${o.qty}, available ${roundQty(free + o.qty)})`, 403);
      return;
    }
    const free = book.cash - this.reservedCash(book, now);
    const needs = o.qty * (o.limit_price ?? o.stop_price ?? this.prices.priceAt(o.symbol, now) ?? 0);
    if (free < 0) throw reject(`insufficient buying power (needs ${needs.toFixed(2)}, has ${(free + needs).toFixed(2)})`, 403);
  }

  private checkShape(type: string, tif: TimeInForce, qty: number, limit: number | null, stop: number | null): void {
    if (type !== 'market' && type !== 'limit' && type !== 'stop') throw reject(`order type ${type} is not supported by the sim broker`);
    if (tif === 'opg' || tif === 'cls') throw reject(`time_in_force ${tif} is not supported by the sim broker`);
    if (type === 'stop' && tif !== 'day' && tif !== 'gtc') throw reject('stop orders must be day or gtc');
    // Like Alpaca, only market day orders may be fractional.
    const whole = !(type === 'market' && tif === 'day');
    if (!Number.isFinite(qty) || qty <= 0 || (whole && !Number.isInteger(qty))) throw reject(`qty must be a positive ${whole ? 'whole ' : ''}number, got ${qty}`);
    if (type === 'limit' && !(limit! > 0)) throw reject('limit_price is required for limit orders');
    if (type === 'stop' && !(stop! > 0)) throw reject('stop_price is required for stop orders');
    if (type === 'market' && (limit !== null || stop !== null)) throw reject('market orders take no limit_price or stop_price');
  }

  private newOrder(book: SimBook, now: Date, fields: Pick<SimOrder, 'client_order_id' | 'symbol' | 'side' | 'type' | 'time_in_force' | 'qty' | 'limit_price' | 'stop_price'> & Partial<SimOrder>): SimOrder {
    if (book.orders.some((o) => o.client_order_id === fields.client_order_id)) throw new DuplicateClientOrderId(fields.client_order_id);
    const at = now.toISOString();
    const o: SimOrder = {
      id: `sim-${String(book.next_id++).padStart(8, '0')}`, filled_qty: 0, filled_avg_price: null, status: 'accepted', order_class: 'simple',
      submitted_at: at, filled_at: null, canceled_at: null, updated_at: at, parent_id: null, active: true,
      live_at: new Date(now.getTime() + this.delay).toISOString(), checked_to: null, replaces: null, replaced_by: null, cancel_at: null,
      ...fields,
    };
    book.orders.push(o);
    return o;
  }

  async submitOrder(req: OrderRequest, _permit: SubmitPermit): Promise<OrderReport> {
    return this.tx((book, now) => {
      if (book.orders.some((o) => o.client_order_id === req.client_order_id)) throw new DuplicateClientOrderId(req.client_order_id);
      if (!this.prices.knows(req.symbol)) throw reject(`asset "${req.symbol}" not found`);
      const cls = req.order_class ?? 'simple';
      const limit = cls === 'oco' ? (req.take_profit?.limit_price ?? null) : (req.limit_price ?? null);
      this.checkShape(req.type, req.time_in_force, req.qty, limit, req.stop_price ?? null);
      const type = req.type as SimOrder['type'];
      const base = { symbol: req.symbol, qty: req.qty };
      if (cls === 'oco') {
        const stop = req.stop_loss?.stop_price;
        if (req.side !== 'sell' || req.type !== 'limit' || !(stop! > 0) || !(limit! > 0)) throw reject('oco orders are sell limits with take_profit.limit_price and stop_loss.stop_price');
        if (stop! >= limit!) throw reject('oco stop_loss.stop_price must be below take_profit.limit_price');
        if (req.time_in_force !== 'day' && req.time_in_force !== 'gtc') throw reject('oco orders must be day or gtc');
        const o = this.newOrder(book, now, { ...base, client_order_id: req.client_order_id, side: 'sell', type: 'limit', time_in_force: req.time_in_force, limit_price: limit, stop_price: null, order_class: 'oco' });
        this.newOrder(book, now, { ...base, client_order_id: `${req.client_order_id}-sl`, side: 'sell', type: 'stop', time_in_force: req.time_in_force, limit_price: null, stop_price: stop!, order_class: 'oco', parent_id: o.id, status: 'held' });
        this.checkFunds(book, o, now);
        return report(o, legsOf(book.orders));
      }
      if (cls !== 'simple' && cls !== 'bracket') throw reject(`order_class ${cls} is not supported by the sim broker`);
      const o = this.newOrder(book, now, { ...base, client_order_id: req.client_order_id, side: req.side, type, time_in_force: req.time_in_force, limit_price: req.limit_price ?? null, stop_price: req.stop_price ?? null, order_class: cls });
      if (cls === 'bracket') {
        if (!((req.take_profit?.limit_price ?? 0) > 0) || !((req.stop_loss?.stop_price ?? 0) > 0)) throw reject('bracket orders require take_profit.limit_price and stop_loss.stop_price');
        const leg = { ...base, side: 'sell' as const, time_in_force: 'gtc' as const, order_class: 'bracket', parent_id: o.id, active: false, status: 'held', live_at: null };
        this.newOrder(book, now, { ...leg, client_order_id: `${req.client_order_id}-tp`, type: 'limit', limit_price: req.take_profit!.limit_price, stop_price: null });
        this.newOrder(book, now, { ...leg, client_order_id: `${req.client_order_id}-sl`, type: 'stop', limit_price: null, stop_price: req.stop_loss!.stop_price });
      }
      this.checkFunds(book, o, now);
      return report(o, legsOf(book.orders));
    });
  }

  async replaceOrder(id: string, req: ReplaceRequest, _permit: SubmitPermit): Promise<OrderReport> {
    return this.tx((book, now) => {
      const o = book.orders.find((x) => x.id === id);
      if (!o) throw reject(`order ${id} not found`, 404);
      // As Alpaca: not while accepted or pending_new, nor while a cancel is pending.
      if (done(o) || pending(o) || !o.active || o.status === 'pending_cancel') throw reject(`order ${id} is not replaceable (status ${o.status})`);
      if (req.limit_price !== undefined && o.type !== 'limit') throw reject('limit_price can only be replaced on a limit order');
      if (req.stop_price !== undefined && o.type !== 'stop') throw reject('stop_price can only be replaced on a stop order');
      const n = {
        client_order_id: req.client_order_id ?? `sim-replace-${book.next_id}`, symbol: o.symbol, side: o.side, type: o.type,
        time_in_force: req.time_in_force ?? o.time_in_force, qty: req.qty ?? roundQty(o.qty - o.filled_qty),
        limit_price: req.limit_price ?? o.limit_price, stop_price: req.stop_price ?? o.stop_price,
      };
      this.checkShape(n.type, n.time_in_force, n.qty, n.limit_price, n.stop_price);
      o.status = 'replaced';
      o.updated_at = now.toISOString();
      const r = this.newOrder(book, now, { ...n, order_class: o.order_class, parent_id: o.parent_id, replaces: o.id });
      o.replaced_by = r.id;
      for (const leg of book.orders) if (leg.parent_id === o.id && !done(leg)) leg.parent_id = r.id;
      // The book is written only if this returns: a refusal here leaves the old order untouched.
      this.checkFunds(book, r, now);
      return report(r, legsOf(book.orders));
    });
  }

  async getOrder(id: string): Promise<OrderReport | null> {
    return this.view((book) => {
      const o = book.orders.find((x) => x.id === id);
      return o ? report(o, legsOf(book.orders)) : null;
    });
  }

  async getOrderByClientId(cid: string): Promise<OrderReport | null> {
    return this.view((book) => {
      const o = book.orders.find((x) => x.client_order_id === cid);
      return o ? report(o, legsOf(book.orders)) : null;
    });
  }

  async listOrders(q: ListOrdersQuery): Promise<OrderReport[]> {
    return this.view((book) => {
      const after = q.after ? Date.parse(q.after) : -Infinity;
      const until = q.until ? Date.parse(q.until) : Infinity;
      const sign = q.direction === 'asc' ? 1 : -1;
      const want = (o: SimOrder) => q.status === 'all' || (q.status === 'open') === !done(o);
      const picked = book.orders
        .map((o) => ({ o, t: Date.parse(o.submitted_at ?? '') }))
        .filter(({ o, t }) => o.parent_id === null && want(o) && t > after && t < until && (!q.symbols || q.symbols.includes(o.symbol)))
        .sort((a, b) => sign * (a.t - b.t || (a.o.id < b.o.id ? -1 : 1)))
        .slice(0, Math.max(1, Math.min(q.limit ?? 50, 500)));
      const legs = legsOf(book.orders);
      return picked.map(({ o }) => report(o, legs));
    });
  }

  async cancelOrder(id: string): Promise<void> {
    await this.tx((book, now) => {
      const o = book.orders.find((x) => x.id === id);
      if (!o) throw reject(`order ${id} not found`, 404);
      if (done(o)) throw reject(`order ${id} is not cancelable (status ${o.status})`);
      const group = book.orders.filter((x) => !done(x) && (x.parent_id ?? x.id) === (o.parent_id ?? o.id));
      // An exit pair is one order to the trader: cancelling either member cancels both.
      const parent = o.parent_id === null ? undefined : group.find((x) => x.id === o.parent_id);
      const targets = o.order_class === 'oco' && parent ? [parent] : o.parent_id !== null ? group.filter((x) => x.parent_id === o.parent_id) : [o];
      for (const t of targets) if (!done(t)) this.matcher.requestCancel(t, now.getTime(), group);
    });
  }

  async cancelAllOrders(): Promise<OrderReport[]> {
    return this.tx((book, now) => {
      const hit = book.orders.filter((o) => !done(o));
      for (const o of hit) this.matcher.requestCancel(o, now.getTime(), book.orders);
      const legs = legsOf(book.orders);
      return hit.map((o) => report(o, legs));
    });
  }

  async positions(): Promise<PositionReport[]> {
    return this.view((book, now) =>
      Object.entries(book.positions)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([symbol, p]) => {
          const raw = this.prices.priceAt(symbol, now);
          const px = raw === null ? null : round4(raw);
          return { symbol, qty: p.qty, avg_entry_price: p.avg_entry_price, current_price: px, market_value: px === null ? null : round4(px * p.qty), unrealized_pl: px === null ? null : round4((px - p.avg_entry_price) * p.qty) };
        }),
    );
  }

  async account(): Promise<AccountReport> {
    return this.view((book, now) => {
      let mv = 0;
      for (const [symbol, p] of Object.entries(book.positions)) mv += p.qty * (this.prices.priceAt(symbol, now) ?? p.avg_entry_price);
      const equity = round4(book.cash + mv);
      return { id: 'sim-account', status: 'ACTIVE', currency: 'USD', cash: book.cash, equity, buying_power: round4(book.cash - this.reservedCash(book, now)), last_equity: equity, pattern_day_trader: false, trading_blocked: false, account_blocked: false, daytrade_count: 0 };
    });
  }

  async clock(): Promise<ClockReport> {
    const now = this.time.now();
    const d = etDate(now);
    const nextOpenDay = isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
    const nextCloseDay = isTradingDay(d) && now < sessionCloseUtc(d) ? d : nextSession(d);
    return { timestamp: now.toISOString(), is_open: inSession(now.getTime()), next_open: sessionOpenUtc(nextOpenDay).toISOString(), next_close: sessionCloseUtc(nextCloseDay).toISOString() };
  }

  /**
   * The sim's own market: bid/ask `spread_bps` either side of the path's price now. Observed now
   * only while the session is open and the store has today's bar; otherwise as of the close of
   * the last bar, so that a caller refusing old quotes refuses stale data and a closed market.
   */
  async latestQuote(symbol: string): Promise<Quote | null> {
    const now = this.time.now();
    const today = etDate(now);
    const bar = this.prices.sessionBar(symbol, today);
    // Pre-market (from 04:00 ET) on a day the store has: quoted at the day's open, as extended-hours
    // trading indicates it; the premarket watchlist check judges its gap on this quote.
    if (bar?.real && !inSession(now.getTime()) && now < sessionOpenUtc(today) && now >= etToUtc(today, '04:00')) {
      const { bid, ask } = this.matcher.quote(bar.open);
      return { symbol, bid, ask, ts: now.toISOString() };
    }
    const mid = this.prices.priceAt(symbol, now);
    if (mid === null) return null;
    const { bid, ask } = this.matcher.quote(mid);
    if (inSession(now.getTime()) && bar?.real) return { symbol, bid, ask, ts: now.toISOString() };
    const last = this.prices.lastBarDate(symbol, lastCompletedSession(now));
    return last === null ? null : { symbol, bid, ask, ts: sessionCloseUtc(last).toISOString() };
  }

  async calendar(start: string, end: string): Promise<CalendarDay[]> {
    return sessionsBetween(start, end).map((date) => ({ date, open: '09:30', close: closeTimeEt(date) }));
  }
}
