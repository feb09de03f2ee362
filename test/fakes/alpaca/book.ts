// The fake Alpaca's order book and matching, driven by the test rather than by time: orders are
// accepted on POST and only move on tick()/advance()/setPrice() or an explicit fill/reject/expire,
// as at the real broker where the answer to a POST says nothing about the fill.
import { randomUUID } from 'node:crypto';
import { isTradingDay, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../../../src/core/market/calendar.js';
import { etDate } from '../../../src/core/market/time.js';
import type { OrderType, TimeInForce } from '../../../src/core/ports/broker.js';
import { stamp } from './wire.js';

/** An order as the fake keeps it (numbers); served with numeric strings. */
export interface FakeOrder {
  id: string;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: OrderType;
  time_in_force: TimeInForce;
  order_class: 'simple' | 'bracket' | 'oco' | 'oto';
  /** Null for a notional order. */
  qty: number | null;
  notional: number | null;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  trail_price: number | null;
  trail_percent: number | null;
  hwm: number | null;
  status: string;
  created_at: string;
  submitted_at: string;
  updated_at: string;
  filled_at: string | null;
  canceled_at: string | null;
  expired_at: string | null;
  failed_at: string | null;
  replaced_at: string | null;
  replaces: string | null;
  replaced_by: string | null;
  /** The order this one is a leg of (bracket, oco, oto). */
  parent_id: string | null;
  /** A stop_limit whose stop was hit (it now rests as a limit). */
  triggered: boolean;
  /** Stored but not yet visible to any read (see FakeAlpacaServer.hideNextOrders). */
  hidden: boolean;
}

/** One fill as the stream reports it. */
export interface FillFacts {
  execution_id: string;
  price: number;
  qty: number;
  position_qty: number;
}

export type EventSink = (event: string, o: FakeOrder, fill?: FillFacts) => void;

export const TERMINAL = new Set(['filled', 'canceled', 'expired', 'replaced', 'rejected', 'done_for_day', 'stopped', 'suspended']);
const WAITING = new Set(['accepted', 'pending_new']);
const ACTIVE = new Set(['new', 'partially_filled']);

/** The fake's accounts, orders and market. */
export class FakeBook {
  readonly orders: FakeOrder[] = [];
  readonly positions = new Map<string, { qty: number; avg: number }>();
  cash: number;
  readonly startCash: number;
  private offsetMs = 0;
  private lastTickMs: number;
  /** While true, pending cancels stay pending through ticks (a venue slow to confirm a cancel). */
  stallCancels = false;

  constructor(
    readonly prices: Record<string, number>,
    cash: number,
    private readonly base: () => Date,
    private readonly emit: EventSink,
  ) {
    this.cash = this.startCash = cash;
    this.lastTickMs = this.nowMs();
  }

  nowMs(): number {
    return this.base().getTime() + this.offsetMs;
  }

  now(): Date {
    return new Date(this.nowMs());
  }

  moveClock(ms: number): void {
    this.offsetMs += ms;
  }

  marketOpen(at = this.now()): boolean {
    const d = etDate(at);
    return isTradingDay(d) && at >= sessionOpenUtc(d) && at < sessionCloseUtc(d);
  }

  find(id: string): FakeOrder | undefined {
    return this.orders.find((o) => o.id === id);
  }

  legsOf(o: FakeOrder): FakeOrder[] {
    return this.orders.filter((x) => x.parent_id === o.id);
  }

  /** The order and every order of its class group (parent and legs). */
  group(o: FakeOrder): FakeOrder[] {
    const root = o.parent_id ? (this.find(o.parent_id) ?? o) : o;
    return [root, ...this.legsOf(root)];
  }

  /** An order with defaults for everything a test does not say. */
  make(o: Partial<FakeOrder> & Pick<FakeOrder, 'symbol' | 'side' | 'type'>): FakeOrder {
    const at = stamp(this.nowMs());
    return {
      id: randomUUID(), client_order_id: randomUUID(), time_in_force: 'day', order_class: 'simple', qty: null, notional: null, filled_qty: 0,
      filled_avg_price: null, limit_price: null, stop_price: null, trail_price: null, trail_percent: null, hwm: null, status: 'accepted',
      created_at: at, submitted_at: at, updated_at: at, filled_at: null, canceled_at: null, expired_at: null, failed_at: null, replaced_at: null,
      replaces: null, replaced_by: null, parent_id: null, triggered: false, hidden: false, ...o,
    };
  }

  remaining(o: FakeOrder): number {
    return o.qty === null ? Infinity : o.qty - o.filled_qty;
  }

  /** Shares of `symbol` not yet promised to open sell orders (one reservation per oco/bracket group). */
  sellable(symbol: string, except?: FakeOrder): number {
    let available = this.positions.get(symbol)?.qty ?? 0;
    const seen = new Set<string>();
    for (const o of this.orders) {
      if (o.symbol !== symbol || o.side !== 'sell' || TERMINAL.has(o.status) || o === except || o.status === 'held') continue;
      const key = o.parent_id && this.find(o.parent_id)?.side === 'sell' ? o.parent_id : o.id;
      if (seen.has(key)) continue;
      seen.add(key);
      available -= o.qty === null ? 0 : o.qty - o.filled_qty;
    }
    return available;
  }

  buyingPower(): number {
    let reserved = 0;
    for (const o of this.orders) {
      if (o.side !== 'buy' || TERMINAL.has(o.status)) continue;
      reserved += o.notional ?? this.remaining(o) * (o.limit_price ?? o.stop_price ?? this.prices[o.symbol] ?? 0);
    }
    return this.cash - reserved;
  }

  private touch(o: FakeOrder, status: string, extra: Partial<FakeOrder> = {}): void {
    Object.assign(o, { status, updated_at: stamp(this.nowMs()), ...extra });
  }

  /** Fill `qty` of `o` at `price`: position, cash, the order, its class group, and the stream. */
  fill(o: FakeOrder, qty: number, price: number): void {
    const p = this.positions.get(o.symbol) ?? { qty: 0, avg: 0 };
    if (o.side === 'buy') {
      p.avg = (p.qty * p.avg + qty * price) / (p.qty + qty);
      p.qty += qty;
      this.cash -= qty * price;
    } else {
      p.qty -= qty;
      this.cash += qty * price;
    }
    if (Math.abs(p.qty) < 1e-9) this.positions.delete(o.symbol);
    else this.positions.set(o.symbol, p);
    const avg = ((o.filled_avg_price ?? 0) * o.filled_qty + price * qty) / (o.filled_qty + qty);
    const filledQty = o.filled_qty + qty;
    const done = o.qty === null || filledQty >= o.qty - 1e-9;
    const at = stamp(this.nowMs());
    this.touch(o, done ? 'filled' : 'partially_filled', { filled_qty: filledQty, filled_avg_price: avg, filled_at: done ? at : o.filled_at });
    this.emit(done ? 'fill' : 'partial_fill', o, { execution_id: randomUUID(), price, qty, position_qty: p.qty });
    if (!done) return;
    for (const leg of this.legsOf(o)) {
      // Legs of a bracket or oto wait for the entry, then rest for the filled quantity: a limit leg
      // goes to the venue (`new`), a stop leg stays `held` at Alpaca until it triggers.
      if (leg.status !== 'held') continue;
      leg.qty = filledQty;
      if (leg.type === 'limit') {
        this.touch(leg, 'new');
        this.emit('new', leg);
      }
    }
    // One fill cancels the rest of an oco, and a bracket's exit leg cancels the other exit.
    const root = o.parent_id ? this.find(o.parent_id) : o;
    if (root && (root.order_class === 'oco' || (root.order_class === 'bracket' && o !== root))) {
      for (const other of this.group(o)) if (other !== o && !TERMINAL.has(other.status)) this.finishCancel(other);
    }
  }

  /** A `held` stop leg that is live: its oco sibling rests, or its entry has filled. */
  armed(o: FakeOrder): boolean {
    const root = o.parent_id ? this.find(o.parent_id) : undefined;
    return o.status === 'held' && !!root && (root.order_class === 'oco' || root.status === 'filled');
  }

  private live(o: FakeOrder): boolean {
    return !o.hidden && (ACTIVE.has(o.status) || this.armed(o));
  }

  finishCancel(o: FakeOrder): void {
    this.touch(o, 'canceled', { canceled_at: stamp(this.nowMs()) });
    this.emit('canceled', o);
  }

  /** DELETE: the order and its group go to pending_cancel; the next tick cancels them. */
  requestCancel(o: FakeOrder): void {
    for (const x of this.group(o)) {
      if (TERMINAL.has(x.status) || x.status === 'pending_cancel') continue;
      if (x.status === 'held') this.finishCancel(x);
      else {
        this.touch(x, 'pending_cancel');
        this.emit('pending_cancel', x);
      }
    }
  }

  reject(o: FakeOrder, _reason: string): void {
    this.touch(o, 'rejected', { failed_at: stamp(this.nowMs()) });
    this.emit('rejected', o);
  }

  expire(o: FakeOrder): void {
    this.touch(o, 'expired', { expired_at: stamp(this.nowMs()) });
    this.emit('expired', o);
  }

  /** PATCH: `next` replaces `old` on the next tick (or is rejected if `old` filled meanwhile). */
  startReplace(old: FakeOrder, next: FakeOrder): void {
    old.replaced_by = next.id;
    next.replaces = old.id;
    next.parent_id = old.parent_id;
    this.orders.push(next);
    this.touch(old, 'pending_replace');
    this.emit('pending_replace', old);
  }

  private finishReplace(old: FakeOrder): void {
    const next = this.find(old.replaced_by!)!;
    for (const leg of this.legsOf(old)) leg.parent_id = next.id;
    this.touch(old, 'replaced', { replaced_at: stamp(this.nowMs()) });
    this.emit('replaced', old);
    this.touch(next, 'new');
    this.emit('new', next);
  }

  /** One step of the venue: expiries at a session close, pending cancels and replaces, routing, matching. */
  tick(): void {
    const now = this.nowMs();
    for (const d of sessionsBetween(etDate(new Date(this.lastTickMs)), etDate(new Date(now)))) {
      const close = sessionCloseUtc(d).getTime();
      if (this.lastTickMs < close && close <= now) {
        for (const o of this.orders) if (!o.hidden && !TERMINAL.has(o.status) && (o.time_in_force === 'day' || o.time_in_force === 'ioc' || o.time_in_force === 'fok')) this.expire(o);
      }
    }
    this.lastTickMs = now;
    for (const o of [...this.orders]) {
      if (o.hidden) continue;
      if (o.status === 'pending_cancel') {
        if (!this.stallCancels) this.finishCancel(o);
      }
      else if (o.status === 'pending_replace') {
        const next = this.find(o.replaced_by!);
        if (next && WAITING.has(next.status)) this.finishReplace(o);
      }
    }
    // A replacement whose old order filled before it reached the venue is rejected (the spec's words).
    for (const o of this.orders) if (o.replaces && WAITING.has(o.status) && this.find(o.replaces)?.status === 'filled') this.reject(o, 'replaced order already filled');
    if (!this.marketOpen()) return;
    for (const o of [...this.orders]) {
      if (o.hidden || !WAITING.has(o.status) || o.replaces) continue;
      this.touch(o, 'new');
      this.emit('new', o);
    }
    for (const o of [...this.orders]) if (this.live(o)) this.match(o, true);
  }

  /** Match resting orders of `symbol` against its price (after setPrice). */
  matchSymbol(symbol: string): void {
    if (!this.marketOpen()) return;
    for (const o of [...this.orders]) if (o.symbol === symbol && this.live(o)) this.match(o, false);
  }

  private match(o: FakeOrder, routing: boolean): void {
    const px = this.prices[o.symbol];
    if (px === undefined || !this.live(o)) return;
    const buy = o.side === 'buy';
    if (o.type === 'trailing_stop') {
      o.hwm = o.hwm === null ? px : buy ? Math.min(o.hwm, px) : Math.max(o.hwm, px);
      const trail = o.trail_price ?? (o.hwm * (o.trail_percent ?? 0)) / 100;
      o.stop_price = Math.round((buy ? o.hwm + trail : o.hwm - trail) * 100) / 100;
    }
    let marketable = false;
    if (o.type === 'market') marketable = true;
    else if (o.type === 'stop' || o.type === 'trailing_stop') marketable = buy ? px >= o.stop_price! : px <= o.stop_price!;
    else {
      if (o.type === 'stop_limit' && !o.triggered) o.triggered = buy ? px >= o.stop_price! : px <= o.stop_price!;
      const limitOk = buy ? px <= o.limit_price! : px >= o.limit_price!;
      marketable = (o.type === 'limit' || o.triggered) && limitOk;
    }
    if (marketable) {
      const qty = o.qty === null ? Math.round((o.notional! / px) * 1e9) / 1e9 : o.qty - o.filled_qty;
      this.fill(o, qty, px);
    }
    // IOC and FOK get one look at the market: whatever did not fill then is canceled.
    if (routing && (o.time_in_force === 'ioc' || o.time_in_force === 'fok') && !TERMINAL.has(o.status)) this.finishCancel(o);
  }
}
