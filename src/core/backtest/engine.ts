// The backtest engine (SPEC section 7): features and signals once per symbol, then one of two
// simulators over the run's sessions, then metrics. Pure: bars and settings in, data out.
import type { KobeConfig, StrategyParams } from '../config/schema.js';
import { isoDay, type BarSeries } from '../strategy/bars.js';
import type { StrategyName } from '../strategy/features.js';
import { summarise } from './metrics.js';
import { simulatePerSignal } from './per-signal.js';
import { simulatePortfolio } from './portfolio.js';
import { type SignalFn, prepareSteps } from './prepare.js';
import { type Steps, drain, drainAsync } from './steps.js';
import { type BacktestMode, type BacktestResult, type BacktestSettings, type ProgressFn, type SignalCounts, STRATEGIES } from './types.js';

export type { BacktestMode, BacktestResult, BacktestSettings, ExitReason, Metrics, ProgressFn, Trade } from './types.js';

/** Inputs of one run. */
export interface BacktestInput {
  series: readonly BarSeries[];
  params: StrategyParams;
  settings: BacktestSettings;
  onProgress?: ProgressFn;
  /** Signal generator (default allSignals); tests substitute one. */
  signalFn?: SignalFn;
}

/** Settings from config: sim.starting_cash, sim.slippage_bps, trading.risk_pct, max_position_pct, max_open_positions. */
export function settingsFromConfig(config: KobeConfig, mode: BacktestMode, range: { start?: string; end?: string } = {}): BacktestSettings {
  return {
    mode,
    startingCash: config.sim.starting_cash,
    maxOpenPositions: config.trading.max_open_positions,
    riskPct: config.trading.risk_pct,
    maxPositionPct: config.trading.max_position_pct,
    slippageBps: config.sim.slippage_bps,
    ...(range.start !== undefined ? { start: range.start } : {}),
    ...(range.end !== undefined ? { end: range.end } : {}),
  };
}

/** Run a backtest in the settings' mode. */
export function runBacktest(input: BacktestInput): BacktestResult {
  return drain(backtestSteps(input));
}

/** runBacktest, awaiting `pause` between chunks of symbols (lets a spinner draw). */
export function runBacktestAsync(input: BacktestInput, pause: () => Promise<void>): Promise<BacktestResult> {
  return drainAsync(backtestSteps(input), pause);
}

function* backtestSteps(input: BacktestInput): Steps<BacktestResult> {
  const { params, settings, onProgress } = input;
  if (!(settings.maxOpenPositions >= 1) || !Number.isInteger(settings.maxOpenPositions)) throw new RangeError(`max open positions must be a positive integer, got ${settings.maxOpenPositions}`);
  if (!(settings.startingCash > 0)) throw new RangeError(`starting cash must be positive, got ${settings.startingCash}`);
  const prep = yield* prepareSteps(input.series, params, settings, onProgress, input.signalFn);
  const sim = settings.mode === 'per_signal' ? simulatePerSignal(prep, params, settings, onProgress) : simulatePortfolio(prep, params, settings, onProgress);
  const by = {} as Record<StrategyName, SignalCounts>;
  STRATEGIES.forEach((name, k) => (by[name] = sim.counts.of(k)));
  const D = prep.days.length;
  return {
    mode: settings.mode,
    settings,
    first_date: D ? isoDay(prep.days[0]) : null,
    last_date: D ? isoDay(prep.days[D - 1]) : null,
    symbols: prep.series.length,
    trades: sim.trades,
    curve: sim.curve,
    signals: { combined: sim.counts.of(-1), by_strategy: by },
    metrics: summarise(settings.mode, sim.trades, sim.curve, settings.startingCash),
    bad_bars: prep.badBars,
  };
}
