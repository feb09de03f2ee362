// The fake Alpaca's read-only answers: GET /v2/orders (status, limit <= 500, after/until exclusive,
// direction, symbols, nested), the market clock and the calendar.
import { closeTimeEt, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../../../src/core/market/calendar.js';
import { etDate } from '../../../src/core/market/time.js';
import { TERMINAL, type FakeOrder } from './book.js';
import type { Refusal } from './requests.js';
import { isoEt } from './wire.js';

/** One page of GET /v2/orders, or Alpaca's refusal of the query. */
export function listOrders(orders: FakeOrder[], q: URLSearchParams, wire: (o: FakeOrder, nested: boolean) => object): object[] | Refusal {
  const status = q.get('status') ?? 'open';
  if (!['open', 'closed', 'all'].includes(status)) return { status: 422, message: 'invalid status' };
  const limit = Number(q.get('limit') ?? 50);
  if (!Number.isInteger(limit) || limit < 1) return { status: 422, message: 'invalid limit' };
  const time = (k: string) => (q.get(k) ? Date.parse(q.get(k)!) : null);
  const [after, until] = [time('after'), time('until')];
  if (Number.isNaN(after) || Number.isNaN(until)) return { status: 422, message: 'invalid after or until' };
  const direction = q.get('direction') ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc') return { status: 422, message: 'invalid direction' };
  const nested = q.get('nested') === 'true';
  const symbols = q.get('symbols')?.split(',');
  const at = (o: FakeOrder) => Date.parse(o.submitted_at);
  return orders
    .map((o, i) => ({ o, i }))
    .filter(({ o }) => !o.hidden && !(nested && o.parent_id))
    .filter(({ o }) => status === 'all' || (status === 'open') === !TERMINAL.has(o.status))
    .filter(({ o }) => (after === null || at(o) > after) && (until === null || at(o) < until) && (!symbols || symbols.includes(o.symbol)))
    .sort((a, b) => (at(a.o) - at(b.o) || a.i - b.i) * (direction === 'asc' ? 1 : -1))
    .slice(0, Math.min(limit, 500))
    .map(({ o }) => wire(o, nested));
}

/** GET /v2/clock at `now`. */
export function clockWire(now: Date): object {
  const d = etDate(now);
  const open = isTradingDay(d) && now >= sessionOpenUtc(d) && now < sessionCloseUtc(d);
  const nextOpen = isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
  const nextClose = isTradingDay(d) && now < sessionCloseUtc(d) ? d : nextSession(d);
  return { timestamp: isoEt(now), is_open: open, next_open: isoEt(sessionOpenUtc(nextOpen)), next_close: isoEt(sessionCloseUtc(nextClose)) };
}

/** GET /v2/calendar: Alpaca reads start/end as dates or as instants (in New York time). */
export function calendarWire(now: Date, start: string | null, end: string | null): object[] | Refusal {
  const day = (v: string | null, fallback: string) => (v === null ? fallback : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : Number.isNaN(Date.parse(v)) ? null : etDate(new Date(v)));
  const today = etDate(now);
  const s = day(start, today);
  const e = day(end, s ?? today);
  if (!s || !e) return { status: 400, message: 'invalid start or end' };
  return sessionsBetween(s, e).map((date) => ({ date, open: '09:30', close: closeTimeEt(date), session_open: '0400', session_close: '2000', settlement_date: nextSession(date) }));
}
