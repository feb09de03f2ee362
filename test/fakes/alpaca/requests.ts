// The fake Alpaca's checks on POST /v2/orders and PATCH /v2/orders/{id}, with Alpaca's answers:
// 422 on a reused client_order_id (also after a cancel) and on a malformed order, 403 when buying
// power or the shares not already promised to open sell orders do not cover it, and a replace
// refused while the order is not yet at the venue or already final.
import { randomUUID } from 'node:crypto';
import type { OrderType, TimeInForce } from '../../../src/core/ports/broker.js';
import { TERMINAL, type FakeBook, type FakeOrder } from './book.js';

export type Refusal = { status: number; message: string };

const TYPES = ['market', 'limit', 'stop', 'stop_limit', 'trailing_stop'];
const TIFS = ['day', 'gtc', 'ioc', 'fok', 'opg', 'cls'];
const CLASSES = ['', 'simple', 'bracket', 'oco', 'oto'];

/** A positive wire decimal ("10", "0.5") as a number; null when absent; NaN when junk. */
function dec(v: unknown): number | null {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) && Number(v) > 0 ? Number(v) : NaN;
}

const sub = (v: unknown): Record<string, unknown> | null => (v && typeof v === 'object' ? (v as Record<string, unknown>) : null);

/** The orders a POST body makes (parent first, then legs), or Alpaca's refusal. */
export function ordersFromPost(book: FakeBook, b: Record<string, unknown>, status: string): FakeOrder[] | Refusal {
  const cid = typeof b.client_order_id === 'string' && b.client_order_id ? b.client_order_id : randomUUID();
  if (cid.length > 128) return { status: 422, message: 'client_order_id must be no more than 128 characters' };
  if (book.orders.some((o) => o.client_order_id === cid)) return { status: 422, message: 'client_order_id must be unique' };
  const symbol = String(b.symbol ?? '');
  if (!(symbol in book.prices)) return { status: 422, message: `asset "${symbol}" not found` };
  if (b.side !== 'buy' && b.side !== 'sell') return { status: 422, message: 'invalid side' };
  if (!TYPES.includes(String(b.type))) return { status: 422, message: 'invalid order type' };
  if (!TIFS.includes(String(b.time_in_force))) return { status: 422, message: 'invalid time_in_force' };
  const cls = String(b.order_class ?? '');
  if (!CLASSES.includes(cls)) return { status: 422, message: 'invalid order_class' };
  const type = b.type as OrderType;
  const tif = b.time_in_force as TimeInForce;
  const [qty, notional, limit, stop, trailPrice, trailPercent] = [b.qty, b.notional, b.limit_price, b.stop_price, b.trail_price, b.trail_percent].map(dec);
  for (const [k, v] of Object.entries({ qty, notional, limit_price: limit, stop_price: stop, trail_price: trailPrice, trail_percent: trailPercent })) {
    if (Number.isNaN(v)) return { status: 422, message: `invalid ${k}` };
  }
  if ((qty === null) === (notional === null)) return { status: 422, message: 'qty or notional is required, not both' };
  if (notional !== null && (type !== 'market' || tif !== 'day')) return { status: 422, message: 'notional orders must be market day orders' };
  if (qty !== null && !Number.isInteger(qty) && (tif !== 'day' || (type !== 'market' && type !== 'limit'))) return { status: 422, message: 'fractional orders must be DAY orders' };
  if ((type === 'limit' || type === 'stop_limit') && limit === null && cls !== 'oco') return { status: 422, message: 'limit_price is required' };
  if ((type === 'stop' || type === 'stop_limit') && stop === null) return { status: 422, message: 'stop_price is required' };
  if (type === 'trailing_stop' && (trailPrice === null) === (trailPercent === null)) return { status: 422, message: 'one of trail_price or trail_percent is required' };
  const tp = sub(b.take_profit);
  const sl = sub(b.stop_loss);
  const tpLimit = dec(tp?.limit_price);
  const slStop = dec(sl?.stop_price);
  const slLimit = dec(sl?.limit_price);
  if (cls === 'bracket' && (tpLimit === null || slStop === null)) return { status: 422, message: 'bracket orders require take_profit and stop_loss' };
  if (cls === 'oco' && (type !== 'limit' || tpLimit === null || slStop === null)) return { status: 422, message: 'oco orders must be limit orders with take_profit and stop_loss' };
  if (cls === 'oto' && (tpLimit === null) === (slStop === null)) return { status: 422, message: 'oto orders require one of take_profit or stop_loss' };
  if ([tpLimit, slStop, slLimit].some((v) => Number.isNaN(v))) return { status: 422, message: 'invalid take_profit or stop_loss' };
  if (cls && cls !== 'simple' && tif !== 'day' && tif !== 'gtc') return { status: 422, message: 'order classes require day or gtc' };
  const px = book.prices[symbol];
  if (b.side === 'buy') {
    const cost = notional ?? qty! * (limit ?? stop ?? px);
    if (cost > book.buyingPower()) return { status: 403, message: 'insufficient buying power' };
  } else if (qty !== null && qty > book.sellable(symbol) + 1e-9) {
    return { status: 403, message: `insufficient qty available for order (requested: ${qty}, available: ${book.sellable(symbol)})` };
  }
  const klass = (cls || 'simple') as FakeOrder['order_class'];
  const parent = book.make({
    client_order_id: cid, symbol, side: b.side, type, time_in_force: tif, order_class: klass, qty, notional, status,
    limit_price: cls === 'oco' ? tpLimit : limit, stop_price: type === 'trailing_stop' ? null : stop, trail_price: trailPrice, trail_percent: trailPercent,
  });
  if (klass === 'simple') return [parent];
  const exit = b.side === 'buy' ? 'sell' : 'buy';
  const legSide = klass === 'oco' ? b.side : exit;
  const leg = (o: Partial<FakeOrder> & Pick<FakeOrder, 'type'>) => book.make({ symbol, side: legSide, time_in_force: tif, order_class: klass, qty, status: 'held', parent_id: parent.id, ...o });
  const legs: FakeOrder[] = [];
  if (klass !== 'oco' && tpLimit !== null) legs.push(leg({ type: 'limit', limit_price: tpLimit }));
  if (slStop !== null) legs.push(leg({ type: slLimit === null ? 'stop' : 'stop_limit', stop_price: slStop, limit_price: slLimit }));
  return [parent, ...legs];
}

/** The order a PATCH makes to replace `old`, or Alpaca's refusal. */
export function replacementFor(book: FakeBook, old: FakeOrder, b: Record<string, unknown>, status: string): FakeOrder | Refusal {
  if (old.status === 'accepted' || old.status === 'pending_new') return { status: 422, message: "unable to replace order, order isn't sent to exchange yet" };
  if (old.status === 'pending_cancel' || old.status === 'pending_replace') return { status: 422, message: `unable to replace order, order is ${old.status}` };
  if (TERMINAL.has(old.status) || (old.status === 'held' && !book.armed(old))) return { status: 422, message: `order is not replaceable (status ${old.status})` };
  if (old.notional !== null) return { status: 422, message: 'notional orders cannot be replaced' };
  const [qty, limit, stop, trail] = [b.qty, b.limit_price, b.stop_price, b.trail].map(dec);
  if ([qty, limit, stop, trail].some((v) => Number.isNaN(v))) return { status: 422, message: 'invalid replace request' };
  if (qty !== null && !Number.isInteger(qty)) return { status: 422, message: 'qty must be whole shares' };
  if (limit !== null && old.type !== 'limit' && old.type !== 'stop_limit') return { status: 422, message: 'limit_price is only valid for limit and stop_limit orders' };
  if (stop !== null && old.type !== 'stop' && old.type !== 'stop_limit') return { status: 422, message: 'stop_price is only valid for stop and stop_limit orders' };
  if (trail !== null && old.type !== 'trailing_stop') return { status: 422, message: 'trail is only valid for trailing_stop orders' };
  if (b.time_in_force !== undefined && !TIFS.includes(String(b.time_in_force))) return { status: 422, message: 'invalid time_in_force' };
  const cid = typeof b.client_order_id === 'string' && b.client_order_id ? b.client_order_id : randomUUID();
  if (book.orders.some((o) => o.client_order_id === cid)) return { status: 422, message: 'client_order_id must be unique' };
  const newQty = qty ?? old.qty!;
  if (old.side === 'sell' && newQty > book.sellable(old.symbol, old) + 1e-9) return { status: 403, message: `insufficient qty available for order (requested: ${newQty}, available: ${book.sellable(old.symbol, old)})` };
  const { id: _id, created_at: _c, submitted_at: _s, updated_at: _u, canceled_at: _x, expired_at: _e, failed_at: _f, replaced_at: _r, ...rest } = old;
  return book.make({
    ...rest, client_order_id: cid, qty: newQty, filled_qty: 0, filled_avg_price: null, filled_at: null, status,
    limit_price: limit ?? old.limit_price, stop_price: stop ?? old.stop_price, time_in_force: (b.time_in_force as TimeInForce | undefined) ?? old.time_in_force,
    trail_price: old.trail_price !== null ? (trail ?? old.trail_price) : null, trail_percent: old.trail_percent !== null ? (trail ?? old.trail_percent) : null,
    hwm: old.type === 'trailing_stop' ? old.hwm : null, triggered: false, replaces: null, replaced_by: null,
  });
}
