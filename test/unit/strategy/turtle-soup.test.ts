import { describe, expect, test } from '@jest/globals';
import { computeFeatures } from '../../../src/core/strategy/features.js';
import { allSignals } from '../../../src/core/strategy/signals.js';
import { turtleSoupAt } from '../../../src/core/strategy/turtle-soup.js';
import { type Bar, FROZEN, SOUP_T, makeSeries, nextUp, params, soupBars } from './fixtures.js';

const soup = (minAt?: number[], last?: Bar) => makeSeries('SOUP', soupBars(minAt, last));
const soupBarsOf = (s: ReturnType<typeof soup>, p = FROZEN) =>
  allSignals(s, p)
    .filter((x) => x.strategy === 'turtle_soup')
    .map((x) => x.bar);

describe('Turtle Soup entries', () => {
  test('a sweep below an aged 20-bar low that closes back above signals, with SPEC stop/target/score', () => {
    const s = soup([5]);
    const f = computeFeatures(s, FROZEN);
    expect(f.lowest[SOUP_T]).toBe(106);
    expect(f.barsSince[SOUP_T]).toBe(4);
    const x = turtleSoupAt(s, FROZEN, f, SOUP_T)!;
    expect(x).not.toBeNull();
    const atr = f.atr[SOUP_T];
    const sweep = (106 - 105.5) / atr;
    const stop = 105.5 - 0.2 * atr;
    const target = 107 + 0.5 * (107 - stop);
    expect(x.level).toBe(106);
    expect(x.bars_since).toBe(4);
    expect(x.sweep).toBeCloseTo(sweep, 12);
    expect(x.stop_raw).toBeCloseTo(stop, 12);
    expect(x.target_raw!).toBeCloseTo(target, 12);
    expect(x.entry).toBe(107);
    expect(x.stop).toBe(Math.round(stop * 100) / 100);
    expect(x.target).toBe(Math.round(target * 100) / 100);
    expect(x.score).toBeCloseTo(sweep * 100, 9);
    expect(x.confidence).toBeCloseTo((sweep * 100) / 300, 12);
    expect(x.time_stop_bars).toBe(3);
    expect(soupBarsOf(s)).toEqual([SOUP_T]);
  });

  test('k exactly min_bars_since_extreme (3) signals; k = 2 does not', () => {
    const k3 = soup([4]);
    expect(computeFeatures(k3, FROZEN).barsSince[SOUP_T]).toBe(3);
    expect(soupBarsOf(k3)).toEqual([SOUP_T]);
    const k2 = soup([3]);
    expect(computeFeatures(k2, FROZEN).barsSince[SOUP_T]).toBe(2);
    expect(soupBarsOf(k2)).toEqual([]);
  });

  test('tied lows: the most recent bar holding P sets k', () => {
    const s = soup([10, 2]); // oldest would give k = 9, most recent gives k = 1
    expect(computeFeatures(s, FROZEN).barsSince[SOUP_T]).toBe(1);
    expect(soupBarsOf(s)).toEqual([]);
    expect(soupBarsOf(soup([10, 5]))).toEqual([SOUP_T]); // k = 4 via the later tie
  });

  test('sweep exactly min_sweep_atr signals (>=); the next double above does not', () => {
    const s = soup([5]);
    const f = computeFeatures(s, FROZEN);
    const sweep = (f.lowest[SOUP_T] - s.low[SOUP_T]) / f.atr[SOUP_T];
    expect(turtleSoupAt(s, params({ turtle_soup: { min_sweep_atr: sweep } }), f, SOUP_T)).not.toBeNull();
    expect(turtleSoupAt(s, params({ turtle_soup: { min_sweep_atr: nextUp(sweep) } }), f, SOUP_T)).toBeNull();
  });

  test('low must be strictly below P and close strictly above it', () => {
    expect(soupBarsOf(soup([5], { h: 108, l: 106, c: 107 }))).toEqual([]); // low = P
    expect(soupBarsOf(soup([5], { h: 108, l: 105.5, c: 106 }))).toEqual([]); // close = P
    expect(soupBarsOf(soup([5], { h: 108, l: 105.5, c: 106.01 }))).toEqual([SOUP_T]);
  });

  test('the trend filter: close not above the SMA does not signal', () => {
    const s = soup([5]);
    expect(computeFeatures(s, FROZEN).sma[SOUP_T]).toBeLessThan(107);
    const short = params({ common: { sma_period: 5 } }); // SMA(5) = 107.8 > close 107
    const f = computeFeatures(s, short);
    expect(f.sma[SOUP_T]).toBeCloseTo(107.8, 12);
    expect(turtleSoupAt(s, short, f, SOUP_T)).toBeNull();
  });

  test('feature_lag 1 uses the previous bar ATR (smaller here) and flips the decision', () => {
    const s = soup([5]);
    const lag0 = params({ common: { feature_lag: 0 } });
    const f = computeFeatures(s, lag0);
    const sweep0 = 0.5 / f.atr[SOUP_T];
    const sweep1 = 0.5 / f.atr[SOUP_T - 1];
    expect(sweep1).toBeGreaterThan(sweep0);
    const mid = (sweep0 + sweep1) / 2;
    expect(soupBarsOf(s, params({ common: { feature_lag: 0 }, turtle_soup: { min_sweep_atr: mid } }))).toEqual([]);
    const lagged = allSignals(s, params({ common: { feature_lag: 1 }, turtle_soup: { min_sweep_atr: mid } }));
    expect(lagged.filter((x) => x.strategy === 'turtle_soup').map((x) => [x.bar, x.atr])).toEqual([
      [SOUP_T, f.atr[SOUP_T - 1]],
    ]);
  });

  test('fewer than min_history_bars bars gives no signal', () => {
    expect(soupBarsOf(soup([5]), params({ common: { min_history_bars: SOUP_T + 2 } }))).toEqual([]);
  });
});
