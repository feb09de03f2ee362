// The single submit path (SPEC section 5): intent -> trading state -> live gates -> (per-intent
// lock) -> trading state again -> risk gate -> idempotency store (PENDING and the budget it
// reserves, one atomic write) -> broker -> the apply function. It is the only holder of a
// SubmitPermit. Refused -> REJECTED; timeout or network error -> UNKNOWN, looked up by client id
// and left UNKNOWN on a miss (the order may still be live). A reused id (422) means the order
// exists: it is looked up, never sent again under a new id. A new attempt (`-a2`) goes only after
// the previous one is final with nothing filled; entries get one attempt per session.
import fs from 'node:fs';
import path from 'node:path';
import { DuplicateClientOrderId, BrokerRejection } from '../broker/errors.js';
import { withLock } from '../state/lock.js';
import type { KobeConfig } from '../config/schema.js';
import { ConnectivityError, KobeError, SafetyRefusal, TransientBrokerError, errorText } from '../errors.js';
import { etDate, etMinutes } from '../market/time.js';
import type { OrderReport, OrderRequest, SubmitPermit } from '../ports/broker.js';
import { riskGate, type VetoReason } from '../risk/gate.js';
import { paperHostProblem, type LiveGate } from '../risk/live-gates.js';
import type { TradingState } from '../risk/trading-state.js';
import { DailyBudgetFile, IdempotencyFile, PositionsFile, RiskVetoesFile, WeeklyBudgetFile, type IdempotencyRecord, type OrderIntentRecord, type OrderStatus } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { applyOrderUpdate, type OmsDeps } from './apply.js';
import { dailyUsage, writeBudgetSnapshots } from './budgets.js';
import { attemptsOf, beginIntent, markIntent } from './idempotency.js';
import { clientOrderId, intentBase } from './client-id.js';
import { setProtective } from './ledger.js';
import { FINAL, OPEN, UNRESOLVED } from './status.js';

/** An order the strategy or an operator wants; the submit path decides whether it leaves. */
export type OrderIntent = Omit<OrderIntentRecord, 'target_price'> & {
  target_price?: number | null;
  /** Entries: the exit plan the position gets when it fills. */
  plan?: IdempotencyRecord['plan'];
};

/** Everything the submit path needs, from the context. */
export interface SubmitDeps extends OmsDeps {
  config: KobeConfig;
  /** Read fresh on every call: the kill switch is checked per order, and again after every wait. */
  tradingState: () => TradingState;
  /** Missing live gates for this run (empty = all present). */
  missingLiveGates: () => Promise<LiveGate[]>;
  /** Paper mode only: allow entries outside the trading windows. */
  ignoreWindow?: boolean;
  /** close-all: while HALTED, still let sells that shrink a position through (as REDUCING). */
  allowClosingWhileHalted?: boolean;
}

/** What happened to one intent. */
export interface SubmitOutcome {
  client_order_id: string;
  status: OrderStatus | 'VETOED' | 'REFUSED';
  broker_order_id: string | null;
  /** True when an earlier attempt's record was reported instead of sending. */
  reused: boolean;
  reason: string | null;
  veto?: VetoReason;
  order?: OrderReport;
  attempt?: number;
  filled_qty?: number;
}

const PERMIT = Object.freeze({}) as SubmitPermit;

/** Protective stops reduce risk: a halt never keeps one from resting (SPEC section 4). */
const REDUCING_KINDS = new Set(['protect']);

async function countVeto(store: StateStore, veto: string, day: string): Promise<void> {
  await store.update(RiskVetoesFile, (f) => {
    const today = f.date === day ? f.today : {};
    today[veto] = (today[veto] ?? 0) + 1;
    f.total[veto] = (f.total[veto] ?? 0) + 1;
    return { ...f, date: day, today };
  });
}

/** The trading state this intent is judged under (close-all and protective stops act as REDUCING under a halt). */
function effectiveState(d: SubmitDeps, intent: OrderIntent): TradingState {
  const read = d.tradingState();
  const reduces = intent.side === 'sell' && (d.allowClosingWhileHalted || REDUCING_KINDS.has(intent.kind));
  return read.state === 'HALTED' && reduces ? { ...read, state: 'REDUCING' as const } : read;
}

async function refuseHalted(d: SubmitDeps, intent: OrderIntent, cid: string, state: TradingState): Promise<SubmitOutcome> {
  await countVeto(d.store, 'trading_state', intent.session_date);
  d.events.emit('order_refused', { client_order_id: cid, symbol: intent.symbol, reason: 'kill switch: HALTED', kill_reason: state.record?.reason }, 'warn');
  return { client_order_id: cid, broker_order_id: null, reused: false, status: 'REFUSED', reason: `kill switch on (HALTED): ${state.record?.reason ?? ''}`.trim(), veto: 'trading_state' };
}

/** Look an order up by client id; a failing lookup is 'unknown'. */
export async function lookupByClientId(d: OmsDeps, cid: string): Promise<OrderReport | null | 'unknown'> {
  try {
    return await d.broker.getOrderByClientId(cid);
  } catch {
    return 'unknown';
  }
}

function outcomeOf(r: IdempotencyRecord, reused: boolean, order?: OrderReport): SubmitOutcome {
  return { client_order_id: r.client_order_id, status: r.status, broker_order_id: r.broker_order_id, reused, reason: r.reason, attempt: r.attempt, filled_qty: r.filled_qty, ...(order ? { order } : {}) };
}

/** Resolve an unresolved record by asking the broker; a miss keeps it UNKNOWN with its age. */
export async function resolveUnresolved(d: OmsDeps, r: IdempotencyRecord, why: string): Promise<IdempotencyRecord> {
  const found = await lookupByClientId(d, r.client_order_id);
  if (found && found !== 'unknown') {
    await applyOrderUpdate(d, found, 'poll');
  } else {
    const now = d.clock.now();
    await markIntent(d.store, r.client_order_id, { status: 'UNKNOWN', unknown_since: r.unknown_since ?? now.toISOString(), reason: found === 'unknown' ? `${why}; the broker could not be asked` : `${why}; not found by client id yet (it may still arrive): never re-sent, never assumed rejected` }, now);
  }
  return d.store.read(IdempotencyFile).orders[r.client_order_id];
}

/**
 * Every state file this order will write, and the chain, read and validated before anything can be
 * sent: a corrupt one stops the order here (StateError, exit 3), not after the broker filled it.
 */
export function assertStateWritable(d: SubmitDeps): void {
  for (const def of [IdempotencyFile, PositionsFile, DailyBudgetFile, WeeklyBudgetFile, RiskVetoesFile] as const) d.store.read(def as typeof IdempotencyFile);
  d.audit.checkTail?.();
}

/** Send one intent through every gate; the only code that may call Broker.submitOrder. */
export async function submitIntent(d: SubmitDeps, intent: OrderIntent): Promise<SubmitOutcome> {
  assertStateWritable(d);
  const base = intentBase(intent);
  const state = effectiveState(d, intent);
  if (state.state === 'HALTED') return refuseHalted(d, intent, clientOrderId(intent), state);
  const hostProblem = paperHostProblem(d.config, d.broker.host);
  if (d.config.trading.mode === 'live' || hostProblem) {
    const missing = d.config.trading.mode === 'live' ? await d.missingLiveGates() : [];
    if (missing.length || hostProblem) {
      const why = hostProblem ?? `live gates missing: ${missing.join(', ')}`;
      const cid = clientOrderId(intent);
      d.events.emit('live_trading_attempted', { client_order_id: cid, symbol: intent.symbol, missing_gates: missing, host_problem: hostProblem }, 'error');
      await d.audit.append('live_trading_attempted', { client_order_id: cid, symbol: intent.symbol, missing_gates: missing, host_problem: hostProblem });
      throw new SafetyRefusal(`refused: ${why}`, { hint: 'live trading needs every gate (see RUNBOOK.md, live trading); nothing was sent', details: { missing_gates: missing } });
    }
  }
  // One attempt of an intent at a time, across processes: a second caller waits and then sees the
  // first one's record instead of racing it through the gate.
  fs.mkdirSync(d.locksDir, { recursive: true });
  return withLock(path.join(d.locksDir, base), () => submitLocked(d, intent, base), { timeoutMs: d.config.broker.timeout_ms * 3 + 5_000 });
}

async function submitLocked(d: SubmitDeps, intent: OrderIntent, base: string): Promise<SubmitOutcome> {
  // The switch may have been touched while this call waited for the lock.
  const state = effectiveState(d, intent);
  const prior = attemptsOf(d.store.peek(IdempotencyFile).orders, base).at(-1);
  let attempt = 1;
  if (prior) {
    const last = UNRESOLVED.has(prior.status) ? await resolveUnresolved(d, prior, 'an earlier attempt had no known outcome') : prior;
    if (!FINAL.has(last.status) || OPEN.has(last.status) || intent.kind === 'entry') return outcomeOf(last, true);
    const retriable = intent.kind === 'protect' || last.filled_qty === 0;
    if (!retriable) return outcomeOf(last, true);
    attempt = last.attempt + 1;
  }
  const cid = clientOrderId(intent, attempt);
  if (state.state === 'HALTED') return refuseHalted(d, intent, cid, state);

  // A sell is gated on what is held; only a buy needs the account and the open buys (fewer calls
  // for every protective stop and exit).
  const buy = intent.side === 'buy';
  const [account, positions, open] = buy
    ? await Promise.all([d.broker.account(), d.broker.positions(), d.broker.listOrders({ status: 'open', limit: 500 })])
    : [null, await d.broker.positions(), []];
  const held = positions.find((p) => p.symbol === intent.symbol)?.qty ?? 0;
  const entry = intent.kind === 'entry' || (buy && held >= 0);
  const usage = dailyUsage(d.store.peek(IdempotencyFile).orders, intent.session_date);
  const price = intent.limit_price ?? intent.stop_price ?? positions.find((p) => p.symbol === intent.symbol)?.current_price ?? NaN;
  const verdict = riskGate(d.config, {
    side: intent.side, qty: intent.qty, price, symbol: intent.symbol, entry, equity: account?.equity ?? Number.NaN,
    positions: Object.fromEntries(positions.map((p) => [p.symbol, { qty: p.qty, market_value: p.market_value ?? p.qty * p.avg_entry_price }])),
    openBuySymbols: new Set(open.filter((o) => o.side === 'buy').map((o) => o.symbol)),
    dailyNotionalUsed: usage.notional, entriesToday: usage.entries,
    etMinutes: etMinutes(d.clock.now()), tradingState: state.state, ignoreWindow: d.ignoreWindow,
  });
  if (!verdict.ok) {
    await countVeto(d.store, verdict.veto, intent.session_date);
    d.events.emit('risk_veto', { client_order_id: cid, symbol: intent.symbol, veto: verdict.veto, detail: verdict.detail }, 'warn');
    await d.audit.append('risk_veto', { client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, veto: verdict.veto, detail: verdict.detail });
    return { client_order_id: cid, broker_order_id: null, reused: false, status: 'VETOED', reason: verdict.detail, veto: verdict.veto };
  }

  const { plan, ...fields } = intent;
  const record: OrderIntentRecord = { ...fields, target_price: intent.target_price ?? null };
  const { record: rec, created } = await beginIntent(d.store, cid, record, d.clock.now(), { attempt, reserved_notional: entry ? verdict.notional : 0, plan: plan ?? null });
  if (!created) return outcomeOf(rec, true);
  if (entry) await writeBudgetSnapshots(d.store, intent.session_date);
  // Last look at the switch before the request leaves.
  if (effectiveState(d, intent).state === 'HALTED') {
    await markIntent(d.store, cid, { status: 'REJECTED', reason: 'kill switch turned on before sending: nothing was sent' }, d.clock.now());
    if (entry) await writeBudgetSnapshots(d.store, intent.session_date);
    return refuseHalted(d, intent, cid, d.tradingState());
  }
  const req: OrderRequest = {
    client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, type: intent.type, time_in_force: intent.time_in_force,
    limit_price: intent.limit_price, stop_price: intent.stop_price,
    ...(intent.kind === 'protect' && intent.target_price ? { order_class: 'oco' as const, type: 'limit' as const, limit_price: intent.target_price, stop_price: null, take_profit: { limit_price: intent.target_price }, stop_loss: { stop_price: intent.stop_price! } } : {}),
  };
  let order: OrderReport;
  try {
    order = await d.broker.submitOrder(req, PERMIT);
  } catch (err) {
    return failedSend(d, intent, cid, err, entry);
  }
  // A reply about another order proves nothing about ours: unknown, looked up by our client id.
  const wrong = replyMismatch(req, order);
  if (wrong) {
    d.events.emit('order_reply_mismatch', { client_order_id: cid, problem: wrong }, 'error');
    await d.audit.append('order_reply_mismatch', { client_order_id: cid, symbol: intent.symbol, problem: wrong });
    return failedSend(d, intent, cid, new TransientBrokerError(`the broker answered the order ${cid} with ${wrong}`), entry);
  }
  const fieldsOut = { client_order_id: cid, broker_order_id: order.id, symbol: intent.symbol, side: intent.side, qty: intent.qty, type: req.type, strategy: intent.strategy, kind: intent.kind, attempt, broker_status: order.status };
  d.events.emit('order_submitted', fieldsOut);
  await d.audit.append('order_submitted', fieldsOut);
  await applyOrderUpdate(d, order, 'submit');
  return outcomeOf(d.store.read(IdempotencyFile).orders[cid], false, order);
}

/** What in a reply does not match its request (client id, symbol, side, quantity), or null. */
export function replyMismatch(req: OrderRequest, o: OrderReport): string | null {
  if (o.client_order_id !== req.client_order_id) return `client id ${o.client_order_id}`;
  if (o.symbol !== req.symbol) return `symbol ${o.symbol} (sent ${req.symbol})`;
  if (o.side !== req.side) return `side ${o.side} (sent ${req.side})`;
  if (o.qty !== null && Math.abs(o.qty - req.qty) > 1e-9) return `qty ${o.qty} (sent ${req.qty})`;
  return null;
}

async function failedSend(d: SubmitDeps, intent: OrderIntent, cid: string, err: unknown, entry: boolean): Promise<SubmitOutcome> {
  const now = () => d.clock.now();
  if (err instanceof DuplicateClientOrderId) {
    const r = await resolveUnresolved(d, d.store.read(IdempotencyFile).orders[cid], 'the broker says this client id exists');
    return outcomeOf(r, true);
  }
  if (err instanceof BrokerRejection) {
    const r = await markIntent(d.store, cid, { status: 'REJECTED', reason: err.message }, now());
    if (entry) await writeBudgetSnapshots(d.store, intent.session_date);
    d.events.emit('order_rejected', { client_order_id: cid, symbol: intent.symbol, reason: err.message, status: err.status }, 'warn');
    await d.audit.append('order_rejected', { client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, reason: err.message });
    return outcomeOf(r, false);
  }
  if (err instanceof ConnectivityError || err instanceof TransientBrokerError || !(err instanceof KobeError)) {
    const r0 = await markIntent(d.store, cid, { status: 'UNKNOWN', reason: errorText(err), unknown_since: now().toISOString() }, now());
    d.events.emit('order_unknown', { client_order_id: cid, symbol: intent.symbol, error: errorText(err) }, 'error');
    await d.audit.append('order_unknown', { client_order_id: cid, symbol: intent.symbol, side: intent.side, qty: intent.qty, error: errorText(err) });
    const r = await resolveUnresolved(d, r0, `outcome unknown (${errorText(err)})`);
    return outcomeOf(r, false);
  }
  throw err;
}

/** The session date an intent placed now belongs to. */
export function sessionOf(d: Pick<OmsDeps, 'clock'>): string {
  return etDate(d.clock.now());
}

/**
 * Resize a resting protective order with the broker's replace (no moment without a stop): the new
 * order's record (next attempt) is written PENDING before the request, like any submit.
 */
export async function replaceProtective(d: SubmitDeps, old: IdempotencyRecord, qty: number): Promise<{ ok: boolean; client_order_id: string | null; detail: string }> {
  const base = intentBase(old.intent);
  fs.mkdirSync(d.locksDir, { recursive: true });
  return withLock(path.join(d.locksDir, base), async () => {
    const last = attemptsOf(d.store.peek(IdempotencyFile).orders, base).at(-1)!;
    const cid = clientOrderId(old.intent, last.attempt + 1);
    const intent: OrderIntentRecord = { ...old.intent, qty };
    await beginIntent(d.store, cid, intent, d.clock.now(), { attempt: last.attempt + 1, reserved_notional: 0, plan: null });
    try {
      const order = await d.broker.replaceOrder(old.broker_order_id!, { qty, client_order_id: cid }, PERMIT);
      await d.audit.append('order_replace_requested', { client_order_id: cid, replaces: old.client_order_id, symbol: intent.symbol, qty });
      await applyOrderUpdate(d, order, 'submit');
      await setProtective(d.store, intent.symbol, cid, d.clock.now());
      const prev = await lookupByClientId(d, old.client_order_id);
      if (prev && prev !== 'unknown') await applyOrderUpdate(d, prev, 'poll');
      return { ok: true, client_order_id: cid, detail: `${old.intent.qty} -> ${qty} (replaces ${old.client_order_id})` };
    } catch (err) {
      if (err instanceof BrokerRejection) {
        await markIntent(d.store, cid, { status: 'REJECTED', reason: err.message }, d.clock.now());
        return { ok: false, client_order_id: cid, detail: `replace refused: ${err.message}` };
      }
      await markIntent(d.store, cid, { status: 'UNKNOWN', reason: errorText(err), unknown_since: d.clock.now().toISOString() }, d.clock.now());
      return { ok: false, client_order_id: cid, detail: `replace outcome unknown: ${errorText(err)}` };
    }
  }, { timeoutMs: d.config.broker.timeout_ms * 3 + 5_000 });
}

/**
 * Send a protective order again under its own client id after a lookup found nothing: the broker
 * refuses a reused id (422), so this can never make a second order, and a position is never left
 * without its stop because an earlier attempt died before or during its POST.
 */
export async function resendSameId(d: SubmitDeps, r: IdempotencyRecord): Promise<IdempotencyRecord> {
  const base = intentBase(r.intent);
  fs.mkdirSync(d.locksDir, { recursive: true });
  return withLock(path.join(d.locksDir, base), async () => {
    const cur = d.store.read(IdempotencyFile).orders[r.client_order_id];
    if (!UNRESOLVED.has(cur.status)) return cur;
    const i = cur.intent;
    const oco = i.kind === 'protect' && i.target_price ? { order_class: 'oco' as const, type: 'limit' as const, limit_price: i.target_price, stop_price: null, take_profit: { limit_price: i.target_price }, stop_loss: { stop_price: i.stop_price! } } : {};
    try {
      const order = await d.broker.submitOrder({ client_order_id: cur.client_order_id, symbol: i.symbol, side: i.side, qty: i.qty, type: i.type, time_in_force: i.time_in_force, limit_price: i.limit_price, stop_price: i.stop_price, ...oco }, PERMIT);
      await d.audit.append('order_submitted', { client_order_id: cur.client_order_id, broker_order_id: order.id, symbol: i.symbol, side: i.side, qty: i.qty, kind: i.kind, resent_same_id: true });
      await applyOrderUpdate(d, order, 'submit');
      return d.store.read(IdempotencyFile).orders[cur.client_order_id];
    } catch (err) {
      if (err instanceof DuplicateClientOrderId) return resolveUnresolved(d, cur, 'the broker says this client id exists');
      if (err instanceof BrokerRejection) return markIntent(d.store, cur.client_order_id, { status: 'REJECTED', reason: err.message }, d.clock.now());
      return resolveUnresolved(d, cur, `re-sent under the same id, outcome unknown (${errorText(err)})`);
    }
  }, { timeoutMs: d.config.broker.timeout_ms * 3 + 5_000 });
}
