// Walk-forward split arithmetic on a session axis (indices into the universe's sessions).
// Rules, chosen so every plan terminates and every window can be warmed up:
// - the first `warmup` sessions of the data (or of the axis before --start) are history only: the
//   first train window starts at max(first, warmup), so every window has a full warm-up behind it;
// - rolling: train [t - train, t), test [t, t + test); anchored: train [first, t), growing;
//   t advances by `test`, so test windows are consecutive and disjoint;
// - the last test window may be shorter than `test`: it is kept when it has at least half of
//   `test` sessions (rounded up) and dropped otherwise, so a stub of a few days never becomes a
//   split of its own.
import type { StrategyParams } from '../config/schema.js';
import { UsageError } from '../errors.js';

/** Sessions added to the longest indicator history for the default warm-up. */
export const WARMUP_MARGIN = 20;

/** Largest accepted train, test or warm-up length (about 400 years of sessions). */
export const MAX_SESSIONS = 100_000;

/** One window as indices on the axis: warm-up from `from`, trading on [start, end] (inclusive). */
export interface WindowRange {
  from: number;
  start: number;
  end: number;
}

/** One split: a train window and the out-of-sample test window right after it. */
export interface SplitRange {
  index: number;
  train: WindowRange;
  test: WindowRange;
}

/** Inputs of a plan, all in sessions. */
export interface SplitPlanInput {
  /** Sessions on the axis. */
  sessions: number;
  /** Index of the first session trading may start on (from --start; 0 without it). */
  first: number;
  train: number;
  test: number;
  anchored: boolean;
  warmup: number;
}

/** Sessions the last test window needs to be kept: half of `test`, rounded up. */
export function minLastTest(test: number): number {
  return Math.ceil(test / 2);
}

function checkLength(name: string, v: number, min: number): void {
  if (!Number.isSafeInteger(v) || v < min || v > MAX_SESSIONS) throw new UsageError(`${name} must be an integer from ${min} to ${MAX_SESSIONS} sessions, got ${v}`);
}

/** Default warm-up: the longest history any of `params` needs (SMA period, min_history_bars) plus a margin. */
export function defaultWarmup(params: readonly StrategyParams[]): number {
  let need = 0;
  for (const p of params) need = Math.max(need, p.common.sma_period, p.common.min_history_bars);
  return need + WARMUP_MARGIN;
}

/** The splits of a plan; UsageError on bad lengths or when not even one split fits. */
export function planSplits(o: SplitPlanInput): SplitRange[] {
  checkLength('--train', o.train, 1);
  checkLength('--test', o.test, 1);
  checkLength('--warmup', o.warmup, 0);
  if (!Number.isSafeInteger(o.sessions) || o.sessions < 0) throw new RangeError(`sessions must be a non-negative integer, got ${o.sessions}`);
  if (!Number.isSafeInteger(o.first) || o.first < 0) throw new RangeError(`first must be a non-negative integer, got ${o.first}`);
  const s0 = Math.max(o.first, o.warmup);
  const minTest = minLastTest(o.test);
  const need = s0 + o.train + minTest;
  if (need > o.sessions) {
    throw new UsageError(
      `not enough sessions for one split: ${o.sessions} on the axis, need ${need} (${s0} before the first train window incl. warm-up ${o.warmup}, train ${o.train}, at least ${minTest} of test ${o.test})`,
      { hint: 'use a longer history (kobe data seed --years N), an earlier --start, or a shorter --train/--test/--warmup' },
    );
  }
  const out: SplitRange[] = [];
  // t strictly increases by test >= 1 and the loop stops before t passes `sessions`.
  for (let t = s0 + o.train; t + minTest <= o.sessions; t += o.test) {
    const trainStart = o.anchored ? s0 : t - o.train;
    out.push({
      index: out.length,
      train: { from: trainStart - o.warmup, start: trainStart, end: t - 1 },
      test: { from: t - o.warmup, start: t, end: Math.min(t + o.test, o.sessions) - 1 },
    });
  }
  return out;
}
