import { describe, expect, test } from '@jest/globals';
import { cagr, dailyReturns, maxDrawdown, sharpeSortino, summarise } from '../../../src/core/backtest/metrics.js';
import { newCurve } from '../../../src/core/backtest/curve.js';
import type { Trade } from '../../../src/core/backtest/types.js';

describe('metrics', () => {
  test('Sharpe and Sortino of [1%, -1%, 2%, 0%], annualised by sqrt(252)', () => {
    // mean 0.005; sample variance (0.005^2 + 0.015^2 + 0.015^2 + 0.005^2) / 3 = 0.0005 / 3;
    // downside deviation sqrt(0.01^2 / 4) = 0.005.
    const { sharpe, sortino } = sharpeSortino(Float64Array.from([0.01, -0.01, 0.02, 0]));
    expect(sharpe).toBeCloseTo((0.005 / Math.sqrt(0.0005 / 3)) * Math.sqrt(252), 5);
    expect(sortino).toBeCloseTo((0.005 / 0.005) * Math.sqrt(252), 5);
    expect(sharpeSortino(Float64Array.from([0.01, 0.01]))).toEqual({ sharpe: null, sortino: null });
  });

  test('daily returns start from the base; CAGR in sessions; drawdown from the running peak', () => {
    expect(Array.from(dailyReturns(Float64Array.from([110, 99]), 100))).toEqual([0.10000000000000009, -0.09999999999999998]);
    expect(cagr(100, 121, 504)).toBeCloseTo(0.1, 12); // two years of 252 sessions: sqrt(1.21) - 1
    expect(cagr(100, 0, 252)).toBe(-1);
    expect(maxDrawdown(Float64Array.from([100, 120, 90, 130, 117]), 100)).toEqual({ usd: 30, fraction: 0.25 });
  });

  test('trade statistics: win rate, profit factor, exit reasons, by strategy', () => {
    const t = (strategy: Trade['strategy'], pnl: number, exit_reason: Trade['exit_reason'], bars_held: number): Trade => ({
      symbol: 'A', strategy, signal_date: '2024-01-02', entry_date: '2024-01-03', entry_price: 100, exit_date: '2024-01-04', exit_price: 100, qty: 1, pnl, return: pnl / 100, bars_held, exit_reason, stop: 90, target: null, fees: 0, confidence: 1,
    });
    const trades = [t('ibs_rsi', 10, 'signal', 1), t('ibs_rsi', -15, 'stop', 2), t('turtle_soup', 20, 'target', 3)];
    const curve = newCurve(Int32Array.from([19725, 19726]));
    curve.equity.set([100_010, 100_015]);
    curve.byStrategy[0].set([100_010, 99_995]);
    curve.byStrategy[1].set([100_000, 100_020]);
    const m = summarise('portfolio', trades, curve, 100_000);
    expect(m.combined).toMatchObject({ trades: 3, wins: 2, losses: 1, win_rate: 0.666667, profit_factor: 2, total_pnl: 15, avg_bars_held: 2, total_return: 0.00015, max_drawdown: 0 });
    expect(m.combined.exit_reasons).toEqual({ stop: 1, target: 1, signal: 1, time: 0, end: 0 });
    expect(m.by_strategy.ibs_rsi).toMatchObject({ trades: 2, profit_factor: 0.666667, total_pnl: -5, max_drawdown_usd: 15 });
    expect(m.by_strategy.turtle_soup).toMatchObject({ trades: 1, profit_factor: null, win_rate: 1 });
    const ps = summarise('per_signal', trades, curve, 100_000);
    expect(ps.combined).toMatchObject({ cagr: null, sharpe: null, sortino: null, max_drawdown: null, total_return: null });
  });
});
