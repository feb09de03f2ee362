// Everything the simulators need, computed once per symbol: the series cut at the end date,
// features, signals, a bad-bar mask, and each bar's index on the run's common session axis.
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, badBarReason, dayNumber, isoDay, sliceSeries } from '../strategy/bars.js';
import { type Signal, type StrategyFeatures, computeFeatures } from '../strategy/features.js';
import { compareSignals } from '../strategy/scanner.js';
import { allSignals } from '../strategy/signals.js';
import { type Steps, drain } from './steps.js';
import type { BacktestSettings, BadBars, ProgressFn } from './types.js';

/** A signal generator over a whole series (allSignals, or a stand-in in tests). */
export type SignalFn = (s: BarSeries, p: StrategyParams, f?: StrategyFeatures) => Signal[];

/** Per-symbol arrays and the run's session axis; symbol k is `series[k]`. */
export interface Prepared {
  series: BarSeries[];
  features: StrategyFeatures[];
  /** 1 where the bar is unusable (badBarReason): never filled, exited or marked on. */
  bad: Uint8Array[];
  /** Index of each bar on `days`, or -1 for bars before the start (warm-up only). */
  dayOf: Int32Array[];
  /** Day numbers of every session of the run: the union of the symbols' bar dates in range. */
  days: Int32Array;
  /** Signals whose bar is in range, ordered by signal day then the scanner's ranking. */
  signals: Signal[];
  /** Symbol index of each signal. */
  sigSym: Int32Array;
  /** Signals of day d are signals[dayStart[d] .. dayStart[d + 1] - 1]. */
  dayStart: Int32Array;
  badBars: BadBars[];
}

const INF = Infinity;

/** Number of leading bars dated on or before `day` (binary search). */
function countUpTo(dates: Int32Array, day: number): number {
  let lo = 0;
  let hi = dates.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid] <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * One pass over a series: its bars' indices on the session axis (-1 before the start) and a bad-bar
 * mask with the rules of badBarReason (x > 0 && x < Infinity is "finite and positive", NaN fails
 * both), without a call or a string per bar.
 */
function indexBars(s: BarSeries, lo: number, slot: Int32Array, map: Int32Array, mask: Uint8Array): { bad: number; first: number } {
  const { dates, open, high, low, close, volume } = s;
  let bad = 0;
  let first = -1;
  for (let t = 0; t < s.length; t++) {
    const day = dates[t];
    const k = day >= lo ? slot[day - lo] - 1 : -1;
    map[t] = k;
    const h = high[t];
    const l = low[t];
    const c = close[t];
    const v = volume[t];
    const o = open[t];
    if (!(o > 0 && o < INF && l > 0 && h >= l && h < INF && c >= l && c <= h && v >= 0 && v < INF)) {
      mask[t] = 1;
      if (k >= 0 && bad++ === 0) first = t;
    }
  }
  return { bad, first };
}

/** Parse an optional YYYY-MM-DD bound into a day number. */
function bound(iso: string | undefined, fallback: number): number {
  return iso === undefined ? fallback : dayNumber(iso);
}

/** Cut, featurise and index every series; throws RangeError on a duplicate symbol. */
export function prepare(input: readonly BarSeries[], p: StrategyParams, settings: BacktestSettings, onProgress?: ProgressFn, signalFn: SignalFn = allSignals): Prepared {
  return drain(prepareSteps(input, p, settings, onProgress, signalFn));
}

/** prepare() as steps, yielding after every 32 symbols. */
export function* prepareSteps(input: readonly BarSeries[], p: StrategyParams, settings: BacktestSettings, onProgress?: ProgressFn, signalFn: SignalFn = allSignals): Steps<Prepared> {
  const startDay = bound(settings.start, -Infinity);
  const endDay = bound(settings.end, Infinity);
  const seen = new Set<string>();
  const series: BarSeries[] = [];
  for (const s of input) {
    if (seen.has(s.symbol)) throw new RangeError(`symbol ${s.symbol} given twice`);
    seen.add(s.symbol);
    series.push(endDay === Infinity ? s : sliceSeries(s, countUpTo(s.dates, endDay)));
  }
  const n = series.length;

  // The session axis: a presence bitmap over the day range (O(bars), no sort).
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    const first = startDay === -Infinity ? 0 : countUpTo(s.dates, startDay - 1);
    if (first < s.length) {
      if (s.dates[first] < lo) lo = s.dates[first];
      if (s.dates[s.length - 1] > hi) hi = s.dates[s.length - 1];
    }
  }
  const span = hi >= lo ? hi - lo + 1 : 0;
  const present = new Int32Array(span);
  for (const s of series) {
    const d = s.dates;
    for (let t = d.length - 1; t >= 0 && d[t] >= lo; t--) present[d[t] - lo] = 1;
  }
  let count = 0;
  for (let k = 0; k < span; k++) if (present[k]) present[k] = ++count; // 1-based slot
  const days = new Int32Array(count);
  for (let k = 0; k < span; k++) if (present[k]) days[present[k] - 1] = lo + k;

  const features: StrategyFeatures[] = [];
  const bad: Uint8Array[] = [];
  const dayOf: Int32Array[] = [];
  const badBars: BadBars[] = [];
  const found: Signal[] = [];
  const foundSym: number[] = [];
  for (let k = 0; k < n; k++) {
    const s = series[k];
    const map = new Int32Array(s.length);
    const mask = new Uint8Array(s.length);
    const b = indexBars(s, lo, present, map, mask);
    dayOf.push(map);
    bad.push(mask);
    if (b.bad > 0) badBars.push({ symbol: s.symbol, bars: b.bad, first_date: isoDay(s.dates[b.first]), first_reason: badBarReason(s, b.first) ?? 'bad bar' });
    const f = computeFeatures(s, p);
    features.push(f);
    for (const sig of signalFn(s, p, f)) {
      if (map[sig.bar] >= 0) {
        found.push(sig);
        foundSym.push(k);
      }
    }
    if ((k & 31) === 31 || k === n - 1) {
      onProgress?.('signals', k + 1, n);
      yield;
    }
  }

  const sigDay = Int32Array.from(found, (sig, i) => dayOf[foundSym[i]][sig.bar]);
  const order = found.map((_, i) => i);
  order.sort((a, b) => sigDay[a] - sigDay[b] || compareSignals(found[a], found[b]));
  const signals = order.map((i) => found[i]);
  const sigSym = Int32Array.from(order, (i) => foundSym[i]);
  const dayStart = new Int32Array(count + 1);
  for (let i = 0; i < sigDay.length; i++) dayStart[sigDay[i] + 1]++;
  for (let k = 0; k < count; k++) dayStart[k + 1] += dayStart[k];
  badBars.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { series, features, bad, dayOf, days, signals, sigSym, dayStart, badBars };
}
