import { describe, expect, it } from '@jest/globals';
import { FAULT_KINDS, MAX_SYNTHETIC_SYMBOLS, generateMarket, syntheticTicker, type Market } from '../../../src/core/data/synthetic/market.js';
import { streamRng } from '../../../src/core/data/synthetic/random.js';
import { isSymbol } from '../../../src/core/data/universe.js';
import { isTradingDay, sessionsBetween } from '../../../src/core/market/calendar.js';
import { badBarReason, dayNumber, isoDay, type BarSeries } from '../../../src/core/strategy/bars.js';

// Bound once: global `Math.x` lookups are slow inside jest's vm sandbox, and the loops below make millions.
const { abs, log, max, min, round, sqrt } = Math;

const TEN_YEARS = sessionsBetween('2015-01-02', '2024-12-31');
const TWO_YEARS = sessionsBetween('2023-01-03', '2024-12-31');

// One shared 10-year market: generation is the expensive part.
let big: Market | undefined;
const market100 = () => (big ??= generateMarket({ symbols: 100, sessions: TEN_YEARS, seed: 42 }));

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
function sameSeries(a: BarSeries, b: BarSeries): boolean {
  return a.symbol === b.symbol && a.length === b.length && (['dates', 'open', 'high', 'low', 'close', 'volume'] as const).every((k) => bytes(a[k]).equals(bytes(b[k])));
}

describe('random streams', () => {
  it('are reproducible, distinct per stream and seed, and well distributed', () => {
    const draw = (seed: number, stream: number) => Array.from({ length: 8 }, ((r) => () => r.next())(streamRng(seed, 1, stream)));
    expect(draw(42, 0)).toEqual(draw(42, 0));
    expect(draw(42, 0)).not.toEqual(draw(42, 1));
    expect(draw(42, 0)).not.toEqual(draw(43, 0));
    expect(draw(2 ** 40, 0)).not.toEqual(draw(0, 0));
    const r = streamRng(7, 1, 3);
    let sum = 0;
    let sq = 0;
    let lo = 1;
    let hi = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      sum += z;
      sq += z * z;
      const u = r.float();
      lo = min(lo, u);
      hi = max(hi, u);
    }
    expect(abs(sum / n)).toBeLessThan(0.01);
    expect(abs(sq / n - 1)).toBeLessThan(0.02);
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(() => streamRng(-1, 1, 0)).toThrow(RangeError);
    expect(() => streamRng(1.5, 1, 0)).toThrow(RangeError);
  });
});

describe('tickers', () => {
  it('are distinct, valid, and clearly synthetic (X, two letters, a digit)', () => {
    const all = Array.from({ length: MAX_SYNTHETIC_SYMBOLS }, (_, i) => syntheticTicker(i));
    expect(new Set(all).size).toBe(MAX_SYNTHETIC_SYMBOLS);
    expect(all.filter((t) => !/^X[A-Z]{2}[0-9]$/.test(t) || !isSymbol(t))).toEqual([]);
    expect(() => syntheticTicker(-1)).toThrow(RangeError);
  });
});

describe('generateMarket', () => {
  it('is deterministic: same seed gives bit-identical series, another seed different ones', () => {
    const a = generateMarket({ symbols: 20, sessions: TWO_YEARS, seed: 7 });
    const b = generateMarket({ symbols: 20, sessions: TWO_YEARS, seed: 7 });
    const c = generateMarket({ symbols: 20, sessions: TWO_YEARS, seed: 8 });
    expect(a.series.every((s, i) => sameSeries(s, b.series[i]))).toBe(true);
    expect([...a.meta]).toEqual([...b.meta]);
    expect(a.series.map((s) => s.symbol)).toEqual(c.series.map((s) => s.symbol));
    expect(a.series.filter((s, i) => bytes(s.close).equals(bytes(c.series[i].close)))).toHaveLength(0);
  });

  it('keeps each symbol on its own stream: more symbols never change the earlier ones', () => {
    const small = generateMarket({ symbols: 5, sessions: TWO_YEARS, seed: 11 });
    const large = generateMarket({ symbols: 60, sessions: TWO_YEARS, seed: 11 });
    expect(small.series.every((s, i) => sameSeries(s, large.series[i]))).toBe(true);
    expect(large.series.slice(0, 5).map((s) => s.symbol)).toEqual(small.series.map((s) => s.symbol));
  });

  it('gives clean bars on every real session: OHLC consistent, cents, positive volume, no split-sized jumps', () => {
    const m = market100();
    expect(m.faults).toEqual([]);
    const want = Int32Array.from(TEN_YEARS, dayNumber);
    const cents = (p: number) => round(p * 100) / 100 === p;
    let problems = 0;
    for (const s of m.series) {
      expect(bytes(s.dates).equals(bytes(want))).toBe(true);
      expect(m.meta.get(s.symbol)!.faults).toEqual([]);
      for (let t = 0; t < s.length; t++) {
        const o = s.open[t];
        const h = s.high[t];
        const l = s.low[t];
        const c = s.close[t];
        const v = s.volume[t];
        const ok =
          badBarReason(s, t) === null &&
          h >= max(o, c) &&
          l <= min(o, c) &&
          l > 0 &&
          cents(o) && cents(h) && cents(l) && cents(c) &&
          v >= 100 &&
          Number.isInteger(v) &&
          (t === 0 || (abs(log(c / s.close[t - 1])) < 0.35 && s.dates[t] > s.dates[t - 1]));
        if (!ok) problems++;
      }
    }
    expect(problems).toBe(0);
    expect(TEN_YEARS.every(isTradingDay)).toBe(true);
  });

  it('looks like a market: prices mostly above $15, mostly liquid, some illiquid, clustered volatility, real ranges', () => {
    const m = market100();
    const startAbove15 = m.series.filter((s) => s.close[0] >= 15).length;
    const liquid = m.series.filter((s) => {
      let dv = 0;
      for (let t = 0; t < s.length; t++) dv += s.close[t] * s.volume[t];
      return dv / s.length >= 5e6;
    }).length;
    expect(startAbove15).toBeGreaterThanOrEqual(80);
    expect(liquid).toBeGreaterThanOrEqual(75);
    expect(liquid).toBeLessThan(100);
    // Volatility clustering: within a symbol, |r_t| correlates with |r_t-1| (an i.i.d. walk gives about 0).
    const corrs: number[] = [];
    let rangeSum = 0;
    let k = 0;
    for (const s of m.series.slice(0, 40)) {
      const x: number[] = [];
      const y: number[] = [];
      for (let t = 2; t < s.length; t++) {
        x.push(abs(log(s.close[t - 1] / s.close[t - 2])));
        y.push(abs(log(s.close[t] / s.close[t - 1])));
        rangeSum += (s.high[t] - s.low[t]) / s.close[t - 1];
        k++;
      }
      const mean = (v: number[]) => v.reduce((p, q) => p + q, 0) / v.length;
      const mx = mean(x);
      const my = mean(y);
      const cov = mean(x.map((v, i) => (v - mx) * (y[i] - my)));
      corrs.push(cov / sqrt(mean(x.map((v) => (v - mx) ** 2)) * mean(y.map((v) => (v - my) ** 2))));
    }
    expect(corrs.reduce((p, q) => p + q, 0) / corrs.length).toBeGreaterThan(0.08);
    expect(rangeSum / k).toBeGreaterThan(0.01);
    expect(rangeSum / k).toBeLessThan(0.06);
  });

  it('records splits on a few symbols, with the bars continuous across them (pre-adjusted)', () => {
    const m = generateMarket({ symbols: 400, sessions: TWO_YEARS, seed: 3 });
    const split = m.series.filter((s) => m.meta.get(s.symbol)!.splits.length > 0);
    expect(split.length).toBeGreaterThanOrEqual(3);
    expect(split.length).toBeLessThanOrEqual(25);
    for (const s of split) {
      const [{ date, ratio }] = m.meta.get(s.symbol)!.splits;
      expect([2, 3]).toContain(ratio);
      const j = s.dates.indexOf(dayNumber(date));
      expect(j).toBeGreaterThan(0);
      const move = s.close[j] / s.close[j - 1];
      expect(abs(log(move))).toBeLessThan(0.35);
      expect(abs(move - 1 / ratio)).toBeGreaterThan(0.1);
    }
  });

  it('exercises both strategies: IBS+RSI(2) dips above SMA200 and Turtle Soup sweeps', () => {
    let ibsRsi = 0;
    let turtle = 0;
    for (const s of market100().series) {
      const n = s.length;
      const c = s.close;
      // Wilder RSI(2), seeded by the mean of the first two changes; SMA(200); ATR(14) Wilder.
      const rsi = new Float64Array(n).fill(NaN);
      let ag = 0;
      let al = 0;
      for (let t = 1; t < n; t++) {
        const d = c[t] - c[t - 1];
        const g = max(d, 0);
        const l = max(-d, 0);
        if (t <= 2) {
          ag += g / 2;
          al += l / 2;
        } else {
          ag = (ag + g) / 2;
          al = (al + l) / 2;
        }
        if (t >= 2) rsi[t] = al === 0 ? 100 : 100 - 100 / (1 + ag / al);
      }
      const atr = new Float64Array(n).fill(NaN);
      let a = 0;
      for (let t = 1; t < n; t++) {
        const tr = max(s.high[t] - s.low[t], abs(s.high[t] - c[t - 1]), abs(s.low[t] - c[t - 1]));
        a = t <= 14 ? a + tr / 14 : (a * 13 + tr) / 14;
        if (t >= 14) atr[t] = a;
      }
      let sum = 0;
      for (let t = 0; t < n; t++) {
        sum += c[t] - (t >= 200 ? c[t - 200] : 0);
        if (t < 209) continue;
        const sma = sum / 200;
        if (!(c[t] > sma && c[t] >= 15)) continue;
        const range = s.high[t] - s.low[t];
        const ibs = range > 0 ? (c[t] - s.low[t]) / range : 0;
        if (ibs < 0.08 && rsi[t] < 5) ibsRsi++;
        let p = Infinity;
        let at = -1;
        for (let i = t - 20; i < t; i++) if (s.low[i] <= p) [p, at] = [s.low[i], i];
        if (t - 1 - at >= 3 && s.low[t] < p && c[t] > p && (p - s.low[t]) / atr[t] >= 0.3) turtle++;
      }
    }
    expect(ibsRsi).toBeGreaterThan(300);
    expect(turtle).toBeGreaterThan(30);
  });

  it('rejects impossible specs', () => {
    expect(() => generateMarket({ symbols: 0, sessions: TWO_YEARS, seed: 1 })).toThrow(RangeError);
    expect(() => generateMarket({ symbols: MAX_SYNTHETIC_SYMBOLS + 1, sessions: TWO_YEARS, seed: 1 })).toThrow(RangeError);
    expect(() => generateMarket({ symbols: 2, sessions: ['2024-01-03', '2024-01-02'], seed: 1 })).toThrow(/ascending/);
    expect(() => generateMarket({ symbols: 2, sessions: TWO_YEARS.slice(0, 30), seed: 1, withFaults: true })).toThrow(/at least 60/);
  });
});

describe('generateMarket with faults', () => {
  /** True when the fault is visible in `s` at its recorded date. */
  function visible(s: BarSeries, kind: string, date: string, lastSession: string): boolean {
    const d = dayNumber(date);
    const at = [...s.dates.keys()].filter((i) => s.dates[i] === d);
    const j = at[0];
    switch (kind) {
      case 'missing_session':
        return at.length === 0 && s.dates.some((x) => x > d) && s.dates.some((x) => x < d);
      case 'duplicate_date':
        return at.length === 2 && at[1] === at[0] + 1;
      case 'unsorted_dates':
        return at.length === 1 && s.dates[j] < s.dates[j - 1];
      case 'nan_field':
        return Number.isNaN(s.open[j]);
      case 'high_below_low':
        return s.high[j] < s.low[j];
      case 'close_outside_range':
        return s.close[j] > s.high[j] || s.close[j] < s.low[j];
      case 'non_positive_price':
        return min(s.open[j], s.high[j], s.low[j], s.close[j]) <= 0;
      case 'zero_volume_run':
        return s.volume[j] === 0 && s.volume[j + 1] === 0 && s.volume[j + 2] === 0 && s.volume[j - 1] > 0;
      case 'stale_last_bar':
        return j === s.length - 1 && sessionsBetween(date, lastSession).length - 1 >= 3;
      case 'split_discontinuity': {
        // Open and close both within 5% of half the previous close: what a verifier looks for.
        const near = (x: number) => abs(x / s.close[j - 1] / 0.5 - 1) < 0.05;
        return near(s.open[j]) && near(s.close[j]);
      }
      default:
        return false;
    }
  }

  it('injects every kind once, each on its own symbol, leaving every other symbol clean', () => {
    const clean = market100();
    const m = generateMarket({ symbols: 20, sessions: TEN_YEARS, seed: 42, withFaults: true });
    expect(m.faults.map((f) => f.kind)).toEqual([...FAULT_KINDS]);
    expect(new Set(m.faults.map((f) => f.symbol)).size).toBe(FAULT_KINDS.length);
    const last = TEN_YEARS[TEN_YEARS.length - 1];
    for (const f of m.faults) {
      const s = m.series.find((x) => x.symbol === f.symbol)!;
      expect(m.meta.get(f.symbol)!.faults).toEqual([{ date: f.date, kind: f.kind, detail: f.detail }]);
      expect({ kind: f.kind, visible: visible(s, f.kind, f.date, last) }).toEqual({ kind: f.kind, visible: true });
      expect(f.date >= TEN_YEARS[0] && f.date <= last).toBe(true);
    }
    const faulty = new Set(m.faults.map((f) => f.symbol));
    const untouched = m.series.filter((s) => !faulty.has(s.symbol));
    expect(untouched).toHaveLength(10);
    expect(untouched.every((s) => sameSeries(s, clean.series.find((c) => c.symbol === s.symbol)!))).toBe(true);
    expect(generateMarket({ symbols: 20, sessions: TEN_YEARS, seed: 42, withFaults: true }).faults).toEqual(m.faults);
  });

  it('with fewer symbols than kinds, still injects every kind where it can be seen', () => {
    const m = generateMarket({ symbols: 3, sessions: TWO_YEARS, seed: 5, withFaults: true });
    expect(m.faults.map((f) => f.kind).sort()).toEqual([...FAULT_KINDS].sort());
    const last = TWO_YEARS[TWO_YEARS.length - 1];
    for (const f of m.faults) {
      const s = m.series.find((x) => x.symbol === f.symbol)!;
      expect({ kind: f.kind, visible: visible(s, f.kind, f.date, last) }).toEqual({ kind: f.kind, visible: true });
    }
    expect(new Set(m.faults.map((f) => f.date)).size).toBe(FAULT_KINDS.length);
    expect(m.faults.every((f) => isoDay(dayNumber(f.date)) === f.date)).toBe(true);
  });
});
