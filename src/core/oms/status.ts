// kobe's order statuses and how a broker's status maps onto them. One table, used by the apply
// function and by every reader: commands never interpret broker statuses themselves.
import type { OrderReport } from '../ports/broker.js';
import type { IdempotencyRecord, OrderStatus } from '../state/schemas.js';

/** Outcome not known: the broker may have the order (resolved only by asking it). */
export const UNRESOLVED: ReadonlySet<OrderStatus> = new Set(['PENDING', 'UNKNOWN']);
/** At the broker and still able to fill. */
export const OPEN: ReadonlySet<OrderStatus> = new Set(['SUBMITTED', 'PARTIALLY_FILLED']);
/** Can no longer change. */
export const FINAL: ReadonlySet<OrderStatus> = new Set(['FILLED', 'CANCELED', 'EXPIRED', 'REJECTED', 'REPLACED']);

/** kobe's status for a broker report. `stopped`/`suspended`/`held` can still fill: they stay open. */
export function statusOf(o: Pick<OrderReport, 'status' | 'filled_qty'>): OrderStatus {
  switch (o.status) {
    case 'filled':
      return 'FILLED';
    case 'partially_filled':
      return 'PARTIALLY_FILLED';
    case 'canceled':
      return 'CANCELED';
    case 'expired':
    case 'done_for_day':
      return 'EXPIRED';
    case 'rejected':
      return 'REJECTED';
    case 'replaced':
      return 'REPLACED';
    default:
      return o.filled_qty > 0 ? 'PARTIALLY_FILLED' : 'SUBMITTED';
  }
}

/** True when a record will not change any more. */
export function isFinal(r: Pick<IdempotencyRecord, 'status'>): boolean {
  return FINAL.has(r.status);
}

/** True when a record is final and nothing of it filled: the next attempt may go. */
export function finalUnfilled(r: Pick<IdempotencyRecord, 'status' | 'filled_qty'>): boolean {
  return FINAL.has(r.status) && r.filled_qty === 0;
}
