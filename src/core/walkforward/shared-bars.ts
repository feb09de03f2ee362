// The universe's bars packed once into SharedArrayBuffers (dates Int32, OHLCV Float64, per-symbol
// offsets) so every worker of the pool reads the same memory: a split's job then costs a
// description, never a copy of 900 x 10 years of bars. Series handed to the backtest are views.
import { type BarSeries, dayNumber } from '../strategy/bars.js';

/** Columnar bars of every symbol; symbol k owns bars offsets[k] .. offsets[k + 1] - 1. */
export interface SharedBars {
  symbols: string[];
  offsets: Int32Array;
  dates: Int32Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
}

const shared = <T extends Int32Array | Float64Array>(Ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, n: number): T =>
  new Ctor(new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT));

/** Copy the series into shared memory (once per run). */
export function shareBars(series: readonly BarSeries[]): SharedBars {
  let total = 0;
  for (const s of series) total += s.length;
  const offsets = shared(Int32Array, series.length + 1);
  const b: SharedBars = {
    symbols: series.map((s) => s.symbol),
    offsets,
    dates: shared(Int32Array, total),
    open: shared(Float64Array, total),
    high: shared(Float64Array, total),
    low: shared(Float64Array, total),
    close: shared(Float64Array, total),
    volume: shared(Float64Array, total),
  };
  let at = 0;
  series.forEach((s, k) => {
    offsets[k] = at;
    b.dates.set(s.dates.subarray(0, s.length), at);
    b.open.set(s.open.subarray(0, s.length), at);
    b.high.set(s.high.subarray(0, s.length), at);
    b.low.set(s.low.subarray(0, s.length), at);
    b.close.set(s.close.subarray(0, s.length), at);
    b.volume.set(s.volume.subarray(0, s.length), at);
    at += s.length;
  });
  offsets[series.length] = at;
  return b;
}

/** First index in [lo, hi) whose date is > day (dates sorted within a symbol). */
function upper(dates: Int32Array, lo: number, hi: number, day: number): number {
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (dates[mid] <= day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Day numbers of every session on or before `endDay`: the union of the symbols' bar dates, ascending. */
export function sessionAxis(b: SharedBars, endDay = Infinity): Int32Array {
  let lo = Infinity;
  let hi = -Infinity;
  const S = b.symbols.length;
  for (let k = 0; k < S; k++) {
    const a = b.offsets[k];
    const z = upper(b.dates, a, b.offsets[k + 1], endDay);
    if (z > a) {
      if (b.dates[a] < lo) lo = b.dates[a];
      if (b.dates[z - 1] > hi) hi = b.dates[z - 1];
    }
  }
  if (!(hi >= lo)) return new Int32Array(0);
  const present = new Uint8Array(hi - lo + 1);
  for (let k = 0; k < S; k++) {
    for (let i = b.offsets[k], z = upper(b.dates, i, b.offsets[k + 1], endDay); i < z; i++) present[b.dates[i] - lo] = 1;
  }
  let n = 0;
  for (let i = 0; i < present.length; i++) n += present[i];
  const out = new Int32Array(n);
  for (let i = 0, j = 0; i < present.length; i++) if (present[i]) out[j++] = lo + i;
  return out;
}

/** Views of every symbol's bars dated from..end (ISO, inclusive); symbols with none are left out. */
export function windowSeries(b: SharedBars, from: string, end: string): BarSeries[] {
  const fromDay = dayNumber(from);
  const endDay = dayNumber(end);
  const out: BarSeries[] = [];
  for (let k = 0; k < b.symbols.length; k++) {
    const a = upper(b.dates, b.offsets[k], b.offsets[k + 1], fromDay - 1);
    const z = upper(b.dates, a, b.offsets[k + 1], endDay);
    if (z <= a) continue;
    out.push({
      symbol: b.symbols[k],
      dates: b.dates.subarray(a, z),
      open: b.open.subarray(a, z),
      high: b.high.subarray(a, z),
      low: b.low.subarray(a, z),
      close: b.close.subarray(a, z),
      volume: b.volume.subarray(a, z),
      length: z - a,
    });
  }
  return out;
}

/** Bars in shared memory (for the bench and reports). */
export function barCount(b: SharedBars): number {
  return b.offsets[b.symbols.length];
}
