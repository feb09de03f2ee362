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

/**
 * Exit decision for bar b (b >= entryBar) of an open position, or HOLD. A bad bar always holds: its
 * prices cannot be traded on. Time stop: bars held = b - entryBar, exit at the close once it reaches
 * time_stop_bars (the entry bar counts 0, as `kobe positions` counts).
 */
export function exitAt(s: BarSeries, f: StrategyFeatures, p: StrategyParams, bad: Uint8Array, pos: OpenPosition, b: number): number {
  if (bad[b]) return HOLD;
  const { stop, target } = pos;
  // At the open. On the entry bar the open is the fill, always above the stop (entries at or under
  // it are skipped), and a target already below it sells straight back at the open.
  const o = s.open[b];
  if (o <= stop) {
    exitPrice[0] = o;
    return EXIT_STOP;
  }
  if (o >= target) {
    exitPrice[0] = o;
    return EXIT_TARGET;
  }
  if (s.low[b] <= stop) {
    exitPrice[0] = stop;
    return EXIT_STOP;
  }
  if (s.high[b] >= target) {
    exitPrice[0] = target;
    return EXIT_TARGET;
  }
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
