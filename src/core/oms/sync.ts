// Following orders to a final state by polling: every record that is not final is looked up at
// the broker (one paged listing when there are many, by client id otherwise) and fed to the apply
// function, the same one the stream feeds. Fills left unbooked by a crash are booked first.
import type { Broker, OrderReport } from '../ports/broker.js';
import { IdempotencyFile, type IdempotencyRecord } from '../state/schemas.js';
import { applyOrderUpdate, applyOrderUpdates, recoverUnbooked, type ApplyResult, type OmsDeps } from './apply.js';
import { FINAL, UNRESOLVED } from './status.js';
import { resolveUnresolved } from './submit.js';

/** What a sync saw and did. */
export interface SyncResult {
  checked: number;
  changed: ApplyResult[];
  /** Orders whose outcome is still unknown, with their age. */
  unknown: Array<{ client_order_id: string; age_s: number | null }>;
  problems: string[];
  recovered: number;
}

const PAGE = 500;
const LIST_ABOVE = 20;

/** Every order (of `status`) submitted after `after`, paging back with `until` (a page holds at most 500). */
export async function listAllOrders(broker: Broker, after?: string, status: 'open' | 'all' = 'all'): Promise<OrderReport[]> {
  const seen = new Map<string, OrderReport>();
  let until: string | undefined;
  for (let page = 0; page < 1_000; page++) {
    const batch = await broker.listOrders({ status, limit: PAGE, after, until, direction: 'desc' });
    for (const o of batch) seen.set(o.id, o);
    if (batch.length < PAGE) break;
    const last = batch[batch.length - 1].submitted_at;
    if (!last || last === until) break;
    until = last;
  }
  return [...seen.values()];
}

/** Records that are not final (optionally only these client ids). */
function pending(d: OmsDeps, only?: ReadonlySet<string>): IdempotencyRecord[] {
  return Object.values(d.store.peek(IdempotencyFile).orders).filter((r) => !FINAL.has(r.status) && (!only || only.has(r.client_order_id)));
}

/** Look every unfinished order up and apply what the broker says. */
export async function syncOrders(d: OmsDeps, only?: ReadonlySet<string>): Promise<SyncResult> {
  const recovered = await recoverUnbooked(d);
  const todo = pending(d, only);
  const out: SyncResult = { checked: todo.length, changed: [], unknown: [], problems: [], recovered };
  let byCid = new Map<string, OrderReport>();
  if (todo.length > LIST_ABOVE) {
    const oldest = todo.reduce((m, r) => (r.created_at < m ? r.created_at : m), todo[0].created_at);
    const after = new Date(Date.parse(oldest) - 60_000).toISOString();
    byCid = new Map((await listAllOrders(d.broker, after)).map((o) => [o.client_order_id, o]));
  }
  // Everything the listing found is applied in one batch (one lock, one write of the store).
  const listed = todo.map((r) => byCid.get(r.client_order_id)).filter((o): o is OrderReport => o !== undefined);
  for (const a of listed.length ? await applyOrderUpdates(d, listed, 'poll') : []) {
    if (a?.changed) out.changed.push(a);
    if (a?.problems.length) out.problems.push(...a.problems);
  }
  for (const r of todo) {
    if (byCid.has(r.client_order_id)) continue;
    if (UNRESOLVED.has(r.status)) {
      const after = await resolveUnresolved(d, r, 'outcome not known');
      if (UNRESOLVED.has(after.status)) out.unknown.push({ client_order_id: r.client_order_id, age_s: after.unknown_since ? Math.round((d.clock.now().getTime() - Date.parse(after.unknown_since)) / 1000) : null });
      continue;
    }
    const found = await d.broker.getOrderByClientId(r.client_order_id);
    if (!found) {
      out.problems.push(`${r.client_order_id} is ${r.status} in the store but the broker does not know it`);
      continue;
    }
    const a = await applyOrderUpdate(d, found, 'poll');
    if (a?.changed) out.changed.push(a);
    if (a?.problems.length) out.problems.push(...a.problems);
  }
  return out;
}

/** Poll the given orders until each is final or `timeoutMs` of (possibly simulated) time passed. */
export async function waitFinal(d: OmsDeps, cids: string[], timeoutMs: number, pollMs = 250): Promise<IdempotencyRecord[]> {
  const want = new Set(cids);
  const start = d.clock.now().getTime();
  // Bounded by count too: a clock that does not move must not spin forever.
  for (let i = 0; ; i++) {
    await syncOrders(d, want);
    const orders = d.store.peek(IdempotencyFile).orders;
    const recs = cids.map((c) => orders[c]).filter(Boolean);
    if (recs.every((r) => FINAL.has(r.status)) || d.clock.now().getTime() - start >= timeoutMs || i >= Math.ceil(timeoutMs / pollMs)) return recs;
    await d.wait(pollMs);
  }
}
