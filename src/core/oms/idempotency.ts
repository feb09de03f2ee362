// The idempotency store (state/idempotency_store.json): every order intent by client_order_id.
// PENDING is written (atomically, fsynced) before any request leaves, so a crash at any point
// leaves a record that the next run resolves by asking the broker, never by sending blind.
import type { OrderStatus, IdempotencyRecord, OrderIntentRecord } from '../state/schemas.js';
import { IdempotencyFile } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';

/** Statuses that mean "the broker may have it and we do not know the outcome yet". */
export const UNRESOLVED: ReadonlySet<OrderStatus> = new Set(['PENDING', 'UNKNOWN']);

/** Record the intent as PENDING unless it exists; returns the record and whether it was created. */
export async function beginIntent(store: StateStore, cid: string, intent: OrderIntentRecord, now: Date): Promise<{ record: IdempotencyRecord; created: boolean }> {
  let out: { record: IdempotencyRecord; created: boolean } | undefined;
  await store.update(IdempotencyFile, (f) => {
    const existing = f.orders[cid];
    if (existing) {
      existing.attempts += 1;
      existing.updated_at = now.toISOString();
      out = { record: existing, created: false };
      return f;
    }
    const at = now.toISOString();
    const record: IdempotencyRecord = { client_order_id: cid, intent, status: 'PENDING', broker_order_id: null, reason: null, attempts: 1, created_at: at, updated_at: at, filled_qty: 0, filled_avg_price: null };
    f.orders[cid] = record;
    out = { record, created: true };
    return f;
  });
  return out!;
}

const ACCEPTED: ReadonlySet<OrderStatus> = new Set(['SUBMITTED', 'FILLED', 'PARTIALLY_FILLED']);

/**
 * Update a record's status and broker facts. `accepted` is true for exactly one caller: the one
 * that moved the record from unresolved to accepted (under the store's lock), so budgets are
 * charged once even when two processes resolve the same intent.
 */
export async function markIntent(store: StateStore, cid: string, patch: Partial<Pick<IdempotencyRecord, 'status' | 'broker_order_id' | 'reason' | 'filled_qty' | 'filled_avg_price'>>, now: Date): Promise<{ record: IdempotencyRecord; accepted: boolean }> {
  let out: { record: IdempotencyRecord; accepted: boolean } | undefined;
  await store.update(IdempotencyFile, (f) => {
    const r = f.orders[cid];
    if (!r) throw new Error(`no idempotency record for ${cid}`);
    const was = r.status;
    Object.assign(r, patch, { updated_at: now.toISOString() });
    out = { record: r, accepted: UNRESOLVED.has(was) && ACCEPTED.has(r.status) };
    return f;
  });
  return out!;
}

/** Records sorted newest first. */
export function recentIntents(store: StateStore, n: number): IdempotencyRecord[] {
  return Object.values(store.read(IdempotencyFile).orders)
    .sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : a.client_order_id < b.client_order_id ? 1 : -1))
    .slice(0, n);
}
