// What must be true before trading may resume (SPEC section 4, `kill off`): no order in an
// unresolved state and a clean reconcile younger than the configured age.
import type { StateStore } from '../state/store.js';
import { IdempotencyFile, LastReconcileFile } from '../state/schemas.js';

/** Clock skew tolerated between the reconcile that wrote the stamp and this check. */
const FUTURE_TOLERANCE_MIN = 1;

/** Reasons trading must stay halted; empty when it may resume. */
export function resumeBlockers(store: StateStore, now: Date, maxReconcileAgeMin: number): string[] {
  const out: string[] = [];
  const orders = Object.values(store.read(IdempotencyFile).orders).filter((o) => o.status === 'PENDING' || o.status === 'UNKNOWN');
  if (orders.length > 0) out.push(`${orders.length} unresolved order(s): ${orders.slice(0, 5).map((o) => `${o.client_order_id} (${o.status})`).join(', ')}`);
  if (!store.exists(LastReconcileFile)) {
    out.push('no reconcile on record');
  } else {
    const last = store.read(LastReconcileFile);
    const ageMin = (now.getTime() - Date.parse(last.ts)) / 60_000;
    // A stamp from the future (a skewed clock, a hand-edited file) would pass the age check forever.
    if (!Number.isFinite(ageMin)) out.push(`last reconcile has an unreadable timestamp (${last.ts})`);
    else if (ageMin < -FUTURE_TOLERANCE_MIN) out.push(`last reconcile timestamp is in the future (${last.ts}); run \`kobe reconcile\` again`);
    if (!last.clean) out.push(`last reconcile (${last.ts}) found ${last.discrepancies.length} discrepancy(ies)`);
    if (ageMin > maxReconcileAgeMin) out.push(`last reconcile is ${Math.round(ageMin)} min old (limit ${maxReconcileAgeMin})`);
  }
  return out;
}
