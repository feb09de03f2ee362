// The exit rules both simulators share (SPEC section 7), evaluated on one bar of an open position.
// Order within a bar: a gap through the stop (or target) at the open fills at the open; then the
// stop before the target, because a daily bar does not say which came first and assuming the
// worse is the honest choice; then the strategy exit and the time stop at the close.
import type { StrategyParams } from '../config/schema.js';
import type { BarSeries } from '../strategy/bars.js';
import type { StrategyFeatures } from '../strategy/features.js';
import { ibsRsiExit } from '../strategy/ibs-rsi.js';
import type { ExitReason } from './types.js';

/** exitAt: keep the position. */
export const HOLD = 0;
/** exitAt: stop (gap at the open, or touched in the bar). */
export const EXIT_STOP = 1;
/** exitAt: target (gap at the open, or touched in the bar). */
export const EXIT_TARGET = 2;
/** exitAt: strategy exit at the close. */
export const EXIT_SIGNAL = 3;
/** exitAt: time stop at the close. */
export const EXIT_TIME = 4;
/** The symbol's last bar in the run: closed at its close. */
export const EXIT_END = 5;

/** Exit reason of a non-zero exit code. */
export const EXIT_NAMES: readonly ExitReason[] = ['end', 'stop', 'target', 'signal', 'time', 'end'];

/** The open position exitAt looks at. */
export interface OpenPosition {
  /** Bar of the entry fill (its bars_held is 0). */
  entryBar: number;
  stop: number;
  /** NaN when there is none (IBS+RSI). */
  target: number;
  timeStopBars: number;
  /** IBS+RSI positions also leave on IBS > ibs_exit or RSI > rsi_exit. */
  ibsRsi: boolean;
}

/** Raw (pre-slippage) price of the last exit exitAt decided; a scratch slot, so no object per bar. */
export const exitPrice = new Float64Array(1);

/** A price that can be traded on: finite and positive (NaN fails). */
export function tradable(x: number): boolean {
  return x > 0 && x < Infinity;
}

/**
 * Exit decision for bar b (b >= entryBar) of an open position, or HOLD. Time stop: bars held = b - entryBar, exit at the close once it reaches
 * time_stop_bars (the entry bar counts 0, as `kobe positions` counts).
 */
export function exitAt(s: BarSeries, f: StrategyFeatures, p: StrategyParams, bad: Uint8Array, pos: OpenPosition, b: number): number {
  const { stop, target } = pos;
  // A bad bar is used only for what it does say: a tradable open, a consistent low/high range, a
  // close inside it; the rest of it holds (nothing is traded on a price that is not there).
  const o = s.open[b];
  const okOpen = !bad[b] || tradable(o);
  const okRange = !bad[b] || (tradable(s.low[b]) && tradable(s.high[b]) && s.low[b] <= s.high[b]);
  const okClose = !bad[b] || (okRange && tradable(s.close[b]) && s.close[b] >= s.low[b] && s.close[b] <= s.high[b]);
  // At the open. On the entry bar the open is the fill, always above the stop and below the target
  // (entries at or beyond either are skipped).
  if (okOpen && o <= stop) {
    exitPrice[0] = o;
    return EXIT_STOP;
  }
  if (okOpen && o >= target) {
    exitPrice[0] = o;
    return EXIT_TARGET;
  }
  if (okRange && s.low[b] <= stop) {
    exitPrice[0] = stop;
    return EXIT_STOP;
  }
  if (okRange && s.high[b] >= target) {
    exitPrice[0] = target;
    return EXIT_TARGET;
  }
  if (!okClose) return HOLD;
  const c = s.close[b];
  if (pos.ibsRsi && ibsRsiExit(f, p, b) !== null) {
    exitPrice[0] = c;
    return EXIT_SIGNAL;
  }
  if (b - pos.entryBar >= pos.timeStopBars) {
    exitPrice[0] = c;
    return EXIT_TIME;
  }
  return HOLD;
}
