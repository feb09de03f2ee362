// The grid syntax, the order of its points, validation of every point, and the objectives.
import { describe, expect, test } from '@jest/globals';
import type { Metrics } from '../../../src/core/backtest/types.js';
import { UsageError } from '../../../src/core/errors.js';
import { bestIndex, better, gridCandidates, gridText, objectiveOf, parseGrid, valuesText } from '../../../src/core/walkforward/grid.js';
import { P } from '../backtest/fixtures.js';

describe('parseGrid and gridCandidates', () => {
  test('the documented example: 3 x 2 points, first axis slowest, other keys from the base', () => {
    const axes = parseGrid('ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5', P);
    expect(axes).toEqual([
      { key: 'ibs_rsi.ibs_entry', values: [0.05, 0.08, 0.1] },
      { key: 'ibs_rsi.rsi_entry', values: [3, 5] },
    ]);
    expect(gridText(axes)).toBe('ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5');
    const c = gridCandidates(axes, P);
    expect(c.map((x) => [x.index, x.params.ibs_rsi.ibs_entry, x.params.ibs_rsi.rsi_entry])).toEqual([
      [0, 0.05, 3],
      [1, 0.05, 5],
      [2, 0.08, 3],
      [3, 0.08, 5],
      [4, 0.1, 3],
      [5, 0.1, 5],
    ]);
    expect(valuesText(c[3].values)).toBe('ibs_rsi.ibs_entry=0.08;ibs_rsi.rsi_entry=5');
    for (const x of c) expect({ ...x.params, ibs_rsi: { ...x.params.ibs_rsi, ibs_entry: P.ibs_rsi.ibs_entry, rsi_entry: P.ibs_rsi.rsi_entry } }).toEqual(P);
    expect(P.ibs_rsi.ibs_entry).toBe(0.2); // the base is not modified
  });

  test('whitespace, three sections, a word-valued key and an integer key', () => {
    const axes = parseGrid(' common.sma_period = 3,4 ; ibs_rsi.rsi_method=wilder,sma; turtle_soup.lookback=3 ;', P);
    const c = gridCandidates(axes, P);
    expect(c).toHaveLength(4);
    expect(c[3].params.common.sma_period).toBe(4);
    expect(c[3].params.ibs_rsi.rsi_method).toBe('sma');
    expect(c[3].values).toEqual({ 'common.sma_period': 4, 'ibs_rsi.rsi_method': 'sma', 'turtle_soup.lookback': 3 });
  });

  test('without a grid: one candidate, the base itself, with no values', () => {
    expect(gridCandidates(null, P)).toEqual([{ index: 0, params: P, values: {} }]);
  });

  test.each([
    ['', /--grid is empty/],
    ['ibs_rsi.ibs_entry', /has no "="/],
    ['ibs_rsi.nope=1', /unknown key "ibs_rsi.nope"/],
    ['version=v3', /unknown key "version"/],
    ['ibs_rsi=1', /unknown key "ibs_rsi"/],
    ['ibs_rsi.ibs_entry.x=1', /unknown key/],
    ['ibs_rsi.ibs_entry=0.1;ibs_rsi.ibs_entry=0.2', /listed twice/],
    ['ibs_rsi.ibs_entry=0.1,,0.2', /empty value/],
    ['ibs_rsi.ibs_entry=0.1,abc', /"abc" is not a number/],
    ['ibs_rsi.ibs_entry=0.1,0.1', /lists a value twice/],
    [`ibs_rsi.ibs_entry=${Array.from({ length: 17 }, (_, i) => i / 100).join(',')};ibs_rsi.rsi_entry=${Array.from({ length: 16 }, (_, i) => i).join(',')}`, /272 points; at most 256/],
  ])('parseGrid rejects %j', (spec, msg) => {
    expect(() => parseGrid(spec, P)).toThrow(UsageError);
    expect(() => parseGrid(spec, P)).toThrow(msg);
  });

  test.each([
    ['ibs_rsi.ibs_entry=0.1,1.5', /ibs_rsi.ibs_entry=1.5 is not valid: ibs_rsi.ibs_entry/],
    ['common.sma_period=3,2.5', /common.sma_period=2.5 is not valid/],
    ['ibs_rsi.rsi_method=wilder,ema', /ibs_rsi.rsi_method=ema is not valid/],
    ['common.feature_lag=0,2', /common.feature_lag=2 is not valid/],
  ])('every point is validated by the params schema: %j', (spec, msg) => {
    const axes = parseGrid(spec, P);
    expect(() => gridCandidates(axes, P)).toThrow(UsageError);
    expect(() => gridCandidates(axes, P)).toThrow(msg);
  });
});

describe('objectives', () => {
  const m = (o: Partial<Metrics>): Metrics => ({
    trades: 10, wins: 6, losses: 4, win_rate: 0.6, profit_factor: 1.5, total_pnl: 100, avg_pnl: 10, avg_return: 0.01, avg_bars_held: 3,
    total_return: 0.1, cagr: 0.12, sharpe: 1.1, sortino: 1.5, max_drawdown: 0.08, max_drawdown_usd: 800, exposure: 0.4,
    exit_reasons: { stop: 1, target: 2, signal: 3, time: 4, end: 0 }, ...o,
  });

  test('sharpe, cagr, profit factor as reported; calmar = CAGR / max drawdown', () => {
    expect(objectiveOf(m({}), 'sharpe')).toBe(1.1);
    expect(objectiveOf(m({}), 'cagr')).toBe(0.12);
    expect(objectiveOf(m({}), 'profit_factor')).toBe(1.5);
    expect(objectiveOf(m({}), 'calmar')).toBe(1.5);
    expect(objectiveOf(m({ cagr: -0.04 }), 'calmar')).toBe(-0.5);
    expect(objectiveOf(m({ max_drawdown: 0 }), 'calmar')).toBeNull();
    expect(objectiveOf(m({ cagr: null }), 'calmar')).toBeNull();
    expect(objectiveOf(m({ sharpe: null }), 'sharpe')).toBeNull();
  });

  test('bestIndex: highest number, null below every number, ties to the first', () => {
    expect(bestIndex([0.5, 1.2, -3, 1.2])).toBe(1);
    expect(bestIndex([null, -5, null])).toBe(1);
    expect(bestIndex([null, null])).toBe(0);
    expect(bestIndex([2])).toBe(0);
    expect(better(0, null)).toBe(true);
    expect(better(null, -1)).toBe(false);
    expect(better(1, 1)).toBe(false);
  });
});
