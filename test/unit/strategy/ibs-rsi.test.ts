import { describe, expect, test } from '@jest/globals';
import { computeFeatures } from '../../../src/core/strategy/features.js';
import { ibsRsiAt, ibsRsiExit } from '../../../src/core/strategy/ibs-rsi.js';
import { allSignals } from '../../../src/core/strategy/signals.js';
import { type Bar, DIP_T, FROZEN, dipBars, makeSeries, nextUp, params, uptrend } from './fixtures.js';

const bars = (s: ReturnType<typeof allSignals>, strategy = 'ibs_rsi') =>
  s.filter((x) => x.strategy === strategy).map((x) => x.bar);

describe('IBS+RSI entries', () => {
  const s = makeSeries('DIP', dipBars());

  test('the dip bar signals with the SPEC formulas (frozen params)', () => {
    const sig = allSignals(s, FROZEN).filter((x) => x.strategy === 'ibs_rsi');
    expect(sig.map((x) => x.bar)).toEqual([DIP_T]);
    const [x] = sig;
    const ibs = 0.2 / 6.2;
    const rsi = 100 - 100 / (1 + 0.125 / 3.125); // avg gain 0.25 -> 0.125, avg loss 0 -> 6.25 / 2
    const f = computeFeatures(s, FROZEN);
    expect(x.ibs).toBeCloseTo(ibs, 12);
    expect(x.rsi).toBeCloseTo(rsi, 9);
    expect(x.atr).toBe(f.atr[DIP_T]);
    expect(x.entry).toBe(106);
    expect(x.stop_raw).toBeCloseTo(106 - 2 * f.atr[DIP_T], 12);
    expect(x.stop).toBe(Math.round(x.stop_raw * 100) / 100);
    expect(x.target).toBeNull();
    expect(x.target_raw).toBeNull();
    expect(x.time_stop_bars).toBe(7);
    expect(x.score).toBeCloseTo((0.08 - ibs) * 100 + (5 - rsi), 9);
    expect(x.confidence).toBeCloseTo(x.score / 25, 12);
    expect(x.date).toBe('2020-09-07');
    expect(x.symbol).toBe('DIP');
  });

  test('IBS exactly at ibs_entry does not signal (strict <); a hair above it does', () => {
    const f = computeFeatures(s, FROZEN);
    const at = params({ ibs_rsi: { ibs_entry: f.ibs[DIP_T] } });
    expect(ibsRsiAt(s, at, f, DIP_T)).toBeNull();
    expect(ibsRsiAt(s, params({ ibs_rsi: { ibs_entry: nextUp(f.ibs[DIP_T]) } }), f, DIP_T)).not.toBeNull();
  });

  test('RSI exactly at rsi_entry does not signal (strict <)', () => {
    const f = computeFeatures(s, FROZEN);
    expect(ibsRsiAt(s, params({ ibs_rsi: { rsi_entry: f.rsi[DIP_T] } }), f, DIP_T)).toBeNull();
    expect(ibsRsiAt(s, params({ ibs_rsi: { rsi_entry: nextUp(f.rsi[DIP_T]) } }), f, DIP_T)).not.toBeNull();
  });

  test('close exactly at min_price signals (>=); a cent above the close does not', () => {
    const f = computeFeatures(s, FROZEN);
    expect(ibsRsiAt(s, params({ common: { min_price: 106 } }), f, DIP_T)).not.toBeNull();
    expect(ibsRsiAt(s, params({ common: { min_price: 106.01 } }), f, DIP_T)).toBeNull();
  });

  test('close exactly equal to the SMA does not signal (strict >)', () => {
    // SMA(4) of 100, 106, 109, 105 is exactly 105 = the close; other rules relaxed to isolate it.
    const lead = uptrend(20).map((b) => ({ ...b, c: b.c + 40, h: b.h + 40, l: b.l + 40 }));
    const tail = (first: number): Bar[] => [
      { h: first + 1, l: first - 1, c: first },
      { h: 107, l: 105, c: 106 },
      { h: 110, l: 108, c: 109 },
      { h: 109, l: 104, c: 105 },
    ];
    const p = params({
      common: { sma_period: 4, atr_period: 3, min_history_bars: 10 },
      ibs_rsi: { ibs_entry: 1, rsi_entry: 100 },
    });
    const eq = makeSeries('EQ', [...lead, ...tail(100)]);
    const t = eq.length - 1;
    expect(computeFeatures(eq, p).sma[t]).toBe(105);
    expect(bars(allSignals(eq, p))).not.toContain(t);
    const above = makeSeries('ABOVE', [...lead, ...tail(99)]);
    expect(computeFeatures(above, p).sma[t]).toBe(104.75);
    expect(bars(allSignals(above, p))).toContain(t);
  });

  test('fewer than min_history_bars bars gives no signal', () => {
    expect(bars(allSignals(s, params({ common: { min_history_bars: DIP_T + 2 } })))).toEqual([]);
    expect(bars(allSignals(s, params({ common: { min_history_bars: DIP_T + 1 } })))).toEqual([DIP_T]);
  });

  test('feature_lag 1 decides with the previous bar features and changes the decision', () => {
    const next: Bar = { o: 106.5, h: 107.5, l: 105.9, c: 107 };
    const s2 = makeSeries('LAG', [...dipBars(), next]);
    const lag0 = params({ common: { feature_lag: 0 } });
    const lag1 = params({ common: { feature_lag: 1 } });
    expect(bars(allSignals(s2, lag0))).toEqual([DIP_T]);
    const sig1 = allSignals(s2, lag1).filter((x) => x.strategy === 'ibs_rsi');
    expect(sig1.map((x) => x.bar)).toEqual([DIP_T + 1]);
    const f = computeFeatures(s2, lag1);
    // Prices are bar t's (close 107); features are bar t-1's.
    expect(sig1[0].entry).toBe(107);
    expect(sig1[0].ibs).toBe(f.ibs[DIP_T]);
    expect(sig1[0].stop_raw).toBeCloseTo(107 - 2 * f.atr[DIP_T], 12);
  });

  test('a bad bar at t never signals', () => {
    const bad = makeSeries('BAD', dipBars({ o: 111, h: 105, l: 105.8, c: 106 })); // high below low
    expect(bars(allSignals(bad, params({ ibs_rsi: { ibs_entry: 1 } })))).toEqual([]);
  });
});

describe('IBS+RSI exits', () => {
  test('exit on IBS > ibs_exit or RSI > rsi_exit of the bar itself (strict)', () => {
    const s = makeSeries('X', [...dipBars(), { h: 116, l: 106, c: 116 }, { h: 117, l: 115, c: 115.5 }]);
    const f = computeFeatures(s, FROZEN);
    expect(ibsRsiExit(f, FROZEN, DIP_T)).toBeNull();
    expect(ibsRsiExit(f, FROZEN, DIP_T + 1)).toBe('ibs_exit'); // IBS 1, RSI 100 - 100 / (1 + 5.0625 / 1.5625)
    expect(f.rsi[DIP_T + 1]).toBeCloseTo(100 - 100 / (1 + 5.0625 / 1.5625), 9);
    expect(ibsRsiExit(f, params({ ibs_rsi: { ibs_exit: 1 } }), DIP_T + 1)).toBe('rsi_exit');
    const onlyRsi = params({ ibs_rsi: { ibs_exit: 1, rsi_exit: f.rsi[DIP_T + 1] } });
    expect(ibsRsiExit(f, onlyRsi, DIP_T + 1)).toBeNull();
    expect(f.ibs[DIP_T + 2]).toBeCloseTo(0.25, 12);
  });
});
