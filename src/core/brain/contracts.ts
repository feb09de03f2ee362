// Contracts between the brain's runtime (scheduler, tasks, heartbeat, health server) and the
// modules it drives (telemetry, automatic kill-switch triggers). Types only; the Alerts port is
// src/core/ports/alerts.ts.
import type { TradingStateName } from '../risk/trading-state.js';


/** The automatic kill-switch policies (SPEC section 4). */
export type TriggerId = 'K1' | 'K2' | 'K5' | 'K7' | 'K8';

/** What the trigger policy looks at, gathered by the brain each cycle. */
export interface TriggerInput {
  now: Date;
  equity: number;
  /** Equity at the start of the ET day (K1: daily loss > kill_switch.daily_loss_pct). */
  startOfDayEquity: number;
  /** Highest trusted equity since the start of the ET week (K1: weekly drawdown > weekly_drawdown_pct). */
  weekPeakEquity: number;
  /** K2: consecutive critical task failures. */
  consecutiveCriticalFailures: number;
  /** K5: when the data provider started failing (UTC ISO), null when it works. */
  dataDownSince: string | null;
  /** K7: consecutive broker rejections of orders. */
  consecutiveBrokerRejections: number;
  /** K8: USD notional of the last reconcile's position mismatches. */
  reconcileMismatchUsd: number;
}

/** A trigger that fired, with the reason written into the kill switch. */
export interface TriggerFired {
  id: TriggerId;
  reason: string;
}

/** logs/state/nav_state.json: the brain's view of equity. */
export interface NavState {
  version: 1;
  ts: string;
  equity: number;
  peak: number;
  drawdown: number;
  start_of_day: { date: string; equity: number };
  week_peak: { week_start: string; equity: number };
  /** Equity readings that were rejected as anomalies (not trusted for drawdown resets). */
  anomalies_rejected: Array<{ ts: string; equity: number; previous: number; reason: string }>;
}

/** logs/state/risk_snapshot.json. */
export interface RiskSnapshot {
  version: 1;
  ts: string;
  trading_state: TradingStateName;
  kill_reason: string | null;
  drawdown_state: 'normal' | 'elevated' | 'breached';
  circuits: Record<TriggerId, { value: number | string | null; threshold: number; tripped: boolean }>;
}

/** logs/state/diagnostics.json. */
export interface Diagnostics {
  version: 1;
  ts: string;
  veto_counters: { today: Record<string, number>; total: Record<string, number> };
  exit_pipeline: {
    last_exit_scan_ts: string | null;
    last_exit_trigger_ts: string | null;
    positions: number;
    positions_without_stop: number;
    positions_without_target: number;
    underwater_without_exit_plan: number;
  };
  liveness: {
    last_signal_ts: string | null;
    last_order_ts: string | null;
    last_exit_ts: string | null;
    idle_signals: boolean;
    idle_orders: boolean;
    idle_exits: boolean;
    details: Record<string, number | null>;
  };
}
