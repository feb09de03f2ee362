// The single submit path (SPEC section 5): intent -> trading state -> live gates -> risk gate ->
// idempotency store (PENDING persisted first) -> broker. It is the only holder of a SubmitPermit.
// Outcomes: accepted -> SUBMITTED (or FILLED); refused -> REJECTED with the reason; timeout or
// network error -> UNKNOWN, resolved at once by looking the client id up. A reused id (422) means
// the order exists: it is looked up, never sent again under a new id.
import fs from 'node:fs';
import path from 'node:path';
import { DuplicateClientOrderId, BrokerRejection } from '../broker/errors.js';
import { withLock } from '../state/lock.js';
import type { KobeConfig } from '../config/schema.js';
import { ConnectivityError, KobeError, SafetyRefusal, TransientBrokerError, errorText } from '../errors.js';
import type { EventLog } from '../log/logger.js';
import { etMinutes } from '../market/time.js';
import type { Clock } from '../ports/clock.js';
import type { Broker, OrderReport, OrderRequest, SubmitPermit } from '../ports/broker.js';
import { riskGate, type VetoReason } from '../risk/gate.js';
import { paperHostProblem, type LiveGate } from '../risk/live-gates.js';
import type { TradingState } from '../risk/trading-state.js';
import { DailyBudgetFile, IdempotencyFile, RiskVetoesFile, WeeklyBudgetFile, type OrderIntentRecord, type OrderStatus } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { beginIntent, markIntent, UNRESOLVED } from './idempotency.js';
import { clientOrderId } from './client-id.js';

/** An order the strategy or an operator wants; the submit path decides whether it leaves. */
export interface OrderIntent extends OrderIntentRecord {
  /** Bracket exits sent with an entry. */
  take_profit?: number | null;
  stop_loss?: number | null;
}

/** Everything the submit path needs, from the context. */
export interface SubmitDeps {
  broker: Broker;
  store: StateStore;
  config: KobeConfig;
  clock: Clock;
  audit: { append(type: string, data: Record<string, unknown>): Promise<unknown> };
  events: EventLog;
  /** Read fresh on every call: the kill switch is checked per order. */
  tradingState: () => TradingState;
  /** Missing live gates for this run (empty = all present). */
  missingLiveGates: () => Promise<LiveGate[]>;
  /** Paper mode only: allow entries outside the trading windows. */
  ignoreWindow?: boolean;
  /** Directory of the per-intent locks (state/locks). */
  locksDir: string;
  /** close-all: while HALTED, still let sells that shrink a position through (as REDUCING). */
  allowClosingWhileHalted?: boolean;
}

/** What happened to one intent. */
export interface SubmitOutcome {
  client_order_id: string;
  status: OrderStatus | 'VETOED' | 'REFUSED';
  broker_order_id: string | null;
  /** True when an earlier attempt's order was found instead of sending. */
  reused: boolean;
  reason: string | null;
  veto?: VetoReason;
  order?: OrderReport;
}

const PERMIT = Object.freeze({}) as SubmitPermit;

function statusOf(o: OrderReport): OrderStatus {
  if (o.status === 'filled') return 'FILLED';
  if (o.status === 'partially_filled') return 'PARTIALLY_FILLED';
  if (o.status === 'canceled') return 'CANCELED';
  if (o.status === 'expired' || o.status === 'done_for_day') return 'EXPIRED';
  if (o.status === 'rejected') return 'REJECTED';
  return 'SUBMITTED';
}

async function countVeto(store: StateStore, veto: string, day: string): Promise<void> {
  await store.update(RiskVetoesFile, (f) => {
    const today = f.date === day ? f.today : {};
    today[veto] = (today[veto] ?? 0) + 1;
    f.total[veto] = (f.total[veto] ?? 0) + 1;
    return { ...f, date: day, today };
  });
}

function weekStart(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

async function chargeBudgets(store: StateStore, day: string, notional: number): Promise<void> {
  await store.update(DailyBudgetFile, (b) => (b.date === day ? { ...b, notional_used: b.notional_used + notional, entries: b.entries + 1 } : { version: 1 as const, date: day, notional_used: notional, entries: 1 }));
  const ws = weekStart(day);
  await store.update(WeeklyBudgetFile, (w) => {
    const base = w.week_start === ws ? w : { version: 1 as const, week_start: ws, new_exposure: 0, entries_by_day: {} };
    return { ...base, new_exposure: base.new_exposure + notional, entries_by_day: { ...base.entries_by_day, [day]: (base.entries_by_day[day] ?? 0) + 1 } };
  });
}

/** Look an order up by client id; a failing lookup leaves the outcome UNKNOWN. */
async function resolveByClientId(d: SubmitDeps, cid: string): Promise<OrderReport | null | 'unknown'> {
  try {
    return await d.broker.getOrderByClientId(cid);
  } catch {
    return 'unknown';
  }
}

/** Send one intent through every gate; the only code that may call Broker.submitOrder. */
export async function submitIntent(d: SubmitDeps, intent: OrderIntent): Promise<SubmitOutcome> {
  const cid = clientOrderId(intent);
  const now = d.clock.now();
  const base = { client_order_id: cid, broker_order_id: null, reused: false, reason: null };
  const read = d.tradingState();
  // Closing everything reduces exposure, so close-all may act under a halt, but only as REDUCING.
  const state = read.state === 'HALTED' && d.allowClosingWhileHalted && intent.side === 'sell' ? { ...read, state: 'REDUCING' as const } : read;
  if (state.state === 'HALTED') {
    await countVeto(d.store, 'trading_state', intent.session_date);
    d.events.emit('order_refused', { client_order_id: cid, symbol: intent.symbol, reason: 'kill switch: HALTED', kill_reason: state.record?.reason }, 'warn');
    return { ...base, status: 'REFUSED', reason: `kill switch on (HALTED): ${state.record?.reason ?? ''}`.trim(), veto: 'trading_state' };
  }
  const hostProblem = paperHostProblem(d.config, d.broker.host);
  if (d.config.trading.mode === 'live' || hostProblem) {
    const missing = d.config.trading.mode === 'live' ? await d.missingLiveGates() : [];
    if (missing.length || hostProblem) {
      const why = hostProblem ?? `live gates missing: ${missing.join(', ')}`;
      d.events.emit('live_trading_attempted', { client_order_id: cid, symbol: intent.symbol, missing_gates: missing, host_problem: hostProblem }, 'error');
      await d.audit.append('live_trading_attempted', { client_order_id: cid, symbol: intent.symbol, missing_gates: missing, host_problem: hostProblem });
      throw new SafetyRefusal(`refused: ${why}`, { hint: 'live trading needs every gate (see RUNBOOK.md, live trading); nothing was sent', details: { missing_gates: missing } });
    }
  }

  // One attempt per client id at a time, across processes: a second caller waits and then sees
  // the first one's outcome instead of racing it through the gate.
  fs.mkdirSync(d.locksDir, { recursive: true });
  return withLock(path.join(d.locksDir, cid), () => submitLocked(d, intent, cid, state), { timeoutMs: d.config.broker.timeout_ms * 3 + 5_000 });
}

async function submitLocked(d: SubmitDeps, intent: OrderIntent, cid: string, state: TradingState): Promise<SubmitOutcome> {
  const now = d.clock.now();
  const base = { client_order_id: cid, broker_order_id: null, reused: false, reason: null };
  // An intent seen before is never gated or sent again as new: report it, or resolve it first.
  const prior = d.store.read(IdempotencyFile).orders[cid];
  if (prior && !UNRESOLVED.has(prior.status)) return { ...base, status: prior.status, broker_order_id: prior.broker_order_id, reused: true, reason: prior.reason };
  if (prior) {
    const found = await resolveByClientId(d, cid);
    if (found === 'unknown') return { ...base, status: 'UNKNOWN', reason: 'the broker could not be asked about the earlier attempt; nothing was sent' };
    if (found) return settle(d, cid, found, true, intent.kind === 'entry', 0, intent);
  }

  const [account, positions, open] = await Promise.all([d.broker.account(), d.broker.positions(), d.broker.listOrders({ status: 'open', limit: 500 })]);
  const held = positions.find((p) => p.symbol === intent.symbol)?.qty ?? 0;
  const entry = intent.kind === 'entry' || (intent.side === 'buy' && held >= 0);
  const daily = d.store.read(DailyBudgetFile);
  const sameDay = daily.date === intent.session_date;
  const price = intent.limit_price ?? intent.stop_price ?? positions.find((p) => p.symbol === intent.symbol)?.current_price ?? NaN;
  const verdict = riskGate(d.config, {
    side: intent.side, qty: intent.qty, price, symbol: intent.symbol, entry, equity: account.equity,
    positions: Object.fromEntries(positions.map((p) => [p.symbol, { qty: p.qty, market_value: p.market_value ?? p.qty * p.avg_entry_price }])),
    openBuySymbols: new Set(open.filter((o) => o.side === 'buy' && o.client_order_id !== cid).map((o) => o.symbol)),
    dailyNotionalUsed: sameDay ? daily.notional_used : 0, entriesToday: sameDay ? daily.entries : 0,
    etMinutes: etMinutes(now), tradingState: state.state, ignoreWindow: d.ignoreWindow,
  });
  if (!verdict.ok) {
    await countVeto(d.store, verdict.veto, intent.session_date);
    d.events.emit('risk_veto', { client_order_id: cid, symbol: intent.symbol, veto: verdict.veto, detail: verdict.detail }, 'warn');
    await d.audit.append('risk_veto', { client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, veto: verdict.veto, detail: verdict.detail });
    return { ...base, status: 'VETOED', reason: verdict.detail, veto: verdict.veto };
  }

  const { take_profit, stop_loss, ...record } = intent;
  const { record: rec, created } = await beginIntent(d.store, cid, record, now);
  if (!created && !UNRESOLVED.has(rec.status)) {
    return { ...base, status: rec.status, broker_order_id: rec.broker_order_id, reused: true, reason: rec.reason };
  }
  if (!created) {
    // Another process wrote PENDING meanwhile: its order may have reached the broker.
    const found = await resolveByClientId(d, cid);
    if (found === 'unknown') return { ...base, status: 'UNKNOWN', reason: 'the broker could not be asked about the earlier attempt; nothing was sent' };
    if (found) return settle(d, cid, found, true, entry, verdict.notional, intent);
  }
  const req: OrderRequest = {
    client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, type: intent.type, time_in_force: intent.time_in_force,
    limit_price: intent.limit_price, stop_price: intent.stop_price,
    ...(take_profit || stop_loss ? { order_class: 'bracket' as const, take_profit: take_profit ? { limit_price: take_profit } : null, stop_loss: stop_loss ? { stop_price: stop_loss } : null } : {}),
  };
  let order: OrderReport;
  try {
    order = await d.broker.submitOrder(req, PERMIT);
  } catch (err) {
    if (err instanceof DuplicateClientOrderId) {
      const found = await resolveByClientId(d, cid);
      if (found && found !== 'unknown') return settle(d, cid, found, true, entry, verdict.notional, intent);
      await markIntent(d.store, cid, { status: 'UNKNOWN', reason: 'broker says the id exists but the order could not be read' }, d.clock.now());
      return { ...base, status: 'UNKNOWN', reason: 'duplicate client id, order not readable yet' };
    }
    if (err instanceof BrokerRejection) {
      await markIntent(d.store, cid, { status: 'REJECTED', reason: err.message }, d.clock.now());
      d.events.emit('order_rejected', { client_order_id: cid, symbol: intent.symbol, reason: err.message, status: err.status }, 'warn');
      await d.audit.append('order_rejected', { client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, reason: err.message });
      return { ...base, status: 'REJECTED', reason: err.message };
    }
    if (err instanceof ConnectivityError || err instanceof TransientBrokerError || !(err instanceof KobeError)) {
      await markIntent(d.store, cid, { status: 'UNKNOWN', reason: errorText(err) }, d.clock.now());
      d.events.emit('order_unknown', { client_order_id: cid, symbol: intent.symbol, error: errorText(err) }, 'error');
      const found = await resolveByClientId(d, cid);
      if (found && found !== 'unknown') return settle(d, cid, found, true, entry, verdict.notional, intent);
      return { ...base, status: 'UNKNOWN', reason: `outcome unknown (${errorText(err)}); it will be resolved by client id, never re-sent under a new id` };
    }
    throw err;
  }
  return settle(d, cid, order, false, entry, verdict.notional, intent);
}

async function settle(d: SubmitDeps, cid: string, order: OrderReport, reused: boolean, entry: boolean, notional: number, intent: OrderIntent): Promise<SubmitOutcome> {
  const status = statusOf(order);
  const { accepted } = await markIntent(d.store, cid, { status, broker_order_id: order.id, filled_qty: order.filled_qty, filled_avg_price: order.filled_avg_price, reason: null }, d.clock.now());
  // The gate's notional when this call sent the order; a resolved earlier attempt charges at its fill.
  if (entry && accepted) await chargeBudgets(d.store, intent.session_date, notional > 0 ? notional : order.qty * (order.filled_avg_price ?? intent.limit_price ?? 0));
  const fields = { client_order_id: cid, broker_order_id: order.id, symbol: intent.symbol, side: intent.side, qty: intent.qty, status, filled_qty: order.filled_qty, filled_avg_price: order.filled_avg_price, strategy: intent.strategy, kind: intent.kind, reused };
  d.events.emit('order_submitted', fields);
  await d.audit.append('order_submitted', fields);
  if (status === 'FILLED') d.events.emit('order_filled', fields);
  return { client_order_id: cid, status, broker_order_id: order.id, reused, reason: null, order };
}
