// Protective orders (SPEC section 5): every position with a stop has a GTC stop (OCO stop + target
// when the strategy has a target) resting at the broker for its whole quantity, so it is protected
// while the brain is down, halted or the machine is off. Placed after an entry fills, resized when
// the position changes, re-placed when an exit attempt failed; a halt never cancels one.
import { BrokerRejection } from '../broker/errors.js';
import { errorText } from '../errors.js';
import { IdempotencyFile, PositionsFile, type IdempotencyRecord, type PositionEntry } from '../state/schemas.js';
import { setProtective } from './ledger.js';
import { FINAL, OPEN, UNRESOLVED } from './status.js';
import { replaceProtective, resendSameId, resolveUnresolved, sessionOf, submitIntent, type SubmitDeps } from './submit.js';

/** Alpaca refuses a replace in these states (PATCH /v2/orders/{id}). */
const NOT_REPLACEABLE = new Set(['accepted', 'pending_new', 'pending_cancel', 'pending_replace']);

/** What happened to one position's protection. */
export interface ProtectOutcome {
  symbol: string;
  action: 'resting' | 'placed' | 'resized' | 'skipped' | 'failed';
  client_order_id: string | null;
  detail: string;
}

/** The open (or unresolved) protective record of a symbol, if any. */
export function protectiveOf(orders: Record<string, IdempotencyRecord>, symbol: string): IdempotencyRecord | null {
  const live = Object.values(orders).filter((r) => r.intent.kind === 'protect' && r.intent.symbol === symbol && !FINAL.has(r.status));
  return live.sort((a, b) => (a.created_at < b.created_at ? 1 : -1))[0] ?? null;
}

/** Other kobe sells of a symbol still working (an exit or close in flight). */
export function workingSells(orders: Record<string, IdempotencyRecord>, symbol: string): IdempotencyRecord[] {
  return Object.values(orders).filter((r) => r.intent.side === 'sell' && r.intent.kind !== 'protect' && r.intent.symbol === symbol && (OPEN.has(r.status) || UNRESOLVED.has(r.status)));
}

async function protectOne(d: SubmitDeps, p: PositionEntry): Promise<ProtectOutcome> {
  const orders = d.store.peek(IdempotencyFile).orders;
  const out = (action: ProtectOutcome['action'], cid: string | null, detail: string): ProtectOutcome => ({ symbol: p.symbol, action, client_order_id: cid, detail });
  if (p.stop === null) return out('skipped', null, 'no stop in the ledger (NO_EXIT_PLAN)');
  const qty = Math.floor(p.qty + 1e-9);
  if (qty < 1) return out('skipped', null, `${p.qty} shares: a stop needs whole shares`);
  let current = protectiveOf(orders, p.symbol);
  if (current && UNRESOLVED.has(current.status)) {
    current = await resolveUnresolved(d, current, 'protective order outcome not known');
    if (UNRESOLVED.has(current.status)) current = await resendSameId(d, current);
    if (FINAL.has(current.status)) return protectOne(d, { ...p, qty: d.store.read(PositionsFile).positions.find((x) => x.symbol === p.symbol)?.qty ?? 0 });
  }
  if (current) {
    if (current.client_order_id !== p.protective_client_order_id) await setProtective(d.store, p.symbol, current.client_order_id, d.clock.now());
    if (Math.abs(current.intent.qty - qty) < 1e-9 || UNRESOLVED.has(current.status) || current.broker_order_id === null) return out('resting', current.client_order_id, `${current.intent.qty} @ stop ${current.intent.stop_price}`);
    // A broker cannot replace an order it has not sent on yet: resized on the next run (or stream event).
    if (NOT_REPLACEABLE.has(current.broker_status ?? '')) return out('resting', current.client_order_id, `${current.intent.qty} @ stop ${current.intent.stop_price}; resize to ${qty} waits until the broker has it live (${current.broker_status})`);
    const r = await replaceProtective(d, current, qty);
    return out(r.ok ? 'resized' : 'failed', r.client_order_id, r.detail);
  }
  if (workingSells(orders, p.symbol).length) return out('skipped', null, 'an exit order is working');
  try {
    const o = await submitIntent(d, {
      session_date: sessionOf(d), symbol: p.symbol, side: 'sell', qty, type: 'stop', time_in_force: 'gtc', limit_price: null, stop_price: p.stop,
      target_price: p.target, strategy: p.strategy ?? 'adopted', kind: 'protect',
    });
    const ok = o.status === 'SUBMITTED' || o.status === 'PARTIALLY_FILLED' || o.status === 'UNKNOWN' || o.status === 'PENDING';
    if (ok) await setProtective(d.store, p.symbol, o.client_order_id, d.clock.now());
    return out(ok ? 'placed' : o.status === 'FILLED' ? 'placed' : 'failed', o.client_order_id, `${o.status}${o.reason ? `: ${o.reason}` : ''}`);
  } catch (err) {
    if (err instanceof BrokerRejection) return out('failed', null, err.message);
    throw err;
  }
}

/** Make sure every ledger position with a stop has its protective order resting. */
export async function ensureProtection(d: SubmitDeps): Promise<ProtectOutcome[]> {
  const res: ProtectOutcome[] = [];
  for (const p of d.store.read(PositionsFile).positions.filter((x) => x.qty > 0)) {
    try {
      res.push(await protectOne(d, p));
    } catch (err) {
      res.push({ symbol: p.symbol, action: 'failed', client_order_id: null, detail: errorText(err) });
    }
  }
  const failed = res.filter((r) => r.action === 'failed');
  if (failed.length) d.events.emit('protection_failed', { positions: failed }, 'error');
  return res;
}
