// client_order_id is deterministic from (session date, symbol, side, strategy, intent kind) and the
// attempt number: the same attempt always gets the same id, so a re-send can never become a second
// order (the broker answers 422 for a reused id). A new attempt is made only after the previous one
// is final with nothing filled (src/core/oms/attempts.ts).
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

/** The id without its attempt suffix: e.g. kobe-20250114-AAPL-buy-ibsrsi-entry. */
export function intentBase(k: IntentKey): string {
  const date = k.session_date.replace(/-/g, '');
  const strat = k.strategy.toLowerCase().replace(/[^a-z0-9]/g, '');
  return `kobe-${date}-${k.symbol.toUpperCase()}-${k.side}-${strat}-${k.kind}`;
}

/** e.g. kobe-20250114-AAPL-buy-ibsrsi-entry-a1 (at most 48 characters). */
export function clientOrderId(k: IntentKey, attempt = 1): string {
  const suffix = `-a${attempt}`;
  const base = intentBase(k);
  if (base.length + suffix.length <= MAX) return `${base}${suffix}`;
  const h = createHash('sha256').update(base).digest('hex').slice(0, 8);
  return `${base.slice(0, MAX - 9 - suffix.length)}-${h}${suffix}`;
}
