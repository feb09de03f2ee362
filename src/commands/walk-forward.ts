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
import { ConnectivityError, UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { prepareOutDir, readInputFile } from '../core/util/files.js';
import { OBJECTIVES, type Objective, parseGrid } from '../core/walkforward/grid.js';
import { type WalkForwardFiles, writeWalkForwardFiles } from '../core/walkforward/output.js';
import { MAX_WORKERS } from '../core/walkforward/pool.js';
import { proposalFor } from '../core/walkforward/propose.js';
import { runWalkForward } from '../core/walkforward/run.js';
import { MAX_SESSIONS } from '../core/walkforward/splits.js';
import { type WfSummary, buildWfSummary, paramsLabel } from '../core/walkforward/summary.js';
import { ProgressLine } from '../core/walkforward/queue/progress.js';
import type { QueueReport, QueueRunner } from '../core/walkforward/queue/runner.js';
import type { JobRunnerFactory } from '../core/walkforward/runner.js';
import type { QueueSession } from '../core/walkforward/queue/runs.js';
import { type QueueUrl, queueSecrets, resolveQueueUrl } from '../core/walkforward/queue/url.js';
import { VERSION } from '../cli/version.js';

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
  /** `--queue URL`, bare `--queue` (KOBE_REDIS_URL / research.queue), `--no-queue` (false), or unset (config decides). */
  queue?: string | boolean;
  /** Run id of a queue run to continue; its options come from Redis. */
  resume?: string;
  /** Queue runs: seconds without any worker taking a job before the run stops (default research.worker_wait_seconds). */
  workerWait?: number;
}

/** Flags that shape a run: a resumed run takes them from Redis instead. */
const RUN_FLAGS = ['universe', 'cap', 'start', 'end', 'train', 'test', 'anchored', 'warmup', 'grid', 'objective', 'params', 'propose', 'out'] as const;

/** What `kobe walk-forward` returns (and prints with --json). */
export interface WalkForwardCommandResult {
  run_id: string;
  out_dir: string;
  files: WalkForwardFiles;
  summary: WfSummary;
  /** With --propose: the pending approval, or null when nothing beat the pinned params. */
  proposal: { id: string; approve: string } | null;
  sparkline: string;
  /** Queue runs: where the jobs ran (the URL without its password), bars published, workers seen. */
  queue?: QueueReport;
}

/** Validate the flags. */
export function parseWalkForward(raw: Record<string, unknown>): WalkForwardOptions {
  if (raw.resume !== undefined) {
    const given = RUN_FLAGS.filter((k) => raw[k] !== undefined && raw[k] !== false);
    if (given.length) throw new UsageError(`--resume continues a run with the options it started with; drop ${given.map((k) => `--${k}`).join(', ')}`);
    if (raw.queue === false) throw new UsageError('--resume needs the queue; drop --no-queue');
  }
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
    queue: typeof raw.queue === 'string' || typeof raw.queue === 'boolean' ? raw.queue : undefined,
    resume: str(raw.resume),
    workerWait: intFlag('--worker-wait', raw.workerWait, 1, 86_400),
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
    .option('--queue [url]', 'run the jobs on `kobe worker` processes through Redis: redis://[user:pass@]host:port[/db] or rediss://; bare: KOBE_REDIS_URL, else config research.queue')
    .option('--no-queue', 'run locally even when config research.queue is set')
    .option('--resume <run-id>', 'continue a queue run (after Redis was lost) from the results already in Redis')
    .option('--worker-wait <s>', 'queue runs: stop (exit 4, resumable) when no worker takes a job this long (default config research.worker_wait_seconds)')
    .addHelpText('after', '\nPaths are relative to the kobe home. Keep a Redis password in .env (KOBE_REDIS_URL), not on the command line.\n\nExample:\n  kobe walk-forward\n  kobe walk-forward --anchored --test 126\n  kobe walk-forward --grid "ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5" --objective calmar --propose\n  kobe walk-forward --grid "ibs_rsi.ibs_entry=0.05,0.1" --queue redis://127.0.0.1:6379/0\n  kobe walk-forward --resume 20250102T030405Z')
    .action(kit.action(parseWalkForward, runWalkForwardCommand, renderWalkForward));
}

/** Test seam: the worker entry (the CLI never sets it). */
export interface WalkForwardDeps {
  workerEntry?: URL;
  /** Local runs: where the jobs run instead of a pool started for this run (the brain keeps one). */
  runner?: JobRunnerFactory;
}

/** The queue a run uses, or null for the local pool: --queue, else research.queue (see resolveQueueUrl). */
async function queueUrlOf(ctx: KobeContext, research: { queue?: string }, opts: WalkForwardOptions): Promise<QueueUrl | null> {
  if (opts.queue === false || (opts.queue === undefined && research.queue === undefined && !opts.resume)) return null;
  const env = (await ctx.secrets()).KOBE_REDIS_URL;
  const url = resolveQueueUrl({ flag: typeof opts.queue === 'string' ? opts.queue : undefined, env, config: research.queue });
  if (!url) throw new UsageError(`${opts.resume ? '--resume' : '--queue'} needs a Redis URL: --queue URL, KOBE_REDIS_URL in .env, or config research.queue`, { hint: 'kobe walk-forward --queue redis://127.0.0.1:6379/0' });
  ctx.redactor.add(...queueSecrets(url));
  if (typeof opts.queue === 'string' && url.password) ctx.out.warn('a password on the command line is visible to other users of this machine; put the URL in .env as KOBE_REDIS_URL');
  return url;
}

/** Load the universe, run the splits on the worker pool (or the queue), write the folder, propose when asked. */
export async function runWalkForwardCommand(ctx: KobeContext, opts: WalkForwardOptions, deps: WalkForwardDeps = {}): Promise<WalkForwardCommandResult> {
  ctx.requireHome();
  const { config } = await ctx.config();
  const url = await queueUrlOf(ctx, config.research, opts);
  if (!url) return walkForward(ctx, opts, deps, null);
  const { QueueSession } = await import('../core/walkforward/queue/runs.js');
  const again = typeof opts.queue === 'string' ? ' with the same --queue' : '';
  const session = await QueueSession.open({ url, version: VERSION, lockMs: config.research.lock_seconds * 1000, idleMs: (opts.workerWait ?? config.research.worker_wait_seconds) * 1000, resumeHint: (id) => `when Redis is back: kobe walk-forward --resume ${id}${again}` });
  try {
    if (!opts.resume) return await walkForward(ctx, opts, deps, session);
    const stored = (await session.loadRun(opts.resume)).input as WalkForwardOptions;
    return await walkForward(ctx, { ...stored, queue: opts.queue, resume: opts.resume, workers: opts.workers }, deps, session);
  } finally {
    await session.close();
  }
}

async function walkForward(ctx: KobeContext, opts: WalkForwardOptions, deps: WalkForwardDeps, session: QueueSession | null): Promise<WalkForwardCommandResult> {
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
  const parent = path.join(ctx.paths.reportsDir, 'walkforward');
  // A queue run is named before it starts (workers and --resume find it by that name).
  const stamp = runId(ctx.clock.now());
  const names = function* () {
    for (let k = 1; ; k++) if (!fs.existsSync(path.join(parent, k === 1 ? stamp : `${stamp}-${k}`))) yield k === 1 ? stamp : `${stamp}-${k}`;
  };
  const id = !session ? null : opts.resume ?? (await session.claimRun(names(), { ...opts, queue: undefined, resume: undefined }, ctx.clock.now()));
  let runner: QueueRunner | null = null;
  const where = session ? `the queue ${session.display} (run ${id})` : `${opts.workers} worker(s)`;
  const line = new ProgressLine();
  // ora animates only here (Output.spinner): elsewhere queue runs print a line per 10% instead.
  const animated = ctx.out.color && !ctx.out.json && ((ctx.out.streams.stderr as { columns?: number }).columns ?? 0) > 0;
  const spinner = await ctx.out.spinner(`walk-forward: ${bars.series.length} symbols on ${where}${synthetic ? ' (SYNTHETIC DATA)' : ''}`);
  const run = await runWalkForward({
    series: bars.series, base, pinned, grid, objective: opts.objective, train: opts.train, test: opts.test, anchored: opts.anchored, warmup: opts.warmup,
    start: opts.start, end: opts.end, settings, workers: opts.workers, evaluateChosen: opts.propose, workerEntry: deps.workerEntry,
    runner: session ? async (b) => (runner = await (await import('../core/walkforward/queue/runner.js')).QueueRunner.open(session, id!, b)) : deps.runner,
    onProgress: (ph, done, total, info) => {
      const l = line.next(ph, done, total, ctx.clock.now().getTime(), info);
      spinner.update(l.text);
      if (session && l.tenth && !animated) ctx.out.info(l.text);
    },
  }).catch((err: unknown) => {
    spinner.fail(`walk-forward failed${err instanceof ConnectivityError && id ? ` (run ${id} stays in Redis for --resume)` : ''}`);
    throw err;
  });
  const summary = buildWfSummary(run, {
    inputs: { universe: rel(universeFile), cap, symbols_requested: universe.symbols.length, start: opts.start ?? null, end: opts.end ?? null, params: paramsInfo, data_sources: bars.sources },
    problems: { missing: bars.missing, unloadable: bars.unloadable, universe: universe.problems },
    synthetic, train: opts.train, test: opts.test, anchored: opts.anchored, objective: opts.objective, grid, settings, pinnedVersion: pinned.version,
  });
  const runName = id ?? runId(ctx.clock.now());
  const dir = opts.out ? prepareOutDir(path.resolve(home, opts.out)) : freshRunDir(parent, runName);
  const files = await writeWalkForwardFiles(dir, run, summary);
  spinner.succeed(`walk-forward: ${run.splits.length} splits, ${summary.oos.by_strategy.combined.trades} out-of-sample trades`);

  let proposal: WalkForwardCommandResult['proposal'] = null;
  const p = opts.propose ? proposalFor(run, { runId: runName, report: rel(files.report), objective: opts.objective, grid: summary.walk_forward.grid, pinnedVersion: pinned.version }) : null;
  if (p) {
    const approval = await createParamsProposal(ctx.paths.state('approvals'), { ...p, by: ctx.user, now: ctx.clock.now(), base_pin: pin });
    proposal = { id: approval.id, approve: `kobe approve ${approval.id} --approver NAME` };
  }
  const queue = (runner as QueueRunner | null)?.report();
  return { run_id: runName, out_dir: dir, files, summary, proposal, sparkline: sparkline(run.oos.stitched.curve.equity, 60), ...(queue ? { queue } : {}) };
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
  if (r.queue) {
    const q = r.queue;
    const mb = (n: number) => (n / 1e6).toFixed(1);
    out.info(`queue run ${q.run_id} on ${q.queue}: ${q.jobs} job(s) on ${q.workers.length} worker(s)${q.reused ? `, ${q.reused} from before --resume` : ''}; bars ${q.bars.hash.slice(0, 12)} ${mb(q.bars.bytes)} MB, ${mb(q.bars.compressed)} MB gzipped${q.bars.reused ? ' (already in Redis)' : ` in ${Math.round(q.bars.ms)} ms`}`);
  }
  out.info(`report: ${r.files.report}`);
  out.info(`files:  ${r.out_dir}/{wf_summary.json,wf_summary.csv,oos_equity.csv,split_NN/}`);
}
