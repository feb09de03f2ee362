// The one function that applies an order update (ARCHITECTURE section 4): the broker's stream,
// polling by client id, the submit reply and reconcile all feed it. Under one lock it moves the
// record's status (never back from final), records each new fill once, keyed by order id +
// cumulative filled quantity (the same key whether the stream or a poll saw it first), and then
// books every fill not yet booked: the ledger, the journal and the budget snapshots change here.
import fs from 'node:fs';
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
  fs.mkdirSync(d.locksDir, { recursive: true });
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

type Source = 'submit' | 'poll' | 'stream' | 'reconcile';

/** What one report would change in its record (nothing, for a report the record already reflects). */
function planUpdate(rec: IdempotencyRecord, o: OrderReport, at: string): { fills: FillRecord[]; problems: string[]; mismatch: boolean; noop: boolean } {
  const { fills, problems } = newFills(rec, o, at);
  const mismatch = o.symbol !== rec.intent.symbol || o.side !== rec.intent.side;
  if (mismatch) problems.push(`broker order ${o.id} is ${o.side} ${o.symbol}, the record ${rec.client_order_id} is ${rec.intent.side} ${rec.intent.symbol}`);
  const filled = round4(rec.filled_qty + fills.reduce((a, x) => a + x.qty, 0));
  const noop = !mismatch && fills.length === 0 && problems.length === 0 && nextStatus(rec, o, filled) === rec.status && rec.broker_status === o.status && rec.broker_order_id !== null && !rec.fills.some((f) => !f.booked);
  return { fills, problems, mismatch, noop };
}

/**
 * Apply one broker report of an order kobe knows. Unknown kobe orders and contradictions are named
 * problems with an audit record; an order placed outside kobe is left to reconcile (null).
 */
export async function applyOrderUpdate(d: OmsDeps, o: OrderReport, source: Source): Promise<ApplyResult | null> {
  return (await applyOrderUpdates(d, [o], source))[0];
}

/**
 * Apply many reports (a page of a sync) under one lock with one write of the store. A report the
 * record already reflects changes nothing and costs no lock and no write.
 */
export async function applyOrderUpdates(d: OmsDeps, orders: readonly OrderReport[], source: Source): Promise<Array<ApplyResult | null>> {
  const at0 = d.clock.now().toISOString();
  const peek = d.store.peek(IdempotencyFile).orders;
  // Settled without the lock: orders placed outside kobe (left to reconcile) and no-op reports.
  const out: Array<ApplyResult | null> = [];
  const todo: Array<readonly [OrderReport, number]> = [];
  orders.forEach((o, i) => {
    const rec = recordFor(peek, o);
    if (!rec && !o.client_order_id.startsWith('kobe-')) out[i] = null;
    else if (rec && planUpdate(rec, o, at0).noop) out[i] = { client_order_id: rec.client_order_id, status: rec.status, changed: false, fills: [], problems: [] };
    else todo.push([o, i]);
  });
  if (!todo.length) return out;
  return withOmsLock(d, async () => {
    const now = d.clock.now();
    const at = now.toISOString();
    const results: Array<{ i: number; o: OrderReport; cid: string; was: OrderStatus; wasBroker: string | null; fills: FillRecord[]; problems: string[] }> = [];
    const unknown: Array<[number, OrderReport]> = [];
    await d.store.update(IdempotencyFile, (f) => {
      for (const [o, i] of todo) {
        const r = recordFor(f.orders, o);
        if (!r) {
          unknown.push([i, o]);
          continue;
        }
        const plan = planUpdate(r, o, at);
        results.push({ i, o, cid: r.client_order_id, was: r.status, wasBroker: r.broker_status, fills: plan.fills, problems: plan.problems });
        if (plan.mismatch) continue;
        const all = [...r.fills, ...plan.fills.filter((x) => !r.fills.some((y) => y.key === x.key))];
        const filled = round4(all.reduce((a, x) => a + x.qty, 0));
        const status = nextStatus(r, o, filled);
        Object.assign(r, {
          status, broker_order_id: r.broker_order_id ?? o.id, broker_status: o.status, fills: all, filled_qty: filled,
          filled_avg_price: filled > 0 ? round4(all.reduce((a, x) => a + x.qty * x.price, 0) / filled) : null,
          unknown_since: UNRESOLVED.has(status) ? r.unknown_since : null, updated_at: at,
          reason: status === 'REJECTED' && !r.reason ? `rejected by the broker (${o.status})` : r.reason,
        });
      }
      return f;
    });
    for (const [i, o] of unknown) {
      const problem = `an update for ${o.client_order_id} (broker id ${o.id}) has no record in the idempotency store`;
      d.events.emit('order_update_unknown', { client_order_id: o.client_order_id, broker_order_id: o.id, status: o.status, source }, 'error');
      await d.audit.append('order_update_unknown', { client_order_id: o.client_order_id, broker_order_id: o.id, symbol: o.symbol, status: o.status, source });
      out[i] = { client_order_id: o.client_order_id, status: 'UNKNOWN', changed: false, fills: [], problems: [problem] };
    }
    const days = new Set<string>();
    for (const x of results) {
      for (const p of x.problems) {
        d.events.emit('order_update_problem', { client_order_id: x.cid, broker_order_id: x.o.id, problem: p, source }, 'error');
        await d.audit.append('order_update_problem', { client_order_id: x.cid, broker_order_id: x.o.id, symbol: x.o.symbol, problem: p, source });
      }
      const booked = await bookPending(d, x.cid, now, new Set(x.fills.map((f) => f.key)));
      const updated = d.store.peek(IdempotencyFile).orders[x.cid];
      if (updated.status !== x.was) {
        d.events.emit('order_status', { client_order_id: x.cid, from: x.was, to: updated.status, broker_status: x.o.status, filled_qty: updated.filled_qty, source });
        if (FINAL.has(updated.status) && updated.status !== 'FILLED') await d.audit.append(`order_${updated.status.toLowerCase()}`, { client_order_id: x.cid, broker_order_id: x.o.id, symbol: x.o.symbol, filled_qty: updated.filled_qty, source });
      }
      if (updated.intent.kind === 'entry' && (x.fills.length || updated.status !== x.was)) days.add(updated.intent.session_date);
      out[x.i] = { client_order_id: x.cid, status: updated.status, changed: x.fills.length > 0 || updated.status !== x.was || updated.broker_status !== x.wasBroker, fills: booked.fills, problems: [...x.problems, ...booked.problems] };
    }
    for (const day of days) await writeBudgetSnapshots(d.store, day);
    return out;
  });
}

/** Book every recorded fill of `cid` that is not booked yet (`fresh`: recorded by this very call). */
async function bookPending(d: OmsDeps, cid: string, now: Date, fresh: ReadonlySet<string> = new Set()): Promise<{ fills: FillRecord[]; problems: string[] }> {
  const rec = d.store.peek(IdempotencyFile).orders[cid];
  if (!rec.fills.some((f) => !f.booked)) return { fills: [], problems: [] };
  const out: FillRecord[] = [];
  const problems: string[] = [];
  for (const f of rec.fills.filter((x) => !x.booked)) {
    const b = await bookFill(d.store, d.logsDir, rec, f, now, !fresh.has(f.key));
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
  const pending = Object.values(d.store.peek(IdempotencyFile).orders).filter((r) => r.fills.some((f) => !f.booked));
  if (!pending.length) return 0;
  return withOmsLock(d, async () => {
    let n = 0;
    for (const r of pending) n += (await bookPending(d, r.client_order_id, d.clock.now())).fills.length;
    if (pending.some((r) => r.intent.kind === 'entry')) await writeBudgetSnapshots(d.store, pending.find((r) => r.intent.kind === 'entry')!.intent.session_date);
    return n;
  });
}
