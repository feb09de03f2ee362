// One walk-forward job: a plain JSON-able description (split, window dates, params) and the pure
// function that runs it on the shared bars. The pool's workers call runJob; a queue on another
// machine could take the same JSON and the same bars and return the same result.
import { runBacktest } from '../backtest/engine.js';
import type { BacktestResult, BacktestSettings } from '../backtest/types.js';
import type { StrategyParams } from '../config/schema.js';
import type { BarSeries } from '../strategy/bars.js';
import { type Objective, bestIndex, objectiveOf } from './grid.js';
import { type SharedBars, windowSeries } from './shared-bars.js';

/** A window as ISO dates: warm-up bars from `from`, sessions start..end traded (inclusive). */
export interface WfWindow {
  from: string;
  start: string;
  end: string;
}

/**
 * A split's job. With `train`, every params set runs on the train window and the best by the
 * objective runs on the test window; without it (an evaluation job), every set runs on the test.
 */
export interface WfJob {
  /** Position in the run's job list; results are assembled by it, never by completion order. */
  id: number;
  split: number;
  train: WfWindow | null;
  test: WfWindow;
  params: StrategyParams[];
  /** Also run on the test window (the pinned params, when a grid runs). */
  baseline: StrategyParams | null;
  objective: Objective;
  /** Portfolio settings; start and end come from the windows. */
  settings: Omit<BacktestSettings, 'start' | 'end'>;
}

/** What a job returns (structured-clone safe: plain objects and typed arrays). */
export interface WfJobResult {
  id: number;
  split: number;
  /** Combined objective of each params set on the train window (null for evaluation jobs). */
  trainScores: Array<number | null> | null;
  /** Index into the job's params of the set run out of sample (0 for evaluation jobs). */
  chosen: number;
  /** The chosen set's train metrics (null for evaluation jobs). */
  trainMetrics: BacktestResult['metrics'] | null;
  /** Test runs: the chosen set's (train jobs), or one per params set (evaluation jobs). */
  tests: BacktestResult[];
  baselineTest: BacktestResult | null;
}

function runWindow(series: BarSeries[], w: WfWindow, params: StrategyParams, settings: WfJob['settings']): BacktestResult {
  const st: BacktestSettings = { ...settings, mode: 'portfolio', start: w.start, end: w.end };
  return runBacktest({ series, params, settings: st });
}

/** Run one job; a pure function of the job and the bars. */
export function runJob(bars: SharedBars, job: WfJob): WfJobResult {
  if (job.params.length === 0) throw new RangeError(`job ${job.id} has no params`);
  let trainScores: Array<number | null> | null = null;
  let trainMetrics: BacktestResult['metrics'] | null = null;
  let chosen = 0;
  const tests: BacktestResult[] = [];
  // Views of each window are built once and shared by every params set run on it.
  const testSeries = windowSeries(bars, job.test.from, job.test.end);
  if (job.train) {
    const train = job.train;
    const trainSeries = windowSeries(bars, train.from, train.end);
    const metrics = job.params.map((p) => runWindow(trainSeries, train, p, job.settings).metrics);
    trainScores = metrics.map((m) => objectiveOf(m.combined, job.objective));
    chosen = bestIndex(trainScores);
    trainMetrics = metrics[chosen];
    tests.push(runWindow(testSeries, job.test, job.params[chosen], job.settings));
  } else {
    for (const p of job.params) tests.push(runWindow(testSeries, job.test, p, job.settings));
  }
  const baselineTest = job.baseline ? runWindow(testSeries, job.test, job.baseline, job.settings) : null;
  return { id: job.id, split: job.split, trainScores, chosen, trainMetrics, tests, baselineTest };
}
