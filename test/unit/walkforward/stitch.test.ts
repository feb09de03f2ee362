// The stitched out-of-sample curve by hand: each window's returns compounded onto the previous
// window's ending equity, combined and per strategy, with the drawdown from the stitched peak.
import { describe, expect, test } from '@jest/globals';
import { newCurve } from '../../../src/core/backtest/curve.js';
import type { BacktestResult } from '../../../src/core/backtest/types.js';
import { aggregateMetrics, stitchCurves } from '../../../src/core/walkforward/stitch.js';

function run(days: number[], equity: number[], s0: number[], s1: number[], pnl: number[] = []): BacktestResult {
  const curve = newCurve(Int32Array.from(days));
  curve.equity.set(equity);
  curve.cash.set(equity);
  curve.byStrategy[0].set(s0);
  curve.byStrategy[1].set(s1);
  const trades = pnl.map((p) => ({ symbol: 'A', strategy: 'ibs_rsi' as const, signal_date: '2024-01-02', entry_date: '2024-01-03', entry_price: 10, exit_date: '2024-01-04', exit_price: 10, qty: 1, pnl: p, return: p / 10, bars_held: 1, exit_reason: 'signal' as const, stop: 9, target: null, fees: 0, confidence: 1 }));
  return { trades, curve } as unknown as BacktestResult;
}

const r9 = (a: ArrayLike<number>) => Array.from(a, (x) => Math.round(x * 1e9) / 1e9 || 0);

describe('stitchCurves', () => {
  // Window 1: +10% then +10% (ibs_rsi +20%, turtle_soup 0); window 2: 0 then -10% (ibs_rsi -10%, turtle_soup +5%).
  const w1 = run([1, 2, 3], [100, 110, 121], [100, 110, 120], [100, 100, 100], [21]);
  const w2 = run([4, 5], [100, 90], [100, 90], [100, 105], [-10]);
  const { curve, split } = stitchCurves([w1, w2], 100);

  test('equity compounds: 100, 110, 121, then 121 x (1, 0.9)', () => {
    expect(Array.from(curve.days)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(split)).toEqual([0, 0, 0, 1, 1]);
    expect(r9(curve.equity)).toEqual([100, 110, 121, 121, 108.9]);
    expect(curve.equity[3]).toBe(curve.equity[2]); // continuity at the seam, exactly
    expect(r9(curve.cash)).toEqual([100, 110, 121, 121, 108.9]); // scaled by 121 / 100 in window 2
  });

  test('each strategy compounds its own curve', () => {
    expect(r9(curve.byStrategy[0])).toEqual([100, 110, 120, 120, 108]);
    expect(r9(curve.byStrategy[1])).toEqual([100, 100, 100, 100, 105]);
  });

  test('drawdown from the stitched peak across the seam', () => {
    expect(r9(curve.drawdown)).toEqual([0, 0, 0, 0, -0.1]);
  });

  test('aggregate metrics: pooled trades, total return from the stitched curve', () => {
    const m = aggregateMetrics([w1, w2], curve, 100);
    expect(m.combined.trades).toBe(2);
    expect(m.combined.win_rate).toBe(0.5);
    expect(m.combined.profit_factor).toBe(2.1);
    expect(m.combined.total_return).toBe(0.089);
    expect(m.combined.max_drawdown).toBe(0.1);
  });

  test('no windows: an empty curve', () => {
    expect(stitchCurves([], 100).curve.equity.length).toBe(0);
  });
});
