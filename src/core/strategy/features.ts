// Features of SPEC section 7 computed once per series, and the signal record both strategies emit.
import type { StrategyParams } from '../config/schema.js';
import type { BarSeries } from './bars.js';
import { atrWilder, ibs, lowestLow, rsiSma, rsiWilder, sma } from './indicators.js';

/** Strategy names as they appear in signals, picks and the trade journal. */
export type StrategyName = 'ibs_rsi' | 'turtle_soup';

/** Indicator arrays of one series, each the series' length, unlagged (index t = values of bar t). */
export interface StrategyFeatures {
  ibs: Float64Array;
  rsi: Float64Array;
  sma: Float64Array;
  atr: Float64Array;
  /** Lowest low of the `turtle_soup.lookback` bars before t (a price level, never lagged). */
  lowest: Float64Array;
  /** Bars from the most recent bar holding `lowest` to bar t - 1. */
  barsSince: Float64Array;
}

/** One entry signal at the close of bar `bar`; it fills at the next open. */
export interface Signal {
  date: string;
  symbol: string;
  strategy: StrategyName;
  /** Index of the signal bar in its series. */
  bar: number;
  /** Close of the signal bar, rounded to cents (the reference price). */
  entry: number;
  stop: number;
  target: number | null;
  entry_raw: number;
  stop_raw: number;
  target_raw: number | null;
  time_stop_bars: number;
  /** Unrounded; ranking uses it (through confidence). */
  score: number;
  confidence: number;
  /** The features that decided (bar t - feature_lag). */
  ibs: number;
  rsi: number;
  atr: number;
  sma: number;
  /** Turtle Soup only: the swept level P, bars since it was set, and the sweep in ATRs. */
  level: number | null;
  bars_since: number | null;
  sweep: number | null;
}

/** Compute every feature of a series once; values at t depend only on bars 0..t. */
export function computeFeatures(s: BarSeries, p: StrategyParams): StrategyFeatures {
  const { sma_period, atr_period } = p.common;
  const { rsi_period, rsi_method } = p.ibs_rsi;
  const ll = lowestLow(s.low, p.turtle_soup.lookback);
  return {
    ibs: ibs(s.high, s.low, s.close),
    rsi: rsi_method === 'sma' ? rsiSma(s.close, rsi_period) : rsiWilder(s.close, rsi_period),
    sma: sma(s.close, sma_period),
    atr: atrWilder(s.high, s.low, s.close, atr_period),
    lowest: ll.value,
    barsSince: ll.barsSince,
  };
}

/** Round a price to cents, half away from zero on its decimal value (1.005 -> 1.01, not 1.00). */
export function roundCents(x: number): number {
  if (!Number.isFinite(x)) return x;
  const y = Math.abs(x) * 100;
  const whole = Math.floor(y);
  // A few ulps of slack: 1.005 * 100 is 100.49999999999999 in binary but a half in decimal.
  const up = y - whole >= 0.5 - y * 2e-15 ? 1 : 0;
  const r = (Math.sign(x) * (whole + up)) / 100;
  return r === 0 ? 0 : r;
}

/** Confidence in [0, 1]: score over the strategy's full-confidence score, capped at 1. */
export function confidenceOf(score: number, fullScore: number): number {
  return Math.min(score / fullScore, 1);
}
