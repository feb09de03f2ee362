// The in-memory bar series every strategy, scanner and backtest works on: one symbol, columnar
// typed arrays, dates as UTC day numbers so comparisons and lookups never parse strings.

/** Daily OHLCV bars of one symbol, oldest first; `dates` are days since 1970-01-01 UTC. */
export interface BarSeries {
  symbol: string;
  dates: Int32Array;
  open: Float64Array;
  high: Float64Array;
  low: Float64Array;
  close: Float64Array;
  volume: Float64Array;
  length: number;
}

/** One bar as plain values (fixtures, CSV import). */
export interface BarRow {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
}

/** A series of `n` zeroed bars (`length` as given: 0 for one filled bar by bar). */
export function allocSeries(symbol: string, n: number, length = n): BarSeries {
  return { symbol, dates: new Int32Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), length };
}

/** Copy bar `i` of `from` into slot `k` of `to`. */
export function copyBar(to: BarSeries, k: number, from: BarSeries, i: number): void {
  to.dates[k] = from.dates[i];
  to.open[k] = from.open[i];
  to.high[k] = from.high[i];
  to.low[k] = from.low[i];
  to.close[k] = from.close[i];
  to.volume[k] = from.volume[i];
}

const ISO_DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

// Civil-date <-> day-number arithmetic (H. Hinnant's proleptic Gregorian algorithms): integer-only,
// no Date objects, because backtests format a date for every signal.
const { floor } = Math;

/** Day number (days since 1970-01-01 UTC) of an ISO 'YYYY-MM-DD' date; throws RangeError if invalid. */
export function dayNumber(iso: string): number {
  const m = ISO_DAY.exec(iso);
  if (m) {
    const mo = Number(m[2]);
    const d = Number(m[3]);
    const y = Number(m[1]) - (mo <= 2 ? 1 : 0);
    const era = floor(y / 400);
    const yoe = y - era * 400;
    const doy = floor((153 * (mo > 2 ? mo - 3 : mo + 9) + 2) / 5) + d - 1;
    const n = era * 146097 + yoe * 365 + floor(yoe / 4) - floor(yoe / 100) + doy - 719468;
    // The round trip rejects impossible dates (2024-02-30, 2023-13-01) instead of rolling them over.
    if (mo >= 1 && mo <= 12 && d >= 1 && isoDay(n) === iso) return n;
  }
  throw new RangeError(`expected a calendar date as YYYY-MM-DD, got '${iso}'`);
}

/** ISO 'YYYY-MM-DD' of a day number (years 0000-9999). */
export function isoDay(n: number): string {
  const z = n + 719468;
  const era = floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = floor((doe - floor(doe / 1460) + floor(doe / 36524) - floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + floor(yoe / 4) - floor(yoe / 100));
  const mp = floor((5 * doy + 2) / 153);
  const d = doy - floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** The first `end` bars of a series as views (no copy); `end` is clamped to [0, length]. */
export function sliceSeries(s: BarSeries, end: number): BarSeries {
  const n = Math.max(0, Math.min(s.length, floor(end)));
  return {
    symbol: s.symbol,
    dates: s.dates.subarray(0, n),
    open: s.open.subarray(0, n),
    high: s.high.subarray(0, n),
    low: s.low.subarray(0, n),
    close: s.close.subarray(0, n),
    volume: s.volume.subarray(0, n),
    length: n,
  };
}

/** Build a series from rows (assumed sorted by date). */
export function seriesFromRows(symbol: string, rows: readonly BarRow[]): BarSeries {
  const n = rows.length;
  const s = allocSeries(symbol, n);
  for (let i = 0; i < n; i++) {
    const r = rows[i];
    s.dates[i] = dayNumber(r.date);
    s.open[i] = r.open;
    s.high[i] = r.high;
    s.low[i] = r.low;
    s.close[i] = r.close;
    s.volume[i] = r.volume;
  }
  return s;
}

/** Index of the bar dated `day` (a day number), or -1; binary search over sorted dates. */
export function barIndex(s: BarSeries, day: number): number {
  let lo = 0;
  let hi = s.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const d = s.dates[mid];
    if (d === day) return mid;
    if (d < day) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Why bar t cannot be traded on (NaN or non-positive prices, high < low, close outside the range), or null. */
export function badBarReason(s: BarSeries, t: number): string | null {
  const o = s.open[t];
  const h = s.high[t];
  const l = s.low[t];
  const c = s.close[t];
  const v = s.volume[t];
  if (!Number.isFinite(o) || !Number.isFinite(h) || !Number.isFinite(l) || !Number.isFinite(c)) return 'NaN price';
  if (o <= 0 || h <= 0 || l <= 0 || c <= 0) return 'non-positive price';
  if (h < l) return 'high below low';
  if (c < l || c > h) return 'close outside [low, high]';
  if (!Number.isFinite(v) || v < 0) return 'bad volume';
  return null;
}

/** True when the high, low and close of bar t are usable for a signal (finite, positive, consistent). */
export function isSignalBar(s: BarSeries, t: number): boolean {
  const h = s.high[t];
  const l = s.low[t];
  const c = s.close[t];
  return l > 0 && h >= l && c >= l && c <= h && Number.isFinite(h);
}

/** `older` and `newer` merged by date (both sorted): `newer` wins on a date both have. */
export function mergeSeries(older: BarSeries, newer: BarSeries): BarSeries {
  const n = older.length + newer.length;
  const out = allocSeries(newer.symbol, n, 0);
  const put = (s: BarSeries, i: number) => copyBar(out, out.length++, s, i);
  let a = 0;
  let b = 0;
  while (a < older.length || b < newer.length) {
    if (b >= newer.length || (a < older.length && older.dates[a] < newer.dates[b])) put(older, a++);
    else {
      if (a < older.length && older.dates[a] === newer.dates[b]) a++;
      put(newer, b++);
    }
  }
  return sliceSeries(out, out.length);
}
