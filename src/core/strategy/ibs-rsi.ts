// IBS+RSI mean reversion (SPEC section 7): buy a weak close in an uptrend, leave on strength.
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, isoDay, isSignalBar } from './bars.js';
import { type Signal, type StrategyFeatures, confidenceOf, roundCents } from './features.js';

/** Score at which IBS+RSI confidence reaches 1. */
export const IBS_RSI_FULL_SCORE = 25;

/**
 * IBS+RSI entry at the close of bar t, or null: close >= min_price, IBS < ibs_entry, RSI < rsi_entry,
 * close > SMA, with features of bar t - feature_lag and the close of bar t. `f` covers at least bars 0..t.
 */
export function ibsRsiAt(s: BarSeries, p: StrategyParams, f: StrategyFeatures, t: number): Signal | null {
  const { min_price, min_history_bars, feature_lag } = p.common;
  const q = p.ibs_rsi;
  const j = t - feature_lag;
  if (t + 1 < min_history_bars || j < 0 || t >= s.length) return null;
  const close = s.close[t];
  // Negated comparisons so that a NaN anywhere means "no signal".
  if (!(close >= min_price)) return null;
  const ibsV = f.ibs[j];
  if (!(ibsV < q.ibs_entry)) return null;
  const rsiV = f.rsi[j];
  if (!(rsiV < q.rsi_entry)) return null;
  const smaV = f.sma[j];
  if (!(close > smaV)) return null;
  const atrV = f.atr[j];
  if (!(atrV > 0) || !isSignalBar(s, t)) return null;
  const stop = close - q.stop_atr_mult * atrV;
  const score = (q.ibs_entry - ibsV) * 100 + (q.rsi_entry - rsiV);
  return {
    date: isoDay(s.dates[t]),
    symbol: s.symbol,
    strategy: 'ibs_rsi',
    bar: t,
    entry: roundCents(close),
    stop: roundCents(stop),
    target: null,
    entry_raw: close,
    stop_raw: stop,
    target_raw: null,
    time_stop_bars: q.time_stop_bars,
    score,
    confidence: confidenceOf(score, IBS_RSI_FULL_SCORE),
    ibs: ibsV,
    rsi: rsiV,
    atr: atrV,
    sma: smaV,
    level: null,
    bars_since: null,
    sweep: null,
  };
}

/** Why an open IBS+RSI position leaves at the close of bar t on the strategy rule, or null to hold. */
export type IbsRsiExitReason = 'ibs_exit' | 'rsi_exit';

/**
 * IBS+RSI strategy exit at the close of bar t: IBS > ibs_exit or RSI > rsi_exit on bar t's own values
 * (SPEC: "a bar's own values", so feature_lag does not apply); stop and time stop belong to the backtest.
 */
export function ibsRsiExit(f: StrategyFeatures, p: StrategyParams, t: number): IbsRsiExitReason | null {
  if (f.ibs[t] > p.ibs_rsi.ibs_exit) return 'ibs_exit';
  if (f.rsi[t] > p.ibs_rsi.rsi_exit) return 'rsi_exit';
  return null;
}
