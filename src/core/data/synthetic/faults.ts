// Deliberately bad rows for `data seed --with-faults`: one of each kind `data verify` must catch
// (SPEC section 6), so the verifier can be demonstrated and tested on a market with known answers.
import { type BarSeries, allocSeries, copyBar, isoDay } from '../../strategy/bars.js';
import type { Rng } from './random.js';

/** Every kind of bad data the seeded market can carry, in the order they are assigned to symbols. */
export const FAULT_KINDS = [
  'missing_session',
  'duplicate_date',
  'unsorted_dates',
  'nan_field',
  'high_below_low',
  'close_outside_range',
  'non_positive_price',
  'zero_volume_run',
  'stale_last_bar',
  'split_discontinuity',
] as const;

/** One kind of injected fault. */
export type FaultKind = (typeof FAULT_KINDS)[number];

/** An injected fault: where it is and what was done. */
export interface Fault {
  /** The session the fault is at (for a stale series: its last bar). */
  date: string;
  kind: FaultKind;
  detail: string;
}

/** Bars a zero-volume run spans, and sessions a stale series stops early. */
export const ZERO_VOLUME_RUN = 5;
export const STALE_SESSIONS = 6;
/** Fewer sessions than this leave no room to keep the faults apart. */
export const MIN_FAULT_SESSIONS = 60;

const round2 = (x: number) => Math.round(x * 100) / 100;

/** Row `rows[i]` of `s` becomes row i of the result (drops, duplicates and swaps). */
function pick(s: BarSeries, rows: number[]): BarSeries {
  const n = rows.length;
  const out = allocSeries(s.symbol, n);
  for (let i = 0; i < n; i++) copyBar(out, i, s, rows[i]);
  return out;
}

const identity = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Symbol index that carries fault kind k in a market of `count` symbols (spread evenly; wraps when fewer than ten). */
export function faultSymbolIndex(k: number, count: number): number {
  return count >= FAULT_KINDS.length ? Math.floor(((k + 0.5) * count) / FAULT_KINDS.length) : k % count;
}

/** Bar index where fault kind k goes: each kind has its own slice of the series, so faults sharing a symbol never overlap. */
export function faultBar(k: number, n: number, rng: Rng): number {
  return Math.floor(n * (0.2 + 0.06 * k + 0.04 * rng.float()));
}

/**
 * The calmest bar of `s` in [j, j + span): an unadjusted split must stay recognisable as one, so
 * its bar should not also carry a large move of its own (a verifier compares both open and close
 * with the previous close against the split ratio, within a few percent).
 */
export function calmBar(s: BarSeries, j: number, span: number): number {
  let best = j;
  let bestMove = Infinity;
  for (let i = Math.max(1, j); i < Math.min(s.length, j + span); i++) {
    const move = Math.max(Math.abs(Math.log(s.open[i] / s.close[i - 1])), Math.abs(Math.log(s.close[i] / s.close[i - 1])));
    if (move < bestMove) [best, bestMove] = [i, move];
  }
  return best;
}

/** Apply one fault at bar j; returns the (possibly new) series and what was done. */
export function injectFault(s: BarSeries, kind: FaultKind, j: number): { series: BarSeries; fault: Fault } {
  const at = isoDay(s.dates[j]);
  const done = (detail: string, series = s, date = at) => ({ series, fault: { date, kind, detail } });
  switch (kind) {
    case 'missing_session': {
      const rows = identity(s.length);
      rows.splice(j, 1);
      return done('the bar of this session was dropped', pick(s, rows));
    }
    case 'duplicate_date': {
      const rows = identity(s.length);
      rows.splice(j, 0, j);
      return done('the bar of this session appears twice', pick(s, rows));
    }
    case 'unsorted_dates': {
      const rows = identity(s.length);
      rows[j] = j + 1;
      rows[j + 1] = j;
      return done(`the bars of ${at} and ${isoDay(s.dates[j + 1])} are swapped`, pick(s, rows));
    }
    case 'nan_field':
      s.open[j] = NaN;
      return done('open is NaN');
    case 'high_below_low': {
      const h = s.high[j];
      s.high[j] = s.low[j];
      s.low[j] = h > s.high[j] ? h : round2(h + 0.01);
      return done(`high ${s.high[j]} < low ${s.low[j]}`);
    }
    case 'close_outside_range':
      s.close[j] = round2(s.high[j] * 1.03 + 0.01);
      return done(`close ${s.close[j]} above high ${s.high[j]}`);
    case 'non_positive_price':
      s.low[j] = 0;
      return done('low is 0');
    case 'zero_volume_run':
      s.volume.fill(0, j, j + ZERO_VOLUME_RUN);
      return done(`volume 0 on ${ZERO_VOLUME_RUN} consecutive bars`);
    case 'stale_last_bar': {
      const series = pick(s, identity(s.length - STALE_SESSIONS));
      return done(`ends ${STALE_SESSIONS} sessions before the last session`, series, isoDay(series.dates[series.length - 1]));
    }
    case 'split_discontinuity':
      for (let i = j; i < s.length; i++) {
        s.open[i] = round2(s.open[i] / 2);
        s.high[i] = round2(s.high[i] / 2);
        s.low[i] = round2(s.low[i] / 2);
        s.close[i] = round2(s.close[i] / 2);
        s.volume[i] *= 2;
      }
      return done('unadjusted 2:1 split: prices halve from this bar on');
  }
}
