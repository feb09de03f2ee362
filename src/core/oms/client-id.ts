// client_order_id is deterministic from (session date, symbol, side, strategy, intent kind): the
// same intent always gets the same id, so a re-send can never become a second order (the broker
// answers 422 for a reused id).
import { createHash } from 'node:crypto';

/** What identifies an intent. */
export interface IntentKey {
  session_date: string;
  symbol: string;
  side: 'buy' | 'sell';
  strategy: string;
  kind: string;
}

const MAX = 48;

/** e.g. kobe-20250114-AAPL-buy-ibsrsi-entry (at most 48 characters). */
export function clientOrderId(k: IntentKey): string {
  const date = k.session_date.replace(/-/g, '');
  const strat = k.strategy.toLowerCase().replace(/[^a-z0-9]/g, '');
  const id = `kobe-${date}-${k.symbol.toUpperCase()}-${k.side}-${strat}-${k.kind}`;
  if (id.length <= MAX) return id;
  const h = createHash('sha256').update(id).digest('hex').slice(0, 8);
  return `${id.slice(0, MAX - 9)}-${h}`;
}
