// Selling a position kobe holds (an exit, or close-all): the protective order is cancelled and the
// cancel confirmed final first (if it filled meanwhile, that fill is the exit), then one market
// sell for what is left. Never selling twice, and never leaving a position both unprotected and
// unsold: a sell that ends with nothing filled lets ensureProtection re-place the stop.
import { BrokerRejection } from '../broker/errors.js';
import { IdempotencyFile, PositionsFile, type IdempotencyRecord } from '../state/schemas.js';
import { protectiveOf, workingSells } from './protect.js';
import { FINAL } from './status.js';
import { sessionOf, submitIntent, type SubmitDeps, type SubmitOutcome } from './submit.js';
import { syncOrders, waitFinal } from './sync.js';

/** What happened to one exit. */
export interface ExitOutcome {
  symbol: string;
  status: SubmitOutcome['status'] | 'WAITING' | 'CLOSED';
  qty: number;
  client_order_id: string | null;
  reason: string | null;
}

/** Cancel an order and wait until the broker says it is final; the final record, or null if not yet. */
export async function cancelAndConfirm(d: SubmitDeps, r: IdempotencyRecord, timeoutMs: number): Promise<IdempotencyRecord | null> {
  if (r.broker_order_id) {
    try {
      await d.broker.cancelOrder(r.broker_order_id);
    } catch (err) {
      // Not cancelable: it is final already (often: filled). Reading it back tells which.
      if (!(err instanceof BrokerRejection)) throw err;
    }
  }
  const [after] = await waitFinal(d, [r.client_order_id], timeoutMs);
  return after && FINAL.has(after.status) ? after : null;
}

/** Sell `symbol`'s ledger position (kind: why), after taking its protective order down. */
export async function exitPosition(d: SubmitDeps, symbol: string, kind: 'exit' | 'stop' | 'target' | 'time' | 'close', strategy: string, o: { waitMs: number }): Promise<ExitOutcome> {
  const none = (status: ExitOutcome['status'], reason: string, cid: string | null = null, qty = 0): ExitOutcome => ({ symbol, status, qty, client_order_id: cid, reason });
  const working = workingSells(d.store.peek(IdempotencyFile).orders, symbol);
  if (working.length) return none('WAITING', `${working[0].client_order_id} is ${working[0].status}: not selling twice`, working[0].client_order_id);
  const prot = protectiveOf(d.store.peek(IdempotencyFile).orders, symbol);
  if (prot) {
    const done = await cancelAndConfirm(d, prot, o.waitMs);
    if (!done) return none('WAITING', `the protective order ${prot.client_order_id} is not final yet: retried on the next run`, prot.client_order_id);
  }
  const held = d.store.read(PositionsFile).positions.find((p) => p.symbol === symbol)?.qty ?? 0;
  if (held <= 0) return none('CLOSED', 'closed by the protective order', prot?.client_order_id ?? null);
  const out = await submitIntent(d, { session_date: sessionOf(d), symbol, side: 'sell', qty: held, type: 'market', time_in_force: 'day', limit_price: null, stop_price: null, strategy, kind });
  if (out.status === 'SUBMITTED' || out.status === 'PARTIALLY_FILLED') await waitFinal(d, [out.client_order_id], o.waitMs);
  else await syncOrders(d, new Set([out.client_order_id]));
  const rec = d.store.read(IdempotencyFile).orders[out.client_order_id];
  return { symbol, status: rec?.status ?? out.status, qty: held, client_order_id: out.client_order_id, reason: rec?.reason ?? out.reason };
}
