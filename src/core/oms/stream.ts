// Following orders by the broker's stream (Alpaca's trade_updates) while the brain runs. Events go
// through the same apply function as polling, one at a time in arrival order; a fill of an entry
// rests its protective stop at once. A dropped stream loses nothing: every command and brain cycle
// also syncs by polling, and the apply is idempotent per fill.
import { errorText } from '../errors.js';
import type { OrderStream, OrderUpdateEvent } from '../ports/broker.js';
import { applyOrderUpdate, type ApplyResult, type OmsDeps } from './apply.js';

/** What following the stream needs beyond the OMS. */
export interface StreamHooks {
  /** After an update that changed something (the brain rests and resizes protective stops here). */
  afterFills?: (r: ApplyResult) => Promise<void>;
  onState?: (state: 'connected' | 'disconnected', detail?: string) => void;
}

/** Subscribe to the broker's order stream; null when the broker has none (the sim: polling only). */
export async function followOrderStream(d: OmsDeps, hooks: StreamHooks = {}): Promise<(OrderStream & { idle(): Promise<void> }) | null> {
  if (!d.broker.streamOrderUpdates) return null;
  let chain: Promise<void> = Promise.resolve();
  const onEvent = (e: OrderUpdateEvent) => {
    chain = chain.then(async () => {
      try {
        const r = await applyOrderUpdate(d, e.order, 'stream');
        if (r?.changed && hooks.afterFills) await hooks.afterFills(r);
      } catch (err) {
        d.events.emit('order_stream_apply_failed', { event: e.event, client_order_id: e.order.client_order_id, error: errorText(err) }, 'error');
      }
    });
  };
  const s = await d.broker.streamOrderUpdates(onEvent, (state, detail) => {
    d.events.emit('order_stream', { state, detail: detail ?? null }, state === 'connected' && !detail ? 'info' : 'warn');
    // Connected with a detail: an update arrived that could not be read. It is named in the chain,
    // and the next poll reads that order again (nothing is skipped silently).
    if (state === 'connected' && detail) chain = chain.then(() => d.audit.append('order_update_unreadable', { detail }).then(() => undefined, () => undefined));
    hooks.onState?.(state, detail);
  });
  return { close: () => s.close(), idle: () => chain };
}
