import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { dateFlag, intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { createParamsProposal } from '../core/approvals/params.js';
import { settingsFromConfig } from '../core/backtest/engine.js';
import { sparkline } from '../core/backtest/format.js';
import { loadUniverseBars } from '../core/backtest/load.js';
import { freshRunDir, runId } from '../core/backtest/output.js';
import { pct } from '../core/backtest/report.js';
import { parseParams, sha256File } from '../core/config/load.js';
import { loadUniverse } from '../core/data/universe.js';
import { UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { prepareOutDir, readInputFile } from '../core/util/files.js';
import { OBJECTIVES, type Objective, parseGrid } from '../core/walkforward/grid.js';
import { type WalkForwardFiles, writeWalkForwardFiles } from '../core/walkforward/output.js';
import { MAX_WORKERS } from '../core/walkforward/pool.js';
import { proposalFor } from '../core/walkforward/propose.js';
import { runWalkForward } from '../core/walkforward/run.js';
import { MAX_SESSIONS } from '../core/walkforward/splits.js';
import { type WfSummary, buildWfSummary, paramsLabel } from '../core/walkforward/summary.js';

/** Parsed flags of `kobe walk-forward`. */
export interface WalkForwardOptions {
  universe?: string;
  cap?: number;
  start?: string;
  end?: string;
  train: number;
  test: number;
  anchored: boolean;
  warmup?: number;
  grid?: string;
  objective: Objective;
  workers: number;
  params?: string;
  propose: boolean;
  out?: string;
}

/** What `kobe walk-forward` returns (and prints with --json). */
export interface WalkForwardCommandResult {
  run_id: string;
  out_dir: string;
  files: WalkForwardFiles;
  summary: WfSummary;
  /** With --propose: the pending approval, or null when nothing beat the pinned params. */
  proposal: { id: string; approve: string } | null;
  sparkline: string;
}



/** Validate the flags. */
export function parseWalkForward(raw: Record<string, unknown>): WalkForwardOptions {
  const start = dateFlag('--start', raw.start);
  const end = dateFlag('--end', raw.end);
  if (start && end && start > end) throw new UsageError(`--start ${start} is after --end ${end}`);
  const objective = String(raw.objective ?? 'sharpe') as Objective;
  if (!OBJECTIVES.includes(objective)) throw new UsageError(`--objective must be one of ${OBJECTIVES.join(', ')}, got "${objective}"`);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const grid = str(raw.grid);
  if (raw.propose && !grid) throw new UsageError('--propose needs --grid: only a grid can find parameters better than the pinned ones', { hint: 'kobe walk-forward --grid "ibs_rsi.ibs_entry=0.05,0.08,0.1" --propose' });
  return {
    universe: str(raw.universe),
    cap: intFlag('--cap', raw.cap, 1, Number.MAX_SAFE_INTEGER),
    start,
    end,
    train: intFlag('--train', raw.train, 1, MAX_SESSIONS) ?? 252,
    test: intFlag('--test', raw.test, 1, MAX_SESSIONS) ?? 63,
    anchored: !!raw.anchored,
    warmup: intFlag('--warmup', raw.warmup, 0, MAX_SESSIONS),
    grid,
    objective,
    workers: intFlag('--workers', raw.workers, 1, MAX_WORKERS) ?? Math.min(2, os.availableParallelism()),
    params: str(raw.params),
    propose: !!raw.propose,
    out: str(raw.out),
  };
}

/** Commander wiring. */
export function register(program: Command, kit: Kit): void {
  program
    .command('walk-forward')
    .description('walk-forward: train/test splits in sessions, optional train-window grid, stitched out-of-sample equity, wf_report.html')
    .option('--universe <file>', 'universe CSV (first column symbol); default config data.universe')
    .option('--cap <n>', 'first N symbols of the universe; default config data.cap')
    .option('--start <YYYY-MM-DD>', 'first session a train window may start on (earlier bars only warm up)')
    .option('--end <YYYY-MM-DD>', 'last bar used; later bars are ignored')
    .option('--train <n>', 'train window in sessions (default 252)')
    .option('--test <n>', 'test window in sessions (default 63); a last window under half of it is dropped')
    .option('--anchored', 'train windows all start at the first session and grow (default: rolling)')
    .option('--warmup <n>', 'sessions of indicator history before each window (default max(sma_period, min_history_bars) + 20)')
    .option('--grid <spec>', 'train-window grid: section.key=v1,v2;section.key=v1,v2 (at most 256 points)')
    .option('--objective <name>', `what the grid maximises on train windows: ${OBJECTIVES.join('|')} (default sharpe)`)
    .option('--workers <n>', 'worker threads (default min(2, CPUs)); 1 still runs jobs in one worker thread')
    .option('--params <file>', 'research only: params the splits (and the grid) start from instead of the pinned ones')
    .option('--propose', 'with --grid: a chosen set that beats the pinned params out of sample becomes a pending approval')
    .option('--out <dir>', 'output folder; default reports/walkforward/<run id>')
    .addHelpText('after', '\nPaths are relative to the kobe home.\n\nExample:\n  kobe walk-forward\n  kobe walk-forward --anchored --test 126\n  kobe walk-forward --grid "ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5" --objective calmar --propose')
    .action(kit.action(parseWalkForward, runWalkForwardCommand, renderWalkForward));
}

/** Test seam: the worker entry (the CLI never sets it). */
export interface WalkForwardDeps {
  workerEntry?: URL;
}

/** Load the universe, run the splits on the worker pool, write the folder, propose when asked. */
export async function runWalkForwardCommand(ctx: KobeContext, opts: WalkForwardOptions, deps: WalkForwardDeps = {}): Promise<WalkForwardCommandResult> {
  ctx.requireHome();
  const { config, params: pinned, pin, paramsFile } = await ctx.config();
  const home = ctx.paths.home;
  const rel = (p: string) => displayPath(ctx.paths, p);
  let base = pinned;
  let paramsInfo = { version: pinned.version, sha256: pin, file: rel(paramsFile), pinned: true };
  if (opts.params) {
    const file = path.resolve(home, opts.params);
    base = parseParams(readInputFile(file, '--params'), rel(file));
    paramsInfo = { version: base.version, sha256: sha256File(file), file: rel(file), pinned: false };
  }
  const grid = opts.grid ? parseGrid(opts.grid, base) : null;
  const universeFile = path.resolve(home, opts.universe ?? config.data.universe);
  const cap = opts.cap ?? config.data.cap;
  const universe = loadUniverse(universeFile, cap);
  const bars = loadUniverseBars(await ctx.bars(), universe.symbols);
  if (bars.series.length === 0) throw new UsageError(`no bars for any of the ${universe.symbols.length} symbol(s) of ${rel(universeFile)}`, { hint: 'load bars with `kobe data seed` or `kobe data prefetch`' });
  const synthetic = (bars.sources.synthetic ?? 0) > 0;
  const settings = settingsFromConfig(config, 'portfolio');
  const spinner = await ctx.out.spinner(`walk-forward: ${bars.series.length} symbols on ${opts.workers} worker(s)${synthetic ? ' (SYNTHETIC DATA)' : ''}`);
  const run = await runWalkForward({
    series: bars.series, base, pinned, grid, objective: opts.objective, train: opts.train, test: opts.test, anchored: opts.anchored, warmup: opts.warmup,
    start: opts.start, end: opts.end, settings, workers: opts.workers, evaluateChosen: opts.propose, workerEntry: deps.workerEntry,
    onProgress: (phase, done, total) => spinner.update(`walk-forward: ${phase} ${done}/${total}`),
  }).catch((err: unknown) => {
    spinner.fail('walk-forward failed');
    throw err;
  });
  const summary = buildWfSummary(run, {
    inputs: { universe: rel(universeFile), cap, symbols_requested: universe.symbols.length, start: opts.start ?? null, end: opts.end ?? null, params: paramsInfo, data_sources: bars.sources },
    problems: { missing: bars.missing, unloadable: bars.unloadable, universe: universe.problems },
    synthetic, train: opts.train, test: opts.test, anchored: opts.anchored, objective: opts.objective, grid, settings, pinnedVersion: pinned.version,
  });
  const id = runId(ctx.clock.now());
  const dir = opts.out ? prepareOutDir(path.resolve(home, opts.out)) : freshRunDir(path.join(ctx.paths.reportsDir, 'walkforward'), id);
  const files = await writeWalkForwardFiles(dir, run, summary);
  spinner.succeed(`walk-forward: ${run.splits.length} splits, ${summary.oos.by_strategy.combined.trades} out-of-sample trades`);

  let proposal: WalkForwardCommandResult['proposal'] = null;
  const p = opts.propose ? proposalFor(run, { runId: id, report: rel(files.report), objective: opts.objective, grid: summary.walk_forward.grid, pinnedVersion: pinned.version }) : null;
  if (p) {
    const approval = await createParamsProposal(ctx.paths.state('approvals'), { ...p, by: ctx.user, now: ctx.clock.now(), base_pin: pin });
    proposal = { id: approval.id, approve: `kobe approve ${approval.id} --approver NAME` };
  }
  return { run_id: id, out_dir: dir, files, summary, proposal, sparkline: sparkline(run.oos.stitched.curve.equity, 60) };
}

/** Human rendering: the per-split table, the aggregate and the proposal on stdout; paths on stderr. */
export function renderWalkForward(out: Output, r: WalkForwardCommandResult): void {
  const s = r.summary;
  const wf = s.walk_forward;
  const n = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  if (s.synthetic) out.line(out.s.red(out.s.bold('SYNTHETIC DATA: these figures describe no real market')));
  out.line(`${wf.mode} walk-forward ${s.oos.first_date} to ${s.oos.last_date}: ${wf.splits} splits (train ${wf.train}, test ${wf.test}, warm-up ${wf.warmup}), objective ${wf.objective}${wf.grid ? `, grid ${wf.candidates} points` : ''}`);
  const rows = s.splits.map((x) => {
    const c = x.by_strategy.combined;
    return [String(x.split), `${x.test.start}..${x.test.end}`, paramsLabel(x.params.values, s.inputs.params.version), n(c.train_objective), n(c.test_objective), String(c.trades), pct(c.cagr), pct(c.max_drawdown)];
  });
  const a = s.oos.by_strategy.combined;
  rows.push(['all', `${s.oos.first_date}..${s.oos.last_date}`, 'walk-forward', n(a.train_objective), n(a.test_objective), String(a.trades), pct(a.cagr), pct(a.max_drawdown)]);
  if (s.baseline) out.info(`pinned ${s.baseline.params_version} on the same test windows: ${wf.objective} ${n(s.baseline.objective)}`);
  if (r.proposal) out.changed(`wrote pending approval ${r.proposal.id}: grid point ${s.better!.candidate} scores ${n(s.better!.objective)} out of sample vs ${n(s.better!.baseline_objective)} for the pinned params`);
  // The table loads cli-table3 on a TTY: the lines after it follow it, not race it.
  void out.table(['split', 'test window', 'params', 'train obj', 'test obj', 'trades', 'CAGR', 'max DD'], rows).then(() => {
    out.line(`OOS equity ${r.sparkline}`);
    if (r.proposal) out.line(`proposal ${r.proposal.id}; review ${r.files.report}, then: ${r.proposal.approve}`);
    else if (s.evaluated) out.line(`nothing better found: no chosen grid point beats the pinned params' out-of-sample ${wf.objective}; no proposal written`);
  });
  out.info(`report: ${r.files.report}`);
  out.info(`files:  ${r.out_dir}/{wf_summary.json,wf_summary.csv,oos_equity.csv,split_NN/}`);
}
