// The stitched out-of-sample curve: every test window starts again from the starting cash, so its
// daily equity is compounded onto the previous window's ending equity (combined, and each strategy
// on its own). Aggregate metrics are the backtest's own summarise() over that curve and the pooled
// trades, so a walk-forward figure means what the same figure means in a backtest.
import { summarise } from '../backtest/metrics.js';
import type { BacktestResult, EquityCurve, Trade } from '../backtest/types.js';
import { STRATEGIES } from '../backtest/types.js';

/** The stitched curve and, per day, the split it came from. */
export interface StitchedCurve {
  curve: EquityCurve;
  split: Int32Array;
}

/** Stitch test runs (in split order) that each started from `startingCash`. */
export function stitchCurves(runs: readonly BacktestResult[], startingCash: number): StitchedCurve {
  let n = 0;
  for (const r of runs) n += r.curve.days.length;
  const arr = () => new Float64Array(n);
  const curve: EquityCurve = {
    days: new Int32Array(n),
    cash: arr(),
    positions: arr(),
    equity: arr(),
    drawdown: arr(),
    openPositions: new Int32Array(n),
    byStrategy: STRATEGIES.map(arr),
    positionsByStrategy: STRATEGIES.map(arr),
  };
  const split = new Int32Array(n);
  let prev = startingCash;
  const prevBy = STRATEGIES.map(() => startingCash);
  let peak = startingCash;
  let at = 0;
  runs.forEach((r, s) => {
    const c = r.curve;
    const D = c.days.length;
    // base x (value / startingCash): a window's first day (no position yet, value = startingCash)
    // lands exactly on the previous window's last equity.
    const f = prev / startingCash;
    for (let d = 0; d < D; d++, at++) {
      curve.days[at] = c.days[d];
      split[at] = s;
      const e = prev * (c.equity[d] / startingCash);
      curve.equity[at] = e;
      curve.cash[at] = c.cash[d] * f;
      curve.positions[at] = c.positions[d] * f;
      curve.openPositions[at] = c.openPositions[d];
      if (e > peak) peak = e;
      curve.drawdown[at] = peak > 0 ? e / peak - 1 : 0;
      for (let k = 0; k < STRATEGIES.length; k++) {
        curve.byStrategy[k][at] = prevBy[k] * (c.byStrategy[k][d] / startingCash);
        curve.positionsByStrategy[k][at] = c.positionsByStrategy[k][d] * (prevBy[k] / startingCash);
      }
    }
    if (D > 0) {
      prev = curve.equity[at - 1];
      for (let k = 0; k < STRATEGIES.length; k++) prevBy[k] = curve.byStrategy[k][at - 1];
    }
  });
  return { curve, split };
}

/** Metrics of the stitched curve with the runs' trades pooled (P&L in each window's dollars). */
export function aggregateMetrics(runs: readonly BacktestResult[], stitched: EquityCurve, startingCash: number): BacktestResult['metrics'] {
  const trades: Trade[] = [];
  for (const r of runs) for (const t of r.trades) trades.push(t);
  return summarise('portfolio', trades, stitched, startingCash);
}
