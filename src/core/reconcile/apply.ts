// Running reconcile: read the broker (a failure to answer is an error, never "flat"), plan,
// optionally apply with the broker as the truth, and record the result for preflight and kill off.
import path from 'node:path';
import type { StrategyParams } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import type { EventLog } from '../log/logger.js';
import { etDate } from '../market/time.js';
import { cancelAndConfirm } from '../oms/exit.js';
import { protectiveOf, type ProtectOutcome } from '../oms/protect.js';
import { statusOf } from '../oms/status.js';
import { resolveUnresolved, type SubmitDeps } from '../oms/submit.js';
import { listAllOrders, syncOrders } from '../oms/sync.js';
import type { Broker, OrderReport } from '../ports/broker.js';
import type { Clock } from '../ports/clock.js';
import { atomicWrite } from '../state/atomic.js';
import { IdempotencyFile, LastReconcileFile, PositionsFile, type IdempotencyRecord, type OrderStatus, type PositionEntry } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { atrWilder } from '../strategy/indicators.js';
import { findDiscrepancies, isClean, kobeBoughtSymbols, mismatchNotional, type Discrepancy } from './plan.js';
import { splitName, splitPrice, splitRatio } from './split.js';

/** What reconcile needs. */
export interface ReconcileDeps {
  broker: Broker;
  store: StateStore;
  bars: BarStore;
  params: StrategyParams;
  clock: Clock;
  audit: { append(type: string, data: Record<string, unknown>): Promise<unknown> };
  events: EventLog;
  reportsDir: string;
  /** The OMS: every run first follows unfinished orders (the broker's fills book the ledger). */
  oms: SubmitDeps;
  /** --fix: place missing protective stops through the submit path. */
  protect?: () => Promise<ProtectOutcome[]>;
}

/** How to run reconcile: read-only, or --fix; `adopt` names FOREIGN positions to take into the ledger. */
export interface ReconcileRunOptions {
  fix: boolean;
  adopt?: readonly string[];
}

/** One fix that was applied. */
export interface AppliedFix {
  type: Discrepancy['type'];
  symbol: string | null;
  change: string;
  ok: boolean;
}

/** The result of a reconcile run. */
export interface ReconcileReport {
  ts: string;
  broker: string;
  clean: boolean;
  discrepancies: Discrepancy[];
  mismatch_notional: number;
  fixed: AppliedFix[];
  /** Discrepancies left after --fix (empty when the fix worked). */
  remaining: Discrepancy[];
  report_file: string;
}

const orderStatus = (o: OrderReport): OrderStatus => statusOf(o);

async function snapshot(d: ReconcileDeps): Promise<Discrepancy[]> {
  const [positions, open] = await Promise.all([d.broker.positions(), listAllOrders(d.broker, undefined, 'open')]);
  return findDiscrepancies({ brokerPositions: positions, brokerOpenOrders: open, ledger: d.store.read(PositionsFile).positions, store: d.store.read(IdempotencyFile).orders, splits: recordedSplits(d) });
}

/** Splits per symbol from the bar store's index; none when the store cannot be read (the shape alone decides). */
function recordedSplits(d: ReconcileDeps): Record<string, Array<{ date: string; ratio: number }>> {
  try {
    return Object.fromEntries(d.bars.list().filter((e) => e.splits.length).map((e) => [e.symbol, e.splits]));
  } catch {
    return {};
  }
}

/** How long --fix waits for the broker to confirm a stale protective order cancelled. */
const CANCEL_WAIT_MS = 10_000;

/** Stop 2 x ATR(14) below the average price, from the bar store; null when it cannot be computed. */
function exitPlan(d: ReconcileDeps, symbol: string, avg: number, strategy: string | null): { stop: number; time_stop_bars: number } | null {
  let atr = NaN;
  try {
    const s = d.bars.load(symbol);
    const a = atrWilder(s.high, s.low, s.close, d.params.common.atr_period);
    atr = a[a.length - 1];
  } catch {
    return null;
  }
  if (!Number.isFinite(atr) || atr <= 0) return null;
  const bars = strategy === 'turtle_soup' ? d.params.turtle_soup.time_stop_bars : d.params.ibs_rsi.time_stop_bars;
  return { stop: Math.round((avg - 2 * atr) * 100) / 100, time_stop_bars: bars };
}

async function applyFixes(d: ReconcileDeps, ds: Discrepancy[], adopt: ReadonlySet<string>): Promise<AppliedFix[]> {
  const fixes: AppliedFix[] = [];
  const now = d.clock.now();
  const record = async (f: AppliedFix) => {
    fixes.push(f);
    await d.audit.append('reconcile_fix', { discrepancy: f.type, symbol: f.symbol, change: f.change, ok: f.ok });
  };
  for (const x of ds.filter((y) => y.type === 'UNRESOLVED_ORDER')) {
    // A miss is not a rejection: an order whose POST timed out can still be live at the broker.
    const rec = d.store.read(IdempotencyFile).orders[x.client_order_id!];
    const after = await resolveUnresolved(d.oms, rec, 'looked up by reconcile');
    const resolved = after.status !== 'UNKNOWN' && after.status !== 'PENDING';
    await record({ type: x.type, symbol: x.symbol, change: `${x.client_order_id} -> ${after.status}${resolved ? '' : ' (still not found: left unknown, never assumed rejected)'}`, ok: resolved });
  }
  const orphans = ds.filter((y) => y.type === 'ORPHAN_ORDER');
  if (orphans.length) {
    const open = await listAllOrders(d.broker, undefined, 'open');
    await d.store.update(IdempotencyFile, (f) => {
      for (const x of orphans) {
        const o = open.find((z) => z.client_order_id === x.client_order_id);
        if (!o || o.qty === null || f.orders[o.client_order_id]) continue;
        const at = now.toISOString();
        const rec: IdempotencyRecord = {
          client_order_id: o.client_order_id,
          intent: { session_date: etDate(new Date(o.submitted_at ?? at)), symbol: o.symbol, side: o.side, qty: o.qty, type: o.type, time_in_force: o.time_in_force, limit_price: o.limit_price, stop_price: o.stop_price, strategy: 'external', kind: 'adopted', target_price: null },
          status: orderStatus(o), broker_order_id: o.id, reason: 'adopted by reconcile (placed outside kobe)', attempts: 0, created_at: at, updated_at: at, filled_qty: o.filled_qty, filled_avg_price: o.filled_avg_price,
          attempt: 1, broker_status: o.status, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
        };
        f.orders[o.client_order_id] = rec;
      }
      return f;
    });
    for (const x of orphans) {
      const adopted = !!d.store.read(IdempotencyFile).orders[x.client_order_id!];
      await record({ type: x.type, symbol: x.symbol, change: adopted ? `adopted ${x.client_order_id} into the store` : `${x.client_order_id} not adopted (a notional order): cancel or keep it by hand`, ok: adopted });
    }
  }
  const positionTypes = new Set(['MISSING_IN_BROKER', 'MISSING_LOCALLY', 'QUANTITY_MISMATCH', 'PRICE_MISMATCH', 'NO_EXIT_PLAN', 'SPLIT_ADJUSTED']);
  const adopting = ds.some((y) => y.type === 'FOREIGN' && adopt.has(y.symbol ?? ''));
  // A symbol with an order of unknown outcome is left as it is: when that order resolves its
  // fill is booked, and a ledger rewritten to the broker now would then count it twice.
  const waiting = new Set(Object.values(d.store.read(IdempotencyFile).orders).filter((r) => r.status === 'PENDING' || r.status === 'UNKNOWN').map((r) => r.intent.symbol));
  // A split: the resting stop still carries the pre-split level and size, so it comes down before
  // the ledger is rescaled; until its cancel is confirmed the ledger is left as it is (next --fix).
  const splitHeld = new Set<string>();
  for (const x of ds.filter((y) => y.type === 'SPLIT_ADJUSTED' && !waiting.has(y.symbol ?? ''))) {
    const prot = protectiveOf(d.store.peek(IdempotencyFile).orders, x.symbol!);
    if (!prot || (await cancelAndConfirm(d.oms, prot, CANCEL_WAIT_MS))) continue;
    splitHeld.add(x.symbol!);
    await record({ type: x.type, symbol: x.symbol, change: `the resting stop ${prot.client_order_id} is not cancelled yet: ledger left as it is until a later --fix`, ok: false });
  }
  const splitAudits: Array<Record<string, unknown>> = [];
  if (adopting || ds.some((y) => positionTypes.has(y.type))) {
    const broker = (await d.broker.positions()).filter((p) => p.qty > 0);
    // Read again at apply time: a position that turned up since the plan is judged by the same rule.
    const ours = kobeBoughtSymbols(d.store.read(IdempotencyFile).orders);
    const pending: AppliedFix[] = [];
    const splitting = new Set(ds.filter((y) => y.type === 'SPLIT_ADJUSTED').map((y) => y.symbol));
    await d.store.update(PositionsFile, (f) => {
      const before = new Map(f.positions.map((p) => [p.symbol, p]));
      const next: PositionEntry[] = [];
      for (const [sym, old] of before) {
        if (!waiting.has(sym)) continue;
        next.push(old);
        pending.push({ type: 'UNRESOLVED_ORDER', symbol: sym, change: `ledger left as it is until the order of unknown outcome for ${sym} resolves`, ok: false });
      }
      for (const b of broker) {
        if (waiting.has(b.symbol)) {
          if (!before.has(b.symbol)) pending.push({ type: 'UNRESOLVED_ORDER', symbol: b.symbol, change: `not adopted: an order for ${b.symbol} has an unknown outcome; its fill is booked when it resolves`, ok: false });
          continue;
        }
        const old = before.get(b.symbol);
        if (old && splitHeld.has(b.symbol)) {
          next.push(old);
          continue;
        }
        // A position kobe never bought is left alone (FOREIGN) unless --adopt names it.
        const foreign = !old && !ours.has(b.symbol);
        if (foreign && !adopt.has(b.symbol)) continue;
        const e: PositionEntry = old
          ? { ...old, qty: b.qty, avg_price: b.avg_entry_price, updated_at: now.toISOString() }
          : { symbol: b.symbol, qty: b.qty, avg_price: b.avg_entry_price, strategy: null, entry_date: etDate(now), stop: null, target: null, time_stop_bars: null, bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: now.toISOString() };
        // Judged again on the ledger as it is now: a protective fill booked by the cancel changes it.
        const split = old && splitting.has(b.symbol) ? splitRatio(old.qty, old.avg_price, b.qty, b.avg_entry_price) : null;
        if (old && split) {
          e.stop = old.stop === null ? null : splitPrice(old.stop, split);
          e.target = old.target === null ? null : splitPrice(old.target, split);
          const levels = (p: PositionEntry) => ({ qty: p.qty, avg_price: p.avg_price, stop: p.stop, target: p.target });
          splitAudits.push({ symbol: b.symbol, split: splitName(split), ratio: split.ratio, before: levels(old), after: levels(e) });
          pending.push({ type: 'SPLIT_ADJUSTED', symbol: b.symbol, change: `${splitName(split)} split: ledger ${old.qty} @ ${old.avg_price} -> ${b.qty} @ ${b.avg_entry_price}; stop ${old.stop} -> ${e.stop}, target ${old.target} -> ${e.target}`, ok: true });
        } else if (!old) pending.push({ type: foreign ? 'FOREIGN' : 'MISSING_LOCALLY', symbol: b.symbol, change: `${foreign ? 'adopted (--adopt)' : 'added'} ${b.qty} @ ${b.avg_entry_price} to the ledger`, ok: true });
        else if (old.qty !== b.qty || old.avg_price !== b.avg_entry_price) pending.push({ type: old.qty !== b.qty ? 'QUANTITY_MISMATCH' : 'PRICE_MISMATCH', symbol: b.symbol, change: `ledger ${old.qty} @ ${old.avg_price} -> ${b.qty} @ ${b.avg_entry_price}`, ok: true });
        if (e.stop === null || e.time_stop_bars === null) {
          const plan = exitPlan(d, b.symbol, e.avg_price, e.strategy);
          if (plan) {
            e.stop = e.stop ?? plan.stop;
            e.time_stop_bars = e.time_stop_bars ?? plan.time_stop_bars;
          }
          pending.push({ type: 'NO_EXIT_PLAN', symbol: b.symbol, change: plan ? `stop ${e.stop}, time stop ${e.time_stop_bars} bars` : 'no bars to compute an ATR stop: set one by hand', ok: plan !== null });
        }
        next.push(e);
      }
      for (const [sym, old] of before) if (old.qty !== 0 && !waiting.has(sym) && !broker.some((b) => b.symbol === sym)) pending.push({ type: 'MISSING_IN_BROKER', symbol: sym, change: `removed ghost ${old.qty} ${sym} from the ledger`, ok: true });
      return { ...f, updated_at: now.toISOString(), positions: next.sort((a, b) => (a.symbol < b.symbol ? -1 : 1)) };
    });
    for (const a of splitAudits) await d.audit.append('split_adjusted', a);
    for (const f of pending) await record(f);
  }
  if (d.protect && (adopting || ds.some((y) => y.type === 'NO_PROTECTIVE_STOP' || y.type === 'MISSING_LOCALLY' || y.type === 'NO_EXIT_PLAN' || y.type === 'SPLIT_ADJUSTED'))) {
    for (const p of await d.protect()) {
      if (p.action === 'placed' || p.action === 'resized' || p.action === 'failed') await record({ type: 'NO_PROTECTIVE_STOP', symbol: p.symbol, change: `${p.action}: ${p.client_order_id ?? '-'} ${p.detail}`, ok: p.action !== 'failed' });
    }
  }
  return fixes;
}

/** Reconcile once; with `fix`, apply the plan and reconcile again to confirm. */
export async function reconcile(d: ReconcileDeps, opts: ReconcileRunOptions): Promise<ReconcileReport> {
  const ts = d.clock.now().toISOString();
  await syncOrders(d.oms);
  const discrepancies = await snapshot(d);
  let fixed: AppliedFix[] = [];
  let remaining = discrepancies;
  const adopt = new Set(opts.adopt ?? []);
  // FOREIGN alone needs no fix: --fix acts on it only when --adopt names it.
  if (opts.fix && discrepancies.some((x) => x.type !== 'FOREIGN' || adopt.has(x.symbol ?? ''))) {
    fixed = await applyFixes(d, discrepancies, adopt);
    remaining = await snapshot(d);
  }
  const clean = isClean(remaining);
  const file = path.join(d.reportsDir, 'reconcile', `reconcile-${ts.replace(/[:.]/g, '-')}.json`);
  const report: ReconcileReport = { ts, broker: d.broker.name, clean, discrepancies, mismatch_notional: mismatchNotional(discrepancies), fixed, remaining, report_file: file };
  await atomicWrite(file, `${JSON.stringify(report, null, 2)}\n`);
  await d.store.write(LastReconcileFile, { version: 1, ts, clean, broker: d.broker.name, discrepancies: remaining.map(({ type, symbol, severity, detail, action, notional, client_order_id }) => ({ type, symbol, severity, detail, action, notional, ...(client_order_id ? { client_order_id } : {}) })), mismatch_notional: mismatchNotional(remaining), fixed: fixed.length > 0 });
  d.events.emit('reconcile', { clean, discrepancies: discrepancies.length, fixed: fixed.length, remaining: remaining.length, mismatch_notional: report.mismatch_notional }, clean ? 'info' : 'warn');
  return report;
}
