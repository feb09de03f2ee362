// wf_summary.json / wf_summary.csv, oos_equity.csv and each split's summary.json as text. Pure
// functions of the run: no timestamps, no run id, no worker count, rows in split order, so the
// same inputs give the same bytes.
import { type DataProblems, type RunInputs, fixed } from '../backtest/format.js';
import type { BacktestSettings, BadBars, Metrics } from '../backtest/types.js';
import { isoDay } from '../strategy/bars.js';
import type { StrategyName } from '../strategy/features.js';
import { type Candidate, type Objective, gridText, objectiveOf, valuesText, type GridAxis } from './grid.js';
import type { OosRecord, SplitOutcome, WalkForwardRun } from './run.js';
import { minLastTest } from './splits.js';

/** Row groups: all trades, then each strategy. */
export type WfGroup = 'combined' | StrategyName;

/** Groups in report order. */
export const GROUPS: readonly WfGroup[] = ['combined', 'ibs_rsi', 'turtle_soup'];

/** One group's figures for a split or for the whole out-of-sample run. */
export interface WfRow {
  trades: number;
  win_rate: number | null;
  profit_factor: number | null;
  cagr: number | null;
  sharpe: number | null;
  max_drawdown: number | null;
  train_objective: number | null;
  test_objective: number | null;
}

/** A split in wf_summary.json. */
export interface WfSplitSummary {
  split: number;
  train: { from: string; start: string; end: string; sessions: number };
  test: { from: string; start: string; end: string; sessions: number };
  params: { candidate: number; values: Record<string, number | string> };
  /** The pinned params' combined objective on this test window (grid runs only). */
  baseline_test_objective: number | null;
  by_strategy: Record<WfGroup, WfRow>;
}

/** wf_summary.json. */
export interface WfSummary {
  version: 1;
  synthetic: boolean;
  inputs: RunInputs;
  walk_forward: {
    mode: 'rolling' | 'anchored';
    train: number;
    test: number;
    warmup: number;
    objective: Objective;
    grid: string | null;
    candidates: number;
    splits: number;
    axis: { first: string; last: string; sessions: number };
  };
  settings: { starting_cash: number; max_open_positions: number; risk_pct: number; max_position_pct: number; slippage_bps: number };
  oos: { first_date: string; last_date: string; sessions: number; final_equity: number; by_strategy: Record<WfGroup, WfRow> };
  splits: WfSplitSummary[];
  baseline: { params_version: string; objective: number | null; per_split: Array<number | null>; by_strategy: Record<WfGroup, WfRow> } | null;
  evaluated: Array<{ candidate: number; values: Record<string, number | string>; chosen_on: number[]; objective: number | null; per_split: Array<number | null> }> | null;
  better: { candidate: number; values: Record<string, number | string>; objective: number | null; baseline_objective: number | null } | null;
  data_problems: DataProblems;
  notes: string[];
}

/** What the summary needs besides the run. */
export interface WfSummaryInput {
  inputs: RunInputs;
  problems: Omit<DataProblems, 'bad_bars'>;
  synthetic: boolean;
  train: number;
  test: number;
  anchored: boolean;
  objective: Objective;
  grid: GridAxis[] | null;
  settings: Omit<BacktestSettings, 'start' | 'end'>;
  pinnedVersion: string;
}

const r6 = (x: number) => Math.round(x * 1e6) / 1e6 || 0;

function row(m: Metrics, train: number | null, test: number | null): WfRow {
  return { trades: m.trades, win_rate: m.win_rate, profit_factor: m.profit_factor, cagr: m.cagr, sharpe: m.sharpe, max_drawdown: m.max_drawdown, train_objective: train, test_objective: test };
}

function groupMetrics(m: { combined: Metrics; by_strategy: Record<StrategyName, Metrics> }, g: WfGroup): Metrics {
  return g === 'combined' ? m.combined : m.by_strategy[g];
}

function rows(f: (g: WfGroup) => WfRow): Record<WfGroup, WfRow> {
  return Object.fromEntries(GROUPS.map((g) => [g, f(g)])) as Record<WfGroup, WfRow>;
}

/** Mean of the defined values, or null. */
function mean(xs: ReadonlyArray<number | null>): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? r6(v.reduce((a, b) => a + b, 0) / v.length) : null;
}

function oosRows(rec: OosRecord, splits: readonly SplitOutcome[], o: Objective): Record<WfGroup, WfRow> {
  return rows((g) => row(groupMetrics(rec.metrics, g), mean(splits.map((s) => objectiveOf(groupMetrics(s.trainMetrics, g), o))), objectiveOf(groupMetrics(rec.metrics, g), o)));
}

/** Bad bars of the test windows, merged per symbol. */
function mergeBadBars(splits: readonly SplitOutcome[]): BadBars[] {
  const by = new Map<string, BadBars>();
  for (const s of splits) {
    for (const b of s.result.bad_bars) {
      const had = by.get(b.symbol);
      if (!had) by.set(b.symbol, { ...b });
      else had.bars += b.bars;
    }
  }
  return [...by.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
}

/** Assemble wf_summary.json's object. */
export function buildWfSummary(run: WalkForwardRun, i: WfSummaryInput): WfSummary {
  const o = i.objective;
  const c = run.oos.stitched.curve;
  const D = c.days.length;
  const notes: string[] = [];
  if (i.synthetic) notes.push('SYNTHETIC DATA: generated bars, not market history; the figures describe no real market');
  notes.push(`each test window starts from the starting cash and closes every position at its last bar; oos_equity.csv compounds each window's returns onto the previous window's ending equity`);
  notes.push(`splits in sessions of the universe's axis; the first ${run.warmup} sessions only warm up indicators; a last test window shorter than ${minLastTest(i.test)} sessions is dropped`);
  notes.push('an undefined objective (no trades, no losing trade for profit_factor, no drawdown for calmar) ranks below every number; ties go to the first grid point');
  notes.push('aggregate train_objective is the mean of the splits\' train objectives; aggregate test_objective is measured on the stitched out-of-sample curve');
  const minHistory = Math.max(...run.candidates.map((x) => x.params.common.min_history_bars));
  if (run.warmup < minHistory) notes.push(`warm-up ${run.warmup} is below min_history_bars ${minHistory}: symbols give no signals in the first ${minHistory - run.warmup} sessions of each window`);
  const grid = i.grid && i.grid.length ? gridText(i.grid) : null;
  const info = (x: Candidate) => ({ candidate: x.index, values: x.values });
  return {
    version: 1,
    synthetic: i.synthetic,
    inputs: i.inputs,
    walk_forward: { mode: i.anchored ? 'anchored' : 'rolling', train: i.train, test: i.test, warmup: run.warmup, objective: o, grid, candidates: run.candidates.length, splits: run.splits.length, axis: run.axis },
    settings: { starting_cash: i.settings.startingCash, max_open_positions: i.settings.maxOpenPositions, risk_pct: i.settings.riskPct, max_position_pct: i.settings.maxPositionPct, slippage_bps: i.settings.slippageBps },
    oos: { first_date: D ? isoDay(c.days[0]) : '', last_date: D ? isoDay(c.days[D - 1]) : '', sessions: D, final_equity: D ? Math.round(c.equity[D - 1] * 100) / 100 : i.settings.startingCash, by_strategy: oosRows(run.oos, run.splits, o) },
    splits: run.splits.map((s) => ({
      split: s.split,
      train: s.train,
      test: s.test,
      params: info(s.chosen),
      baseline_test_objective: s.baseline ? objectiveOf(s.baseline.metrics.combined, o) : null,
      by_strategy: rows((g) => row(groupMetrics(s.result.metrics, g), objectiveOf(groupMetrics(s.trainMetrics, g), o), objectiveOf(groupMetrics(s.result.metrics, g), o))),
    })),
    baseline: run.baseline ? { params_version: i.pinnedVersion, objective: run.baseline.objective, per_split: run.baseline.perSplit, by_strategy: rows((g) => row(groupMetrics(run.baseline!.metrics, g), null, objectiveOf(groupMetrics(run.baseline!.metrics, g), o))) } : null,
    evaluated: run.evaluated ? run.evaluated.map((e) => ({ ...info(e.candidate), chosen_on: e.chosenOn, objective: e.objective, per_split: e.perSplit })) : null,
    better: run.better ? { ...info(run.better.candidate), objective: run.better.objective, baseline_objective: run.baseline?.objective ?? null } : null,
    data_problems: { ...i.problems, bad_bars: mergeBadBars(run.splits) },
    notes,
  };
}

/** wf_summary.json text. */
export function wfSummaryJson(s: WfSummary): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

/** A split's params as a CSV/HTML cell: the grid values, or the params version without a grid. */
export function paramsLabel(values: Record<string, number | string>, version: string): string {
  return valuesText(values) || version;
}

const CSV_HEAD = 'strategy,split,train_start,train_end,test_start,test_end,candidate,params,trades,win_rate,profit_factor,cagr,sharpe,max_drawdown,train_objective,test_objective';

/** wf_summary.csv text: by strategy, each split then an `all` row for the stitched run. */
export function wfSummaryCsv(s: WfSummary, version: string): string {
  const lines = [CSV_HEAD];
  const nums = (r: WfRow) => [String(r.trades), fixed(r.win_rate, 6), fixed(r.profit_factor, 6), fixed(r.cagr, 6), fixed(r.sharpe, 6), fixed(r.max_drawdown, 6), fixed(r.train_objective, 6), fixed(r.test_objective, 6)];
  for (const g of GROUPS) {
    for (const x of s.splits) lines.push([g, String(x.split), x.train.start, x.train.end, x.test.start, x.test.end, String(x.params.candidate), paramsLabel(x.params.values, version), ...nums(x.by_strategy[g])].join(','));
    const a = s.splits[0];
    const z = s.splits[s.splits.length - 1];
    lines.push([g, 'all', a?.train.start ?? '', z?.train.end ?? '', a?.test.start ?? '', z?.test.end ?? '', '', 'walk-forward', ...nums(s.oos.by_strategy[g])].join(','));
  }
  return `${lines.join('\n')}\n`;
}

/** oos_equity.csv text: the stitched curve with the split of each day. */
export function oosEquityCsv(rec: OosRecord): string {
  const { curve: c, split } = rec.stitched;
  const lines = ['date,split,equity,drawdown,ibs_rsi,turtle_soup,open_positions'];
  for (let d = 0; d < c.days.length; d++) {
    lines.push(`${isoDay(c.days[d])},${split[d]},${fixed(c.equity[d], 2)},${fixed(c.drawdown[d], 6)},${fixed(c.byStrategy[0][d], 2)},${fixed(c.byStrategy[1][d], 2)},${c.openPositions[d]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A split's summary.json text. */
export function splitSummaryJson(s: SplitOutcome, candidates: readonly Candidate[], o: Objective, synthetic: boolean): string {
  const doc = {
    version: 1,
    split: s.split,
    synthetic,
    train: s.train,
    test: s.test,
    objective: o,
    params: { candidate: s.chosen.index, version: s.chosen.params.version, values: s.chosen.values },
    train_scores: candidates.length > 1 ? candidates.map((c, k) => ({ candidate: c.index, values: c.values, objective: s.trainScores[k] })) : null,
    train_objective: objectiveOf(s.trainMetrics.combined, o),
    test_objective: objectiveOf(s.result.metrics.combined, o),
    baseline_test_objective: s.baseline ? objectiveOf(s.baseline.metrics.combined, o) : null,
    metrics: s.result.metrics,
    train_metrics: s.trainMetrics,
    signals: s.result.signals,
    bad_bars: s.result.bad_bars,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
