import { describe, expect, test } from '@jest/globals';
import { atrWilder, ibs, lowestLow, rsiSma, rsiWilder, sma } from '../../../src/core/strategy/indicators.js';
import { mulberry32 } from './fixtures.js';

const f64 = (xs: number[]) => Float64Array.from(xs);
const arr = (x: Float64Array) => Array.from(x);

// Wilder's 14-period worked example (New Concepts in Technical Trading Systems, widely reproduced).
const WILDER = [
  44.34, 44.09, 44.15, 43.61, 44.33, 44.83, 45.1, 45.42, 45.84, 46.08, 45.89, 46.03, 45.61, 46.28, 46.28, 46.0,
  46.03, 46.41, 46.22, 45.64,
];

/** Independent Wilder RSI: explicit change lists and loops, no shared code with the module. */
function refRsiWilder(closes: number[], n: number): number[] {
  const out = closes.map(() => NaN);
  const gains: number[] = [];
  const losses: number[] = [];
  for (let i = 1; i < closes.length; i++) {
    const d = closes[i] - closes[i - 1];
    gains.push(Math.max(d, 0));
    losses.push(Math.max(-d, 0));
  }
  if (gains.length < n) return out;
  let ag = 0;
  let al = 0;
  for (let i = 0; i < n; i++) {
    ag += gains[i];
    al += losses[i];
  }
  ag /= n;
  al /= n;
  out[n] = al === 0 ? (ag === 0 ? 50 : 100) : 100 - 100 / (1 + ag / al);
  for (let i = n; i < gains.length; i++) {
    ag = (ag * (n - 1) + gains[i]) / n;
    al = (al * (n - 1) + losses[i]) / n;
    out[i + 1] = al === 0 ? (ag === 0 ? 50 : 100) : 100 - 100 / (1 + ag / al);
  }
  return out;
}

describe('rsiWilder', () => {
  test("Wilder's worked example: first RSI(14) at index 14", () => {
    const rsi = rsiWilder(f64(WILDER), 14);
    for (let i = 0; i < 14; i++) expect(rsi[i]).toBeNaN();
    // By hand: 14 changes, gains sum 3.34, losses sum 1.40 -> RS = 167/70 -> RSI = 100 - 7000/237.
    expect(rsi[14]).toBeCloseTo(16700 / 237, 9); // 70.4641...
    // Next change -0.28: avgGain 3.34*13/196, avgLoss (1.40*13/14 + 0.28)/14 -> RSI = 4342/65.54.
    expect(rsi[15]).toBeCloseTo(434200 / 6554, 9); // 66.2496...
    const ref = refRsiWilder(WILDER, 14);
    for (let i = 14; i < WILDER.length; i++) expect(Math.abs(rsi[i] - ref[i])).toBeLessThan(1e-9);
  });

  test('matches the independent implementation on a long random series', () => {
    const rnd = mulberry32(7);
    const closes: number[] = [100];
    for (let i = 1; i < 3000; i++) closes.push(closes[i - 1] * (1 + (rnd() - 0.5) * 0.05));
    for (const n of [2, 3, 14]) {
      const got = rsiWilder(f64(closes), n);
      const ref = refRsiWilder(closes, n);
      const wrong = ref.filter((r, i) => (Number.isNaN(r) ? !Number.isNaN(got[i]) : !(Math.abs(got[i] - r) < 1e-9)));
      expect(wrong).toEqual([]);
    }
  });

  test('no losses -> 100, flat -> 50, fewer bars than the period -> all NaN', () => {
    expect(arr(rsiWilder(f64([1, 2, 3, 4]), 2))).toEqual([NaN, NaN, 100, 100]);
    expect(arr(rsiWilder(f64([5, 5, 5, 5]), 2))).toEqual([NaN, NaN, 50, 50]);
    expect(arr(rsiWilder(f64([1, 2]), 2))).toEqual([NaN, NaN]);
    expect(arr(rsiWilder(f64([]), 2))).toEqual([]);
  });

  test('a NaN close resets the smoothing: NaN until n fresh changes reseed it', () => {
    const r = rsiWilder(f64([10, 11, 10, NaN, 10, 11, 10, 11]), 2);
    expect(r[2]).toBeCloseTo(50, 12);
    // Changes into and out of the NaN bar are undefined; reseeded from changes at 5 and 6.
    expect(arr(r.subarray(3, 6))).toEqual([NaN, NaN, NaN]);
    expect(r[6]).toBeCloseTo(50, 12);
    expect(r[7]).toBeCloseTo(100 - 100 / (1 + 0.75 / 0.25), 12);
  });

  test('rejects a non-integer or zero period', () => {
    expect(() => rsiWilder(f64([1, 2, 3]), 0)).toThrow(RangeError);
    expect(() => sma(f64([1, 2, 3]), 1.5)).toThrow(RangeError);
  });
});

describe('rsiSma', () => {
  test('no losses in the window -> 50 even with gains; otherwise rolling means', () => {
    const r = rsiSma(f64([10, 11, 12, 11, 13, 14, 15]), 2);
    expect(r[0]).toBeNaN();
    expect(r[1]).toBeNaN();
    expect(r[2]).toBe(50); // gains only
    expect(r[3]).toBeCloseTo(50, 12); // +1 and -1
    expect(r[4]).toBeCloseTo(100 - 100 / (1 + 2 / 1), 12);
    expect(r[5]).toBe(50); // +2 and +1: no losses
    expect(r[6]).toBe(50);
  });

  test('matches a direct window computation on a long random series (drift stays bounded)', () => {
    const rnd = mulberry32(11);
    const closes: number[] = [100];
    for (let i = 1; i < 5000; i++) closes.push(Math.round(closes[i - 1] * (1 + (rnd() - 0.5) * 0.04) * 100) / 100);
    for (const n of [2, 5, 14]) {
      const got = rsiSma(f64(closes), n);
      let worst = 0;
      for (let t = n; t < closes.length; t++) {
        let g = 0;
        let l = 0;
        for (let k = t - n + 1; k <= t; k++) {
          const d = closes[k] - closes[k - 1];
          if (d > 0) g += d;
          else l -= d;
        }
        const want = l === 0 ? 50 : 100 - 100 / (1 + g / l);
        worst = Math.max(worst, Number.isNaN(got[t]) ? Infinity : Math.abs(got[t] - want));
      }
      expect(worst).toBeLessThan(1e-9);
    }
  });

  test('a NaN poisons only the windows containing its changes', () => {
    const r = rsiSma(f64([10, 11, 10, NaN, 10, 11, 10, 11]), 2);
    expect(r[2]).toBeCloseTo(50, 12);
    expect(arr(r.subarray(3, 6))).toEqual([NaN, NaN, NaN]);
    expect(r[6]).toBeCloseTo(50, 12);
    expect(r[7]).toBeCloseTo(50, 12);
    expect(arr(rsiSma(f64([1, 2, 3]), 3))).toEqual([NaN, NaN, NaN]);
  });
});

describe('ibs', () => {
  test('(C - L) / (H - L), 0 when H = L, NaN when any input is NaN', () => {
    const out = ibs(f64([12, 10, 10, NaN, 12, 10]), f64([8, 10, 10, 8, 8, 10]), f64([9, 10, NaN, 9, 12, 10]));
    expect(arr(out)).toEqual([0.25, 0, NaN, NaN, 1, 0]);
  });
});

describe('atrWilder', () => {
  // Hand-computed: TR = 2, 2, 1.5, 2.5 (gap up), 3.5 (gap down); ATR(3) seeded at index 2.
  const H = f64([10, 11, 10.5, 12, 11]);
  const L = f64([8, 9.5, 9, 11, 8]);
  const C = f64([9, 10.5, 9.5, 11.5, 8.5]);

  test('hand-computed example with gaps', () => {
    const atr = atrWilder(H, L, C, 3);
    expect(atr[0]).toBeNaN();
    expect(atr[1]).toBeNaN();
    expect(atr[2]).toBeCloseTo(11 / 6, 12); // (2 + 2 + 1.5) / 3
    expect(atr[3]).toBeCloseTo(37 / 18, 12); // (11/6 x 2 + 2.5) / 3
    expect(atr[4]).toBeCloseTo(137 / 54, 12); // (37/18 x 2 + 3.5) / 3
  });

  test('fewer bars than the period -> all NaN; flat bars -> 0', () => {
    expect(arr(atrWilder(H.subarray(0, 2), L.subarray(0, 2), C.subarray(0, 2), 3))).toEqual([NaN, NaN]);
    const flat = f64([5, 5, 5, 5]);
    expect(arr(atrWilder(flat, flat, flat, 2))).toEqual([NaN, 0, 0, 0]);
  });

  test('a NaN bar restarts the seeding', () => {
    const h = f64([10, 10, NaN, 10, 10, 10, 10]);
    const l = f64([9, 9, 9, 9, 9, 9, 9]);
    const c = f64([9.5, 9.5, 9.5, 9.5, 9.5, 9.5, 9.5]);
    const atr = atrWilder(h, l, c, 2);
    expect(arr(atr)).toEqual([NaN, 1, NaN, NaN, 1, 1, 1]);
  });
});

describe('sma', () => {
  test('simple mean of the last n values; NaN only in windows holding a NaN', () => {
    expect(arr(sma(f64([1, 2, 3, 4, NaN, 6, 7, 8]), 2))).toEqual([NaN, 1.5, 2.5, 3.5, NaN, NaN, 6.5, 7.5]);
    expect(arr(sma(f64([1, 2]), 3))).toEqual([NaN, NaN]);
  });

  test('matches a direct mean on a long series', () => {
    const rnd = mulberry32(3);
    const x = Float64Array.from({ length: 4000 }, () => 50 + rnd() * 100);
    const got = sma(x, 200);
    for (let t = 199; t < x.length; t += 7) {
      let s = 0;
      for (let k = t - 199; k <= t; k++) s += x[k];
      expect(Math.abs(got[t] - s / 200)).toBeLessThan(1e-9);
    }
  });
});

describe('lowestLow', () => {
  test('minimum of the n bars before t and bars since it, NaN before n bars exist', () => {
    const { value, barsSince } = lowestLow(f64([5, 3, 4, 6, 7, 2]), 3);
    expect(arr(value)).toEqual([NaN, NaN, NaN, 3, 3, 4]);
    expect(arr(barsSince)).toEqual([NaN, NaN, NaN, 1, 2, 2]);
  });

  test('ties resolve to the most recent bar holding the minimum', () => {
    const { value, barsSince } = lowestLow(f64([3, 5, 3, 6, 9]), 4);
    expect(value[4]).toBe(3);
    expect(barsSince[4]).toBe(1); // bar 2, not bar 0
  });

  test('a NaN low poisons only the windows that contain it', () => {
    const { value } = lowestLow(f64([5, NaN, 4, 6, 7, 8]), 2);
    expect(arr(value)).toEqual([NaN, NaN, NaN, NaN, 4, 6]); // windows 1..2 and 0..1 hold it
  });

  test('matches brute force on random data with many ties', () => {
    const rnd = mulberry32(5);
    const low = Float64Array.from({ length: 3000 }, () => Math.floor(rnd() * 8));
    for (const n of [1, 3, 20]) {
      const { value, barsSince } = lowestLow(low, n);
      const wrong: number[] = [];
      for (let t = n; t < low.length; t++) {
        let m = Infinity;
        let j = -1;
        for (let k = t - n; k <= t - 1; k++) {
          if (low[k] <= m) {
            m = low[k];
            j = k;
          }
        }
        if (value[t] !== m || barsSince[t] !== t - 1 - j) wrong.push(t);
      }
      expect(wrong).toEqual([]);
    }
  });
});
