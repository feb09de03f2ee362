import { describe, expect, test } from '@jest/globals';
import type { StrategyParams } from '../../../src/core/config/schema.js';
import { sliceSeries } from '../../../src/core/strategy/bars.js';
import { computeFeatures, roundCents } from '../../../src/core/strategy/features.js';
import { allSignals, signalsAt } from '../../../src/core/strategy/signals.js';
import { params, randomWalk } from './fixtures.js';

// Loose thresholds so a 1,200-bar random walk yields plenty of signals of both strategies.
const loose = (rsi_method: 'wilder' | 'sma', feature_lag: 0 | 1): StrategyParams =>
  params({
    common: { sma_period: 50, min_history_bars: 60, feature_lag },
    ibs_rsi: { ibs_entry: 0.25, rsi_entry: 20, rsi_method },
    turtle_soup: { lookback: 10, min_sweep_atr: 0.05, min_bars_since_extreme: 2 },
  });

const COMBOS: Array<['wilder' | 'sma', 0 | 1]> = [
  ['wilder', 0],
  ['wilder', 1],
  ['sma', 0],
  ['sma', 1],
];

describe('no lookahead', () => {
  const s = randomWalk('RW', 1200, 20240601, [300, 301, 777], 0.03); // long lower wicks: sweeps

  test.each(COMBOS)('rsi %s, lag %d: signals on data cut at every t equal the full-data signals of t', (m, lag) => {
    const p = loose(m, lag);
    const full = allSignals(s, p);
    expect(full.filter((x) => x.strategy === 'ibs_rsi').length).toBeGreaterThan(10);
    expect(full.filter((x) => x.strategy === 'turtle_soup').length).toBeGreaterThan(10);
    // Signals of bar t taken from data cut right after t, concatenated, must be the full-data list.
    const fromCuts: typeof full = [];
    for (let t = 0; t < s.length; t++) fromCuts.push(...allSignals(sliceSeries(s, t + 1), p).filter((x) => x.bar === t));
    expect(fromCuts).toEqual(full);
  });

  test('features of a cut series are bit-identical to the full ones up to the cut', () => {
    const p = loose('sma', 0);
    const full = computeFeatures(s, p);
    for (const end of [1, 59, 60, 301, 640, 1199]) {
      const cut = computeFeatures(sliceSeries(s, end), p);
      for (const k of ['ibs', 'rsi', 'sma', 'atr', 'lowest', 'barsSince'] as const) {
        expect(Array.from(cut[k])).toEqual(Array.from(full[k].subarray(0, end)));
      }
    }
  });
});

describe('signalsAt', () => {
  test('equals allSignals at each bar, with or without precomputed features', () => {
    const s = randomWalk('RW2', 600, 99);
    const p = loose('wilder', 0);
    const full = allSignals(s, p);
    const f = computeFeatures(s, p);
    for (let t = 0; t < s.length; t += 3) {
      const want = full.filter((x) => x.bar === t);
      expect(signalsAt(s, p, t)).toEqual(want);
      expect(signalsAt(s, p, t, f)).toEqual(want);
    }
    expect(signalsAt(s, p, -1)).toEqual([]);
    expect(signalsAt(s, p, s.length)).toEqual([]);
  });

  test('deterministic: same input, same output', () => {
    const p = loose('sma', 1);
    const a = JSON.stringify(allSignals(randomWalk('D', 800, 5), p));
    expect(JSON.stringify(allSignals(randomWalk('D', 800, 5), p))).toBe(a);
  });
});

describe('roundCents', () => {
  test('half away from zero on the decimal value', () => {
    expect([1.005, 2.675, 0.125, 1.115, 10.235, -1.005, 0.004999, 0.005, -0.004, 106].map(roundCents)).toEqual([
      1.01, 2.68, 0.13, 1.12, 10.24, -1.01, 0, 0.01, 0, 106,
    ]);
    expect(Object.is(roundCents(-0.001), 0)).toBe(true);
    expect(roundCents(NaN)).toBeNaN();
  });

  test('agrees with decimal-string rounding on many prices', () => {
    const viaString = (x: number) => {
      const c = Math.round(Number((Math.abs(x) * 100).toPrecision(12)));
      return (Math.sign(x) * c) / 100 || 0;
    };
    const wrong: number[] = [];
    for (let i = 0; i < 20000; i++) {
      const x = Number((((i * 7919) % 100000) / 7 + 0.005).toFixed(3 + (i % 4)));
      if (roundCents(x) !== viaString(x)) wrong.push(x);
    }
    expect(wrong).toEqual([]);
  });
});
