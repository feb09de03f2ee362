// Shapes shared by the backtest engine, its metrics and its writers.
import type { StrategyName } from '../strategy/features.js';

/** Portfolio (cash, sizing, slots) or per-signal (one share per signal, no portfolio). */
export type BacktestMode = 'portfolio' | 'per_signal';

/** Why a trade closed. */
export type ExitReason = 'stop' | 'target' | 'signal' | 'time' | 'end';

/** Exit reasons in report order. */
export const EXIT_REASONS: readonly ExitReason[] = ['stop', 'target', 'signal', 'time', 'end'];

/** Strategies in report order. */
export const STRATEGIES: readonly StrategyName[] = ['ibs_rsi', 'turtle_soup'];

/** Why a signal did not become a trade. */
export type SkipReason =
  | 'no_next_bar'
  | 'bad_fill_bar'
  | 'open_below_stop'
  | 'open_above_target'
  | 'symbol_held'
  | 'no_slot'
  | 'size_zero'
  | 'cash';

/** Skip reasons in report order. */
export const SKIP_REASONS: readonly SkipReason[] = ['no_next_bar', 'bad_fill_bar', 'open_below_stop', 'open_above_target', 'symbol_held', 'no_slot', 'size_zero', 'cash'];

/** Inputs of one run besides bars and strategy parameters (from config sim.* and trading.*). */
export interface BacktestSettings {
  mode: BacktestMode;
  startingCash: number;
  maxOpenPositions: number;
  riskPct: number;
  maxPositionPct: number;
  slippageBps: number;
  /** First session of the equity curve (YYYY-MM-DD); earlier bars only warm up indicators. */
  start?: string;
  /** Last bar used (YYYY-MM-DD); later bars are dropped before anything is computed. */
  end?: string;
}

/** One closed trade; prices are fills (slippage included), pnl is net of fees. */
export interface Trade {
  symbol: string;
  strategy: StrategyName;
  signal_date: string;
  entry_date: string;
  entry_price: number;
  exit_date: string;
  exit_price: number;
  qty: number;
  pnl: number;
  /** pnl / (entry_price x qty). */
  return: number;
  /** Bars after the entry bar: 0 when it exits on its entry bar (as `positions` counts). */
  bars_held: number;
  exit_reason: ExitReason;
  stop: number;
  target: number | null;
  fees: number;
  confidence: number;
}

/** Daily curve over the run's sessions, all columns the same length. */
export interface EquityCurve {
  /** Day numbers (days since 1970-01-01). */
  days: Int32Array;
  cash: Float64Array;
  positions: Float64Array;
  equity: Float64Array;
  /** Portfolio: equity / running peak - 1 (<= 0). Per-signal: equity - running peak in dollars. */
  drawdown: Float64Array;
  openPositions: Int32Array;
  /** Equity of each strategy alone: start + its realised and unrealised P&L (STRATEGIES order). */
  byStrategy: Float64Array[];
  /** Market value held by each strategy (STRATEGIES order). */
  positionsByStrategy: Float64Array[];
}

/** Summary metrics of one group of trades (a strategy, or all). */
export interface Metrics {
  trades: number;
  wins: number;
  losses: number;
  win_rate: number | null;
  /** Gross profit / gross loss; null when there is no loss (or no trade). */
  profit_factor: number | null;
  total_pnl: number;
  avg_pnl: number | null;
  avg_return: number | null;
  avg_bars_held: number | null;
  /** Final equity / starting cash - 1; null in per-signal mode. */
  total_return: number | null;
  /** Null in per-signal mode (no capital base) and for runs shorter than a day. */
  cagr: number | null;
  sharpe: number | null;
  sortino: number | null;
  /** Largest fall from a peak as a fraction (>= 0); null in per-signal mode. */
  max_drawdown: number | null;
  /** Largest fall from a peak in dollars (>= 0). */
  max_drawdown_usd: number;
  /** Portfolio: mean of positions value / equity. Per-signal: share of sessions with a trade open. */
  exposure: number;
  exit_reasons: Record<ExitReason, number>;
}

/** What happened to the signals of the run. */
export interface SignalCounts {
  total: number;
  traded: number;
  skipped: Record<SkipReason, number>;
}

/** A symbol with unusable bars inside the run; those bars are never traded on. */
export interface BadBars {
  symbol: string;
  bars: number;
  first_date: string;
  first_reason: string;
}

/** Progress of a long phase, for spinners. */
export type ProgressFn = (phase: 'signals' | 'lookahead' | 'simulate', done: number, total: number) => void;

/** Everything one run produces. */
export interface BacktestResult {
  mode: BacktestMode;
  settings: BacktestSettings;
  /** First and last session simulated, or null when no session is in range. */
  first_date: string | null;
  last_date: string | null;
  symbols: number;
  trades: Trade[];
  curve: EquityCurve;
  signals: { combined: SignalCounts; by_strategy: Record<StrategyName, SignalCounts> };
  metrics: { combined: Metrics; by_strategy: Record<StrategyName, Metrics> };
  bad_bars: BadBars[];
}
