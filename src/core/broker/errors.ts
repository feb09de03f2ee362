// Broker errors shared by every adapter, so the submit path and reconcile handle them generically.
import { escapeControl } from '../text.js';
import { ConnectivityError, OrderRejected } from '../errors.js';

/** The broker refused an order; `status` is the HTTP-like status (403, 422, ...). */
export class BrokerRejection extends OrderRejected {
  constructor(
    message: string,
    readonly status: number,
    opts: { hint?: string } = {},
  ) {
    // The broker's words reach terminals and the store: shown, never interpreted.
    super(escapeControl(message), { hint: opts.hint, details: { status } });
  }
}

/** HTTP 422 on a reused client_order_id: an order with this id already exists (also after a cancel). */
export class DuplicateClientOrderId extends BrokerRejection {
  constructor(readonly clientOrderId: string) {
    super(`client_order_id ${clientOrderId} must be unique: an order with this id already exists`, 422);
  }
}

/** The request may or may not have reached the broker (timeout, reset): look it up, never resend blind. */
export class UnknownOutcome extends ConnectivityError {}
