// The Alerts port (SPEC section 10): how kobe tells a person. The Telegram adapter is in
// src/core/alerts/; the brain and the kill commands send through this interface.

/** Kinds of Telegram alert (SPEC section 10). */
export type AlertKind = 'trade_executed' | 'position_closed' | 'error' | 'kill_switch_on' | 'kill_switch_off' | 'high_drawdown';

/** Alert sender: rate limited, never blocks the trading path, never throws; failures are logged. */
export interface Alerts {
  send(kind: AlertKind, text: string, fields?: Record<string, unknown>): void;
  /** Wait (bounded) for queued alerts, e.g. before a graceful stop. */
  flush(timeoutMs: number): Promise<void>;
}
