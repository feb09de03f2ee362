// The idempotency store (state/idempotency_store.json): every order intent by client_order_id.
// PENDING is written (atomically, fsynced) before any request leaves, with the budget it reserves,
// so a crash at any point leaves a record that the next run resolves by asking the broker, never
// by sending blind, and never with the caps lifted.
import type { IdempotencyRecord, OrderIntentRecord } from '../state/schemas.js';
import { IdempotencyFile } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { intentBase } from './client-id.js';

export { UNRESOLVED } from './status.js';

/** What a new record carries besides the intent. */
export interface IntentExtras {
  attempt: number;
  reserved_notional: number;
  plan: IdempotencyRecord['plan'];
}

/** Record the intent as PENDING unless it exists; returns the record and whether it was created. */
export async function beginIntent(store: StateStore, cid: string, intent: OrderIntentRecord, now: Date, x: IntentExtras = { attempt: 1, reserved_notional: 0, plan: null }): Promise<{ record: IdempotencyRecord; created: boolean }> {
  let out: { record: IdempotencyRecord; created: boolean } | undefined;
  await store.update(IdempotencyFile, (f) => {
    const existing = f.orders[cid];
    if (existing) {
      out = { record: existing, created: false };
      return f;
    }
    const at = now.toISOString();
    const record: IdempotencyRecord = {
      client_order_id: cid, intent, status: 'PENDING', broker_order_id: null, reason: null, attempts: 1, created_at: at, updated_at: at, filled_qty: 0, filled_avg_price: null,
      attempt: x.attempt, broker_status: null, reserved_notional: x.reserved_notional, plan: x.plan, fills: [], unknown_since: null,
    };
    f.orders[cid] = record;
    out = { record, created: true };
    return f;
  });
  return out!;
}

/** Update a record's status facts (REJECTED before the broker took it, UNKNOWN after a lost answer). */
export async function markIntent(store: StateStore, cid: string, patch: Partial<Pick<IdempotencyRecord, 'status' | 'broker_order_id' | 'reason' | 'unknown_since'>>, now: Date): Promise<IdempotencyRecord> {
  let out: IdempotencyRecord | undefined;
  await store.update(IdempotencyFile, (f) => {
    const r = f.orders[cid];
    if (!r) throw new Error(`no idempotency record for ${cid}`);
    Object.assign(r, patch, { updated_at: now.toISOString() });
    out = r;
    return f;
  });
  return out!;
}

/** Every attempt of one intent (same session, symbol, side, strategy and kind), oldest first. */
export function attemptsOf(orders: Record<string, IdempotencyRecord>, base: string): IdempotencyRecord[] {
  return Object.values(orders)
    .filter((r) => r.intent.kind !== 'adopted' && intentBase(r.intent) === base)
    .sort((a, b) => a.attempt - b.attempt);
}

/** Records sorted newest first. */
export function recentIntents(store: StateStore, n: number): IdempotencyRecord[] {
  return Object.values(store.read(IdempotencyFile).orders)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.client_order_id < b.client_order_id ? 1 : -1))
    .slice(0, n);
}
