// The one function that applies an order update (ARCHITECTURE section 4): the broker's stream,
// polling by client id, the submit reply and reconcile all feed it. Under one lock it moves the
// record's status (never back from final), records each new fill once, keyed by order id +
// cumulative filled quantity (the same key whether the stream or a poll saw it first), and then
// books every fill not yet booked: the ledger, the journal and the budget snapshots change here.
import path from 'node:path';
import type { Clock } from '../ports/clock.js';
import type { Broker, OrderReport } from '../ports/broker.js';
import type { EventLog } from '../log/logger.js';
import { withLock } from '../state/lock.js';
import { IdempotencyFile, type IdempotencyRecord, type OrderStatus } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { writeBudgetSnapshots } from './budgets.js';
import { bookFill, type FillRecord } from './ledger.js';
import { FINAL, UNRESOLVED, statusOf } from './status.js';

/** What the order-management core needs. */
export interface OmsDeps {
  broker: Broker;
  store: StateStore;
  clock: Clock;
  audit: { append(type: string, data: Record<string, unknown>): Promise<unknown>; checkTail?(): void };
  events: EventLog;
  logsDir: string;
  /** Directory of the locks (state/locks). */
  locksDir: string;
  /** Wait between polls: a real sleep, or moving a simulated clock. */
  wait(ms: number): Promise<void>;
}

/** What applying one update did. */
export interface ApplyResult {
  client_order_id: string;
  status: OrderStatus;
  changed: boolean;
  fills: FillRecord[];
  problems: string[];
}

const round4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Run `fn` under the OMS lock: one writer of orders, ledger and journal at a time, across processes. */
export function withOmsLock<T>(d: Pick<OmsDeps, 'locksDir'>, fn: () => Promise<T>): Promise<T> {
  return withLock(path.join(d.locksDir, 'oms'), fn, { timeoutMs: 60_000 });
}

function recordFor(orders: Record<string, IdempotencyRecord>, o: OrderReport): IdempotencyRecord | undefined {
  return orders[o.client_order_id] ?? Object.values(orders).find((r) => r.broker_order_id === o.id);
}

/** New fills in `o` (parent and legs) beyond those `r` already holds, or a contradiction. */
function newFills(r: IdempotencyRecord, o: OrderReport, at: string): { fills: FillRecord[]; problems: string[] } {
  const fills: FillRecord[] = [];
  const problems: string[] = [];
  for (const part of [o, ...o.legs]) {
    const mine = r.fills.filter((f) => f.key.startsWith(`${part.id}:`));
    const appliedQty = mine.reduce((a, f) => a + f.qty, 0);
    const appliedCost = mine.reduce((a, f) => a + f.qty * f.price, 0);
    const cum = part.filled_qty;
    if (part.qty !== null && cum > part.qty + 1e-9) {
      problems.push(`order ${part.id} (${r.client_order_id}) reports ${cum} filled of ${part.qty} ordered`);
      continue;
    }
    if (cum <= appliedQty + 1e-9) continue;
    if (part.filled_avg_price === null || !(part.filled_avg_price > 0)) {
      problems.push(`order ${part.id} (${r.client_order_id}) reports ${cum} filled without a fill price`);
      continue;
    }
    const qty = round4(cum - appliedQty);
    const price = round4((cum * part.filled_avg_price - appliedCost) / qty);
    const leg = r.intent.kind !== 'protect' ? null : part.type === 'limit' ? 'target' : 'stop';
    fills.push({ key: `${part.id}:${cum}`, qty, price: price > 0 ? price : part.filled_avg_price, at: part.filled_at ?? part.updated_at ?? at, booked: false, leg });
  }
  return { fills, problems };
}

function nextStatus(r: IdempotencyRecord, o: OrderReport, filled: number): OrderStatus {
  if (FINAL.has(r.status)) return r.status;
  const ordered = o.qty ?? r.intent.qty;
  if (o.legs.length && filled >= ordered - 1e-9) return 'FILLED';
  return statusOf(o);
}

/**
 * Apply one broker report of an order kobe knows. Unknown kobe orders and contradictions are named
 * problems with an audit record; an order placed outside kobe is left to reconcile (null).
 */
export async function applyOrderUpdate(d: OmsDeps, o: OrderReport, source: 'submit' | 'poll' | 'stream' | 'reconcile'): Promise<ApplyResult | null> {
  return withOmsLock(d, async () => {
    const now = d.clock.now();
    const at = now.toISOString();
    const rec = recordFor(d.store.read(IdempotencyFile).orders, o);
    if (!rec) {
      if (!o.client_order_id.startsWith('kobe-')) return null;
      const problem = `an update for ${o.client_order_id} (broker id ${o.id}) has no record in the idempotency store`;
      d.events.emit('order_update_unknown', { client_order_id: o.client_order_id, broker_order_id: o.id, status: o.status, source }, 'error');
      await d.audit.append('order_update_unknown', { client_order_id: o.client_order_id, broker_order_id: o.id, symbol: o.symbol, status: o.status, source });
      return { client_order_id: o.client_order_id, status: 'UNKNOWN', changed: false, fills: [], problems: [problem] };
    }
    const cid = rec.client_order_id;
    const { fills, problems } = newFills(rec, o, at);
    if (o.symbol !== rec.intent.symbol || o.side !== rec.intent.side) problems.push(`broker order ${o.id} is ${o.side} ${o.symbol}, the record ${cid} is ${rec.intent.side} ${rec.intent.symbol}`);
    const mismatch = problems.length > 0 && (o.symbol !== rec.intent.symbol || o.side !== rec.intent.side);
    const was = rec.status;
    const wasBroker = rec.broker_status;
    let updated = rec;
    await d.store.update(IdempotencyFile, (f) => {
      const r = f.orders[cid];
      if (mismatch) return f;
      const all = [...r.fills, ...fills.filter((x) => !r.fills.some((y) => y.key === x.key))];
      const filled = round4(all.reduce((a, x) => a + x.qty, 0));
      const status = nextStatus(r, o, filled);
      Object.assign(r, {
        status, broker_order_id: r.broker_order_id ?? o.id, broker_status: o.status, fills: all, filled_qty: filled,
        filled_avg_price: filled > 0 ? round4(all.reduce((a, x) => a + x.qty * x.price, 0) / filled) : null,
        unknown_since: UNRESOLVED.has(status) ? r.unknown_since : null, updated_at: at,
        reason: status === 'REJECTED' && !r.reason ? `rejected by the broker (${o.status})` : r.reason,
      });
      updated = r;
      return f;
    });
    for (const p of problems) {
      d.events.emit('order_update_problem', { client_order_id: cid, broker_order_id: o.id, problem: p, source }, 'error');
      await d.audit.append('order_update_problem', { client_order_id: cid, broker_order_id: o.id, symbol: o.symbol, problem: p, source });
    }
    const booked = await bookPending(d, cid, now);
    problems.push(...booked.problems);
    if (updated.status !== was) {
      d.events.emit('order_status', { client_order_id: cid, from: was, to: updated.status, broker_status: o.status, filled_qty: updated.filled_qty, source });
      if (FINAL.has(updated.status) && updated.status !== 'FILLED') await d.audit.append(`order_${updated.status.toLowerCase()}`, { client_order_id: cid, broker_order_id: o.id, symbol: o.symbol, filled_qty: updated.filled_qty, source });
    }
    if (updated.intent.kind === 'entry' && (fills.length || updated.status !== was)) await writeBudgetSnapshots(d.store, updated.intent.session_date);
    return { client_order_id: cid, status: updated.status, changed: fills.length > 0 || updated.status !== was || updated.broker_status !== wasBroker, fills: booked.fills, problems };
  });
}

/** Book every recorded fill of `cid` that is not booked yet (also the recovery after a crash). */
async function bookPending(d: OmsDeps, cid: string, now: Date): Promise<{ fills: FillRecord[]; problems: string[] }> {
  const rec = d.store.read(IdempotencyFile).orders[cid];
  const out: FillRecord[] = [];
  const problems: string[] = [];
  for (const f of rec.fills.filter((x) => !x.booked)) {
    const b = await bookFill(d.store, d.logsDir, rec, f, now);
    const data = { client_order_id: cid, symbol: rec.intent.symbol, side: rec.intent.side, kind: rec.intent.kind, qty: f.qty, price: f.price, fill_key: f.key, leg: f.leg, position_qty: b.position_after?.qty ?? 0 };
    d.events.emit('order_filled', data);
    await d.audit.append('order_filled', data);
    if (rec.intent.side === 'sell' && !b.position_after) d.events.emit('position_closed', { symbol: rec.intent.symbol, qty: f.qty, price: f.price, reason: f.leg ?? rec.intent.kind, pnl: b.position_before ? Math.round((f.price - b.position_before.avg_price) * f.qty * 100) / 100 : null });
    if (b.problem) {
      problems.push(b.problem);
      d.events.emit('order_update_problem', { client_order_id: cid, problem: b.problem }, 'error');
      await d.audit.append('order_update_problem', { client_order_id: cid, symbol: rec.intent.symbol, problem: b.problem });
    }
    await d.store.update(IdempotencyFile, (file) => {
      const x = file.orders[cid].fills.find((y) => y.key === f.key);
      if (x) x.booked = true;
      return file;
    });
    out.push({ ...f, booked: true });
  }
  return { fills: out, problems };
}

/** Book fills left unbooked by a crash, for every record (cheap: a scan of the store). */
export async function recoverUnbooked(d: OmsDeps): Promise<number> {
  const pending = Object.values(d.store.read(IdempotencyFile).orders).filter((r) => r.fills.some((f) => !f.booked));
  if (!pending.length) return 0;
  return withOmsLock(d, async () => {
    let n = 0;
    for (const r of pending) n += (await bookPending(d, r.client_order_id, d.clock.now())).fills.length;
    if (pending.some((r) => r.intent.kind === 'entry')) await writeBudgetSnapshots(d.store, pending.find((r) => r.intent.kind === 'entry')!.intent.session_date);
    return n;
  });
}
