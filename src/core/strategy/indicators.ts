// Indicators of SPEC section 7 over typed arrays: one O(n) pass each, output the input's length with
// NaN where a value is undefined. Every value at t depends only on inputs 0..t, so a series cut at t
// yields bit-identical values up to t (the no-lookahead guarantee the backtest relies on).
//
// Missing data: a non-finite input poisons only the windows that contain it for SMA, RSI "sma" and
// the lowest low. Wilder-smoothed series (RSI "wilder", ATR) carry state forever, so a non-finite
// input resets them: NaN until n fresh valid changes (true ranges) seed them again.

// Builtins bound once: a global lookup per element (Number.isFinite, Math.max) is ~60x slower
// inside vm contexts such as jest's, and these loops run over millions of bars.
const finite = Number.isFinite;
const { abs, max } = Math;

function checkPeriod(n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`indicator period must be a positive integer, got ${n}`);
}

/** Internal bar strength (C - L) / (H - L); 0 when H = L; NaN when any input is NaN. */
export function ibs(high: Float64Array, low: Float64Array, close: Float64Array): Float64Array {
  const len = close.length;
  const out = new Float64Array(len);
  for (let i = 0; i < len; i++) {
    const l = low[i];
    const range = high[i] - l;
    const c = close[i];
    // NaN inputs propagate through the arithmetic; only the H = L branch must check the close.
    if (range === 0) out[i] = c === c ? 0 : NaN;
    else out[i] = (c - l) / range;
  }
  return out;
}

/** RSI from average gain and loss; with no losses 100, and 50 when there was no movement at all. */
function rsiFromAverages(gain: number, loss: number): number {
  if (loss === 0) return gain === 0 ? 50 : 100;
  return 100 - 100 / (1 + gain / loss);
}

/** Whether n is a power of two, so that x / n and x * (1 / n) are the same double. */
function isPowerOfTwo(n: number): boolean {
  let p = 1;
  while (p < n) p *= 2;
  return p === n;
}

// Below this, d + |d| cannot overflow, so (d + |d|) * 0.5 is exactly max(d, 0) (halving is exact
// and d + |d| is 2d or +0), and (|d| - d) * 0.5 exactly max(-d, 0).
const SAFE_CHANGE = 2 ** 1020;

/**
 * Wilder RSI(n): averages seeded with the simple mean of the first n changes (first value at index n),
 * then avg_t = (avg_{t-1} x (n - 1) + x_t) / n. No losses gives 100; a flat window gives 50.
 */
export function rsiWilder(close: Float64Array, n: number): Float64Array {
  checkPeriod(n);
  const len = close.length;
  const out = new Float64Array(len);
  if (len > 0) out[0] = NaN;
  const m = n - 1;
  const inv = 1 / n;
  const pow2 = isPowerOfTwo(n);
  let run = 0;
  let gain = 0;
  let loss = 0;
  let t = 1;
  // Each slot is written exactly once (no NaN pre-fill): the fill pass cost more than the math.
  while (t < len) {
    // General step: seeding, resets, and whatever the fast loop below declines.
    const d = close[t] - close[t - 1];
    let v = NaN;
    if (!finite(d)) {
      run = 0;
      gain = 0;
      loss = 0;
    } else if (run < n) {
      if (d > 0) gain += d;
      else loss -= d;
      if (++run === n) {
        gain /= n;
        loss /= n;
        v = rsiFromAverages(gain, loss);
      }
    } else {
      gain = (gain * m + (d > 0 ? d : 0)) / n;
      loss = (loss * m + (d < 0 ? -d : 0)) / n;
      v = rsiFromAverages(gain, loss);
    }
    out[t++] = v;
    if (run < n) continue;
    // Seeded: the same recurrence without a sign branch (it mispredicts on every other bar), for as
    // long as the change is finite and below SAFE_CHANGE. Bit for bit the general step: gain x 1 is
    // gain, and for n a power of two x / n is x * (1 / n).
    if (n === 2) {
      for (; t < len; t++) {
        const d = close[t] - close[t - 1];
        const a = abs(d);
        if (!(a < SAFE_CHANGE)) break;
        gain = (gain + (d + a) * 0.5) * 0.5;
        loss = (loss + (a - d) * 0.5) * 0.5;
        out[t] = loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
      }
    } else if (pow2) {
      for (; t < len; t++) {
        const d = close[t] - close[t - 1];
        const a = abs(d);
        if (!(a < SAFE_CHANGE)) break;
        gain = (gain * m + (d + a) * 0.5) * inv;
        loss = (loss * m + (a - d) * 0.5) * inv;
        out[t] = loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
      }
    } else {
      for (; t < len; t++) {
        const d = close[t] - close[t - 1];
        const a = abs(d);
        if (!(a < SAFE_CHANGE)) break;
        gain = (gain * m + (d + a) * 0.5) / n;
        loss = (loss * m + (a - d) * 0.5) / n;
        out[t] = loss === 0 ? (gain === 0 ? 50 : 100) : 100 - 100 / (1 + gain / loss);
      }
    }
  }
  return out;
}

/**
 * RSI(n) from simple rolling means of gains and losses over the last n changes (first value at
 * index n); no losses in the window gives 50 (SPEC section 7), whatever the gains.
 */
export function rsiSma(close: Float64Array, n: number): Float64Array {
  checkPeriod(n);
  const len = close.length;
  const out = new Float64Array(len);
  if (len > 0) out[0] = NaN;
  let gain = 0;
  let loss = 0;
  let lastBad = 0; // change t is close[t] - close[t-1]; "change 0" does not exist
  let lastLoss = -1;
  let fresh = false;
  for (let t = 1; t < len; t++) {
    const d = close[t] - close[t - 1];
    if (!finite(d)) lastBad = t;
    else if (d < 0) lastLoss = t;
    let v = NaN;
    if (t < n || lastBad > t - n) fresh = false;
    else {
      // Running sums are rebuilt every n bars so rounding drift stays bounded on long series.
      if (!fresh || t % n === 0) {
        gain = 0;
        loss = 0;
        for (let k = t - n + 1; k <= t; k++) {
          const dk = close[k] - close[k - 1];
          if (dk > 0) gain += dk;
          else loss -= dk;
        }
        fresh = true;
      } else {
        const o = close[t - n] - close[t - n - 1];
        gain += (d > 0 ? d : 0) - (o > 0 ? o : 0);
        loss += (d < 0 ? -d : 0) - (o < 0 ? -o : 0);
      }
      // "No losses" is decided on the window's changes, never on the running sum (a 1e-17 residue).
      v = lastLoss <= t - n ? 50 : 100 - 100 / (1 + gain / loss);
    }
    out[t] = v;
  }
  return out;
}

// Scratch for branch-free picks: Math.max and a ternary compile to branches that mispredict
// whenever the previous close leaves the bar's range.
const pick = new Float64Array(4);

/**
 * Wilder ATR(n): true range max(H - L, |H - Cprev|, |L - Cprev|) (H - L at index 0), seeded by the
 * mean of the first n true ranges (first value at index n - 1), then Wilder smoothing.
 */
export function atrWilder(high: Float64Array, low: Float64Array, close: Float64Array, n: number): Float64Array {
  checkPeriod(n);
  const len = close.length;
  const out = new Float64Array(len);
  const m = n - 1;
  let run = 0;
  let atr = 0;
  let t = 0;
  while (t < len) {
    // General step: seeding, resets, and whatever the fast loop below declines.
    const h = high[t];
    const l = low[t];
    const tr = t > 0 ? max(h - l, abs(h - close[t - 1]), abs(l - close[t - 1])) : h - l;
    let v = NaN;
    if (!finite(tr)) {
      run = 0;
      atr = 0;
    } else if (run < n) {
      atr += tr;
      if (++run === n) v = atr /= n;
    } else {
      v = atr = (atr * m + tr) / n;
    }
    out[t++] = v;
    if (run < n) continue;
    // Seeded, on well-formed bars (0 < L <= H, finite): the true range is max(H, Cprev) -
    // min(L, Cprev), bit for bit (rounding is monotone, so the largest of the three rounded
    // differences is the rounded largest one), with both picks made without a branch.
    for (; t < len; t++) {
      const h = high[t];
      const l = low[t];
      const c = close[t - 1];
      pick[0] = h;
      pick[1] = c;
      pick[2] = l;
      pick[3] = c;
      const tr = pick[+(c > h)] - pick[2 + +(c < l)];
      if (!(l > 0 && h >= l && c - c === 0 && tr - tr === 0)) break;
      out[t] = atr = (atr * m + tr) / n;
    }
  }
  return out;
}

/**
 * Simple moving average over x[t-n+1..t] (first value at index n - 1); NaN while the window holds a
 * non-finite value. The running sum is rebuilt (left to right from 0) at the last bar of every aligned
 * block of n (t + 1 a multiple of n) and at the first valid window after a gap, so rounding drift
 * stays bounded; the block-end rebuild is accumulated while the block is walked, off the
 * running sum's dependency chain.
 */
export function sma(x: Float64Array, n: number): Float64Array {
  checkPeriod(n);
  const len = x.length;
  const out = new Float64Array(len);
  let sum = 0;
  let block = 0; // x[blockStart..t] summed left to right from 0: the rebuild due at blockEnd
  let lastBad = -1;
  let fresh = false;
  let blockEnd = n - 1;
  let t = 0;
  while (t < len) {
    // General step: block ends, warm-up, windows holding a non-finite value, rebuild after a gap.
    const xt = x[t];
    if (!finite(xt)) lastBad = t;
    block += xt;
    let v = NaN;
    if (t === blockEnd) {
      blockEnd += n;
      if (lastBad > t - n) fresh = false;
      else {
        sum = block;
        fresh = true;
        v = sum / n;
      }
      block = 0;
    } else if (t < n - 1 || lastBad > t - n) fresh = false;
    else {
      if (!fresh) {
        sum = 0;
        for (let k = t - n + 1; k <= t; k++) sum += x[k];
        fresh = true;
      } else {
        sum += xt - x[t - n];
      }
      v = sum / n;
    }
    out[t++] = v;
    if (!fresh) continue;
    // Inside a block, after a valid window: roll while the values stay finite.
    const end = blockEnd < len ? blockEnd : len;
    for (; t < end; t++) {
      const xt = x[t];
      if (xt - xt !== 0) break;
      block += xt;
      sum += xt - x[t - n];
      out[t] = sum / n;
    }
  }
  return out;
}

/** Lowest low of the n bars before each bar, and how many bars ago (before t - 1) it was set. */
export interface LowestLow {
  /** min(low[t-n..t-1]); NaN for t < n or when the window holds a non-finite low. */
  value: Float64Array;
  /** (t - 1) - j for the most recent j in the window with low[j] equal to the minimum; NaN with value. */
  barsSince: Float64Array;
}

// Block prefix/suffix arg-min buffers (van Herk / Gil-Werman), reused across calls.
let pre = new Int32Array(4096);
let suf = new Int32Array(4096);

/**
 * Lowest low of bars t-n..t-1 for every t with bars since it was set (ties: most recent bar), in
 * O(len) with van Herk / Gil-Werman blocks: a window is one block's prefix and the previous
 * block's suffix, so each step is one comparison and no queue.
 */
export function lowestLow(low: Float64Array, n: number): LowestLow {
  checkPeriod(n);
  const len = low.length;
  const value = new Float64Array(len);
  const barsSince = new Float64Array(len);
  if (len > 0) value[0] = barsSince[0] = NaN;
  if (pre.length < len) {
    pre = new Int32Array(len);
    suf = new Int32Array(len);
  }
  // Ties: prefixes move to the later index on equality, suffixes only on a strict fall, so the
  // most recent bar holding the minimum wins. A NaN inside a block can only be reached by windows
  // that contain it, and those are NaN anyway.
  for (let b = 0; b < len; b += n) {
    const end = Math.min(b + n, len) - 1;
    pre[b] = b;
    for (let i = b + 1; i <= end; i++) pre[i] = low[i] <= low[pre[i - 1]] ? i : pre[i - 1];
    suf[end] = end;
    for (let i = end - 1; i >= b; i--) suf[i] = low[i] < low[suf[i + 1]] ? i : suf[i + 1];
  }
  let lastBad = -1 - n;
  for (let t = 1; t < len; t++) {
    const i = t - 1;
    if (!finite(low[i])) lastBad = i;
    if (t < n || lastBad >= t - n) {
      value[t] = barsSince[t] = NaN;
      continue;
    }
    const a = t - n;
    let j: number;
    if (a % n === 0) j = pre[i];
    else {
      const left = suf[a];
      const right = pre[i];
      j = low[right] <= low[left] ? right : left;
    }
    value[t] = low[j];
    barsSince[t] = i - j;
  }
  return { value, barsSince };
}
