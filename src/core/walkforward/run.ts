// Walk-forward orchestration (SPEC section 7): the session axis, the split plan, one job per split
// run by one job runner for the whole run (the local worker pool, or a queue), then the stitched
// out-of-sample curve and aggregates.
// With `evaluateChosen` (--propose) a second round of jobs on the same runner runs every parameter set
// a train window chose on every test window, so each can be compared with the pinned params on the
// same splits. Nothing here reads files or prints.
import type { BacktestResult, BacktestSettings } from '../backtest/types.js';
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, dayNumber, isoDay } from '../strategy/bars.js';
import { type Candidate, type GridAxis, type Objective, better, gridCandidates, objectiveOf } from './grid.js';
import type { WfJob, WfJobResult, WfWindow } from './job.js';
import { WorkerPool } from './pool.js';
import type { JobRunner, JobRunnerFactory, RunnerProgress } from './runner.js';
import { shareBars, sessionAxis } from './shared-bars.js';
import { type SplitRange, defaultWarmup, planSplits } from './splits.js';
import { type StitchedCurve, aggregateMetrics, stitchCurves } from './stitch.js';

/** Inputs of a walk-forward run. */
export interface WalkForwardInput {
  series: readonly BarSeries[];
  /** Params the grid varies (the --params file, else the pinned params). */
  base: StrategyParams;
  /** The pinned params: the baseline a grid is compared with. */
  pinned: StrategyParams;
  grid: GridAxis[] | null;
  objective: Objective;
  train: number;
  test: number;
  anchored: boolean;
  /** Warm-up sessions; default defaultWarmup() of the base, the pinned and every candidate. */
  warmup?: number;
  /** First session a train window may start on (earlier bars warm up only). */
  start?: string;
  /** Last bar used. */
  end?: string;
  settings: Omit<BacktestSettings, 'start' | 'end'>;
  workers: number;
  /** Run every chosen set on every test window (needed by --propose). */
  evaluateChosen: boolean;
  workerEntry?: URL;
  /** Where jobs run; default the local worker pool of `workers` threads. */
  runner?: JobRunnerFactory;
  onProgress?: (phase: 'splits' | 'evaluate', done: number, total: number, info?: RunnerProgress) => void;
}

/** One split after its job ran. */
export interface SplitOutcome {
  split: number;
  train: WfWindow & { sessions: number };
  test: WfWindow & { sessions: number };
  chosen: Candidate;
  /** Combined train objective of every candidate. */
  trainScores: Array<number | null>;
  trainMetrics: BacktestResult['metrics'];
  result: BacktestResult;
  baseline: BacktestResult | null;
}

/** A parameter set's out-of-sample record over every split. */
export interface OosRecord {
  stitched: StitchedCurve;
  metrics: BacktestResult['metrics'];
  /** Combined objective on the stitched curve. */
  objective: number | null;
  /** Combined objective of each split's test window. */
  perSplit: Array<number | null>;
}

/** A chosen candidate evaluated on every test window. */
export interface CandidateRecord extends OosRecord {
  candidate: Candidate;
  /** Splits whose train window chose it. */
  chosenOn: number[];
}

/** Everything a run produces. */
export interface WalkForwardRun {
  axis: { first: string; last: string; sessions: number };
  warmup: number;
  candidates: Candidate[];
  splits: SplitOutcome[];
  /** The walk-forward itself: each split's chosen set on its test window. */
  oos: OosRecord;
  /** The pinned params on the same test windows (when a grid ran). */
  baseline: OosRecord | null;
  /** Every chosen set on every test window, by candidate index (with evaluateChosen). */
  evaluated: CandidateRecord[] | null;
  /** The evaluated set with the best aggregate objective when it beats the baseline, else null. */
  better: CandidateRecord | null;
}

/** Index of the first session on the axis on or after `day`. */
function lowerBound(axis: Int32Array, day: number): number {
  let lo = 0;
  let hi = axis.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (axis[mid] < day) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function oosRecord(runs: BacktestResult[], startingCash: number, objective: Objective): OosRecord {
  const stitched = stitchCurves(runs, startingCash);
  const metrics = aggregateMetrics(runs, stitched.curve, startingCash);
  return { stitched, metrics, objective: objectiveOf(metrics.combined, objective), perSplit: runs.map((r) => objectiveOf(r.metrics.combined, objective)) };
}

/** Run the walk-forward. */
export async function runWalkForward(input: WalkForwardInput): Promise<WalkForwardRun> {
  const candidates = gridCandidates(input.grid, input.base);
  const warmup = input.warmup ?? defaultWarmup([input.base, input.pinned, ...candidates.map((c) => c.params)]);
  const bars = shareBars(input.series);
  const axis = sessionAxis(bars, input.end === undefined ? Infinity : dayNumber(input.end));
  const first = input.start === undefined ? 0 : lowerBound(axis, dayNumber(input.start));
  const plan = planSplits({ sessions: axis.length, first, train: input.train, test: input.test, anchored: input.anchored, warmup });
  const iso = (i: number) => isoDay(axis[i]);
  const win = (r: SplitRange['train']): WfWindow => ({ from: iso(r.from), start: iso(r.start), end: iso(r.end) });
  const grid = (input.grid?.length ?? 0) > 0;
  const jobs: WfJob[] = plan.map((s) => ({
    id: s.index,
    split: s.index,
    train: win(s.train),
    test: win(s.test),
    params: candidates.map((c) => c.params),
    baseline: grid ? input.pinned : null,
    objective: input.objective,
    settings: input.settings,
  }));

  // No more workers than splits: an idle thread would only cost its start-up.
  const start = input.runner ?? (async (b: typeof bars, n: number) => WorkerPool.start(b, Math.min(input.workers, n), input.workerEntry));
  const runner = await start(bars, jobs.length);
  try {
    const results = await runner.run(jobs, (d, t, i) => input.onProgress?.('splits', d, t, i));
    const splits = plan.map((s, i) => outcome(s, jobs[i], results[i], candidates));
    const cash = input.settings.startingCash;
    const oos = oosRecord(splits.map((s) => s.result), cash, input.objective);
    const baseline = grid ? oosRecord(splits.map((s) => s.baseline!), cash, input.objective) : null;
    let evaluated: CandidateRecord[] | null = null;
    if (grid && input.evaluateChosen) evaluated = await evaluate(runner, jobs, splits, candidates, input);
    let best: CandidateRecord | null = null;
    for (const e of evaluated ?? []) if (best === null || better(e.objective, best.objective)) best = e;
    return {
      axis: { first: axis.length ? iso(0) : '', last: axis.length ? iso(axis.length - 1) : '', sessions: axis.length },
      warmup,
      candidates,
      splits,
      oos,
      baseline,
      evaluated,
      better: best && baseline && better(best.objective, baseline.objective) ? best : null,
    };
  } finally {
    await runner.close();
  }
}

function outcome(s: SplitRange, job: WfJob, r: WfJobResult, candidates: Candidate[]): SplitOutcome {
  const sessions = (w: SplitRange['train']) => w.end - w.start + 1;
  return {
    split: s.index,
    train: { ...job.train!, sessions: sessions(s.train) },
    test: { ...job.test, sessions: sessions(s.test) },
    chosen: candidates[r.chosen],
    trainScores: r.trainScores!,
    trainMetrics: r.trainMetrics!,
    result: r.tests[0],
    baseline: r.baselineTest,
  };
}

/** Second round: every set some train window chose, on the test windows that did not choose it. */
async function evaluate(runner: JobRunner, jobs: WfJob[], splits: SplitOutcome[], candidates: Candidate[], input: WalkForwardInput): Promise<CandidateRecord[]> {
  const chosen = [...new Set(splits.map((s) => s.chosen.index))].sort((a, b) => a - b);
  const need = splits.map((s) => chosen.filter((c) => c !== s.chosen.index));
  const more: WfJob[] = [];
  splits.forEach((s, i) => {
    if (need[i].length) more.push({ ...jobs[i], id: more.length, train: null, baseline: null, params: need[i].map((c) => candidates[c].params) });
  });
  const results = await runner.run(more, (d, t, i) => input.onProgress?.('evaluate', d, t, i));
  const bySplit = new Map(results.map((r) => [r.split, r]));
  return chosen.map((c) => {
    const runs = splits.map((s, i) => (s.chosen.index === c ? s.result : bySplit.get(i)!.tests[need[i].indexOf(c)]));
    return { ...oosRecord(runs, input.settings.startingCash, input.objective), candidate: candidates[c], chosenOn: splits.filter((s) => s.chosen.index === c).map((s) => s.split) };
  });
}
