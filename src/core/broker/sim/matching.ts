// The sim's matching engine: catches the book up to an instant. Orders go live fill_delay_ms after
// submission (accepted -> new); live orders are matched along each session's price path (path.ts)
// from where they were last checked; IOC/FOK orders are decided at their live instant only; DAY
// orders expire at the close of the session they went live for. Orders interact only inside
// their group (a parent and its legs), so each group is run through time on its own and the fills
// are applied to positions and cash in time order afterwards.
import { TERMINAL_STATUSES, type BrokerOrderStatus } from '../../ports/broker.js';
import type { SimBook, SimOrder } from './book.js';
import { firstReach, inSession, pathAt, session, sessionFrom, type Direction } from './path.js';
import type { SimBar, SimPrices } from './prices.js';

/** What the engine needs from the `sim` config. */
export interface MatchSettings {
  slippage_bps: number;
  spread_bps: number;
  fill_delay_ms: number;
  partial_fills: boolean;
  reject_symbols: ReadonlySet<string>;
}

type Event = { t: number; o: SimOrder } & ({ kind: 'live' } | { kind: 'fill'; px: number } | { kind: 'cancel' } | { kind: 'expire' });
interface Fill {
  t: number;
  seq: number;
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  px: number;
}

const KIND_RANK = { live: 0, fill: 1, cancel: 2, expire: 3 } as const;
const iso = (t: number) => new Date(t).toISOString();
/** Money to 4 decimals. */
export const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
/** Quantities to 9 decimals (Alpaca's fractional precision). */
export const roundQty = (x: number) => Math.round(x * 1e9) / 1e9;

/** True when the order can no longer change. */
export function done(o: SimOrder): boolean {
  return TERMINAL_STATUSES.has(o.status as BrokerOrderStatus);
}

/** The instant the order goes (or went) live. */
export function liveAt(o: SimOrder): number {
  return Date.parse(o.live_at ?? o.submitted_at ?? o.updated_at ?? '1970-01-01T00:00:00Z');
}

/** Still waiting for its live instant: it cannot fill or be replaced yet (a cancel is fine). */
export function pending(o: SimOrder): boolean {
  return o.status === 'accepted' || o.status === 'pending_new';
}

/** The exit orders of a group that cancel each other: the two legs of a bracket, an OCO's parent and leg. */
export function ocoPeers(o: SimOrder, group: SimOrder[]): SimOrder[] {
  if (o.parent_id === null) return o.order_class === 'oco' ? group.filter((x) => x.parent_id === o.id) : [];
  return group.filter((x) => x !== o && (x.id === o.parent_id ? x.order_class === 'oco' : x.parent_id === o.parent_id));
}

/** The matching engine over a SimPrices source. */
export class Matcher {
  private seq = 0;
  constructor(
    private readonly prices: SimPrices,
    private readonly s: MatchSettings,
  ) {}

  slip(side: 'buy' | 'sell', px: number): number {
    const k = this.s.slippage_bps / 10_000;
    return round4(side === 'buy' ? px * (1 + k) : px * (1 - k));
  }

  /** Bid and ask around a mid. */
  quote(mid: number): { bid: number; ask: number } {
    const k = this.s.spread_bps / 10_000;
    return { bid: round4(mid * (1 - k)), ask: round4(mid * (1 + k)) };
  }

  /** Run every open order up to `now`; true when anything a reader could see changed. */
  catchUp(book: SimBook, now: number): boolean {
    const groups = new Map<string, SimOrder[]>();
    for (const o of book.orders) {
      if (done(o)) continue;
      const root = o.parent_id ?? o.id;
      const g = groups.get(root);
      if (g) g.push(o);
      else groups.set(root, [o]);
    }
    if (groups.size === 0) return false;
    let changed = false;
    const fills: Fill[] = [];
    const nowIso = iso(now);
    for (const g of groups.values()) {
      for (let guard = 0; guard < 1000; guard++) {
        let best: Event | null = null;
        for (const o of g) {
          if (done(o) || !o.active) continue;
          const ev = this.next(o, now);
          if (ev && (!best || ev.t < best.t || (ev.t === best.t && this.rank(ev) < this.rank(best)))) best = ev;
        }
        if (!best) break;
        this.apply(best, g, fills);
        changed = true;
      }
      for (const o of g) {
        if (done(o) || !o.active || pending(o) || now <= liveAt(o)) continue;
        const from = this.start(o);
        if (from >= now) continue;
        // Persist a moved cursor only once a whole session lies behind it, so reads stay reads.
        if (sessionFrom(from).close <= now) changed = true;
        o.checked_to = nowIso;
      }
    }
    fills.sort((a, b) => a.t - b.t || a.seq - b.seq);
    for (const f of fills) this.book(book, f);
    return changed;
  }

  private rank(e: Event): number {
    return KIND_RANK[e.kind] * 2 + (e.o.type === 'stop' ? 0 : 1);
  }

  private start(o: SimOrder): number {
    if (o.checked_to) return Date.parse(o.checked_to);
    const legacy = o.rest_from ? session(o.rest_from).open : 0;
    return Math.max(liveAt(o), legacy);
  }

  /** The DAY order's expiry: the close of the session it went live for. */
  private expiry(o: SimOrder): number {
    return o.time_in_force === 'day' ? sessionFrom(liveAt(o)).close : Infinity;
  }

  private next(o: SimOrder, now: number): Event | null {
    const live = liveAt(o);
    if (live > now) return null;
    if (pending(o)) return { t: live, o, kind: 'live' };
    const exp = this.expiry(o);
    const cancel = o.cancel_at ? Date.parse(o.cancel_at) : Infinity;
    // Until a requested cancel takes effect the order can still fill, as at a real venue.
    const hit = this.scan(o, this.start(o), Math.min(now, exp, cancel));
    if (hit) return hit;
    if (cancel <= now && cancel <= exp) return { t: cancel, o, kind: 'cancel' };
    return exp <= now ? { t: exp, o, kind: 'expire' } : null;
  }

  private level(o: SimOrder): { level: number; dir: Direction } | null {
    if (o.type === 'stop' && o.stop_price !== null) return { level: o.stop_price, dir: o.side === 'sell' ? 'down' : 'up' };
    if (o.type === 'limit' && o.limit_price !== null) return { level: o.limit_price, dir: o.side === 'buy' ? 'down' : 'up' };
    return null;
  }

  /** Fill price at instant t mid-session for an order marketable then: the quote's far side with slippage. */
  private takePrice(o: SimOrder, mid: number): number | null {
    const q = this.quote(mid);
    const exec = this.slip(o.side, o.side === 'buy' ? q.ask : q.bid);
    if (o.type !== 'limit') return exec;
    const lim = o.limit_price!;
    if (o.side === 'buy' ? q.ask > lim : q.bid < lim) return null;
    return o.side === 'buy' ? Math.min(exec, lim) : Math.max(exec, lim);
  }

  /** The first fill of a live order on the path between `from` and `to`. */
  private scan(o: SimOrder, from: number, to: number): Event | null {
    if (from > to) return null;
    const lv = this.level(o);
    for (let s = sessionFrom(from); s.open <= to; ) {
      const a = Math.max(from, s.open);
      const b = Math.min(to, s.close);
      if (a <= b) {
        const bar = this.prices.sessionBar(o.symbol, s.date);
        if (!bar) return null;
        const ev = this.matchSession(o, bar, s, a, b, from <= s.open, lv);
        if (ev) return ev;
      }
      if (s.close >= to) break;
      s = sessionFrom(s.close);
    }
    return null;
  }

  private matchSession(o: SimOrder, bar: SimBar, s: ReturnType<typeof session>, a: number, b: number, atOpen: boolean, lv: { level: number; dir: Direction } | null): Event | null {
    const hit = (p: number) => lv !== null && (lv.dir === 'down' ? p <= lv.level : p >= lv.level);
    if (atOpen) {
      // Waiting at the bell: market orders take the open; a level the open gapped through fills there.
      if (o.type === 'market') return { t: a, o, kind: 'fill', px: this.slip(o.side, bar.open) };
      if (hit(bar.open)) return { t: a, o, kind: 'fill', px: o.type === 'stop' ? this.slip(o.side, bar.open) : bar.open };
    } else {
      const mid = pathAt(s, bar, a);
      if (o.type === 'market' || hit(mid)) {
        const px = o.type === 'market' || o.type === 'stop' ? this.takePrice({ ...o, type: 'market' }, mid) : this.takePrice(o, mid);
        if (px !== null) return { t: a, o, kind: 'fill', px };
      }
    }
    if (!lv) return null;
    const t = firstReach(s, bar, a, b, lv.level, lv.dir);
    if (t === null) return null;
    return { t, o, kind: 'fill', px: o.type === 'stop' ? this.slip(o.side, lv.level) : lv.level };
  }

  private apply(ev: Event, group: SimOrder[], fills: Fill[]): void {
    const { o, t } = ev;
    if (ev.kind === 'expire' || ev.kind === 'cancel') {
      this.close(o, ev.kind === 'expire' ? 'expired' : 'canceled', t, group);
      return;
    }
    if (ev.kind === 'fill') {
      const remaining = roundQty(o.qty - o.filled_qty);
      const halve = this.s.partial_fills && o.filled_qty === 0 && o.time_in_force === 'day' && o.type !== 'stop' && remaining > 1;
      const qty = halve ? Math.ceil(remaining / 2) : remaining;
      this.fill(o, qty, ev.px, t, group, fills);
      // The rest becomes marketable again no sooner than one fill delay later.
      if (!done(o)) o.checked_to = iso(t + this.s.fill_delay_ms);
      return;
    }
    o.status = o.parent_id !== null && o.type === 'stop' ? 'held' : 'new';
    o.updated_at = iso(t);
    // Version 1 books: a resting order had already been matched up to its rest_from session.
    o.checked_to = iso(o.rest_from ? Math.max(t, session(o.rest_from).open) : t);
    if (this.s.reject_symbols.has(o.symbol)) {
      this.close(o, 'rejected', t, group);
      return;
    }
    if (o.time_in_force !== 'ioc' && o.time_in_force !== 'fok') return;
    // IOC/FOK: decided at the live instant; outside the session or not marketable: canceled.
    const bar = inSession(t) ? this.prices.sessionBar(o.symbol, sessionFrom(t).date) : null;
    const px = bar ? this.takePrice(o, pathAt(sessionFrom(t), bar, t)) : null;
    if (px !== null) {
      const remaining = o.qty - o.filled_qty;
      const qty = o.time_in_force === 'ioc' && this.s.partial_fills && remaining > 1 ? Math.ceil(remaining / 2) : remaining;
      this.fill(o, qty, px, t, group, fills);
    }
    if (!done(o)) this.close(o, 'canceled', t, group);
  }

  /**
   * A cancel request: an order not yet live is canceled at once; a live one is pending_cancel for a
   * fill delay (it can still fill meanwhile), as Alpaca answers a DELETE.
   */
  requestCancel(o: SimOrder, t: number, group: SimOrder[]): void {
    if (pending(o)) return this.close(o, 'canceled', t, group);
    if (o.status === 'pending_cancel') return;
    o.status = 'pending_cancel';
    o.cancel_at = iso(t + this.s.fill_delay_ms);
    o.updated_at = iso(t);
  }

  /** End an order that did not fill in full; a parent's held legs live on for what did fill. */
  close(o: SimOrder, status: 'canceled' | 'expired' | 'rejected', t: number, group: SimOrder[]): void {
    o.status = status;
    o.updated_at = iso(t);
    if (status === 'canceled') o.canceled_at = iso(t);
    for (const leg of group) {
      if (leg.parent_id !== o.id || done(leg)) continue;
      if (o.order_class === 'bracket' && o.filled_qty > 0 && !leg.active) this.activate(leg, o.filled_qty, t);
      else if (o.order_class === 'bracket' && leg.active) continue;
      else this.close(leg, status === 'expired' ? 'expired' : 'canceled', t, group);
    }
  }

  private activate(leg: SimOrder, qty: number, t: number): void {
    leg.active = true;
    leg.qty = qty;
    leg.status = leg.type === 'stop' ? 'held' : 'new';
    leg.live_at = iso(t);
    leg.checked_to = iso(t);
    leg.updated_at = iso(t);
  }

  private fill(o: SimOrder, qty: number, px: number, t: number, group: SimOrder[], fills: Fill[]): void {
    const prev = o.filled_qty;
    o.filled_qty = roundQty(prev + qty);
    o.filled_avg_price = round4(((o.filled_avg_price ?? 0) * prev + px * qty) / o.filled_qty);
    o.status = o.filled_qty >= o.qty ? 'filled' : 'partially_filled';
    o.updated_at = iso(t);
    if (o.status === 'filled') o.filled_at = iso(t);
    fills.push({ t, seq: this.seq++, symbol: o.symbol, side: o.side, qty, px });
    for (const peer of ocoPeers(o, group)) {
      if (done(peer)) continue;
      if (o.status === 'filled') this.close(peer, 'canceled', t, group);
      else peer.qty = roundQty(peer.filled_qty + o.qty - o.filled_qty);
    }
    if (o.status === 'filled' && o.order_class === 'bracket' && o.parent_id === null) {
      for (const leg of group) if (leg.parent_id === o.id && !done(leg)) this.activate(leg, o.filled_qty, t);
    }
  }

  private book(book: SimBook, f: Fill): void {
    const pos = book.positions[f.symbol] ?? { qty: 0, avg_entry_price: 0 };
    if (f.side === 'buy') {
      const q = roundQty(pos.qty + f.qty);
      pos.avg_entry_price = round4((pos.qty * pos.avg_entry_price + f.qty * f.px) / q);
      pos.qty = q;
      book.cash = round4(book.cash - f.qty * f.px);
    } else {
      pos.qty = roundQty(pos.qty - f.qty);
      book.cash = round4(book.cash + f.qty * f.px);
    }
    if (pos.qty === 0) delete book.positions[f.symbol];
    else book.positions[f.symbol] = pos;
  }
}
