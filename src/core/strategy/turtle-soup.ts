// Turtle Soup, long only (SPEC section 7): a bar that sweeps below an aged N-bar low and closes back
// above it, in an uptrend. P and k are price levels of bars t-N..t-1, so feature_lag never moves them.
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, isoDay, isSignalBar } from './bars.js';
import { type Signal, type StrategyFeatures, confidenceOf, roundCents } from './features.js';

/** Score at which Turtle Soup confidence reaches 1 (a 3-ATR sweep). */
export const TURTLE_SOUP_FULL_SCORE = 300;

/**
 * Turtle Soup entry at the close of bar t, or null: k >= min_bars_since_extreme, low(t) < P < close(t),
 * close > SMA, close >= min_price, (P - low(t)) / ATR >= min_sweep_atr; SMA and ATR of bar t - feature_lag.
 */
export function turtleSoupAt(s: BarSeries, p: StrategyParams, f: StrategyFeatures, t: number): Signal | null {
  const { min_price, min_history_bars, feature_lag } = p.common;
  const q = p.turtle_soup;
  const j = t - feature_lag;
  if (t + 1 < min_history_bars || j < 0 || t >= s.length) return null;
  const k = f.barsSince[t];
  if (!(k >= q.min_bars_since_extreme)) return null;
  const level = f.lowest[t];
  const low = s.low[t];
  const close = s.close[t];
  if (!(low < level && close > level)) return null;
  if (!(close >= min_price)) return null;
  const smaV = f.sma[j];
  if (!(close > smaV)) return null;
  const atrV = f.atr[j];
  if (!(atrV > 0)) return null;
  const sweep = (level - low) / atrV;
  if (!(sweep >= q.min_sweep_atr) || !isSignalBar(s, t)) return null;
  const stop = low - q.stop_buffer_atr * atrV;
  const target = close + q.r_multiple * (close - stop);
  const score = sweep * 100;
  return {
    date: isoDay(s.dates[t]),
    symbol: s.symbol,
    strategy: 'turtle_soup',
    bar: t,
    entry: roundCents(close),
    stop: roundCents(stop),
    target: roundCents(target),
    entry_raw: close,
    stop_raw: stop,
    target_raw: target,
    time_stop_bars: q.time_stop_bars,
    score,
    confidence: confidenceOf(score, TURTLE_SOUP_FULL_SCORE),
    ibs: f.ibs[j],
    rsi: f.rsi[j],
    atr: atrV,
    sma: smaV,
    level,
    bars_since: k,
    sweep,
  };
}
