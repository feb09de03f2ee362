// Both strategies over a series: one bar (live scan) or every bar (backtest, scan --history).
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, sliceSeries } from './bars.js';
import { type Signal, type StrategyFeatures, computeFeatures } from './features.js';
import { ibsRsiAt } from './ibs-rsi.js';
import { turtleSoupAt } from './turtle-soup.js';

/**
 * Signals of both strategies at the close of bar t (IBS+RSI first). Without `features` they are
 * computed on bars 0..t only, so bars after t can never leak in; pass features of the full series
 * to avoid recomputing (they are causal, so the answer is the same).
 */
export function signalsAt(s: BarSeries, p: StrategyParams, t: number, features?: StrategyFeatures): Signal[] {
  if (!Number.isInteger(t) || t < 0 || t >= s.length) return [];
  const f = features ?? computeFeatures(sliceSeries(s, t + 1), p);
  const out: Signal[] = [];
  const a = ibsRsiAt(s, p, f, t);
  if (a) out.push(a);
  const b = turtleSoupAt(s, p, f, t);
  if (b) out.push(b);
  return out;
}

/** Every signal of both strategies over the whole series, by bar then strategy; features computed once. */
export function allSignals(s: BarSeries, p: StrategyParams, features?: StrategyFeatures): Signal[] {
  const f = features ?? computeFeatures(s, p);
  const out: Signal[] = [];
  const { min_price, feature_lag } = p.common;
  const { close, low } = s;
  const { sma, ibs, lowest } = f;
  const ibsEntry = p.ibs_rsi.ibs_entry;
  const start = Math.max(p.common.min_history_bars - 1, feature_lag, 0);
  for (let t = start; t < s.length; t++) {
    // Cheap gates implied by the rules (both need close >= min_price and close > SMA; IBS+RSI needs a
    // low IBS, Turtle Soup a new low): most bars stop here. The *At functions stay the definition.
    const c = close[t];
    const j = t - feature_lag;
    if (!(c >= min_price && c > sma[j])) continue;
    if (!(ibs[j] < ibsEntry) && !(low[t] < lowest[t])) continue;
    const a = ibsRsiAt(s, p, f, t);
    if (a) out.push(a);
    const b = turtleSoupAt(s, p, f, t);
    if (b) out.push(b);
  }
  return out;
}
