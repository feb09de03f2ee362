import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { dateFlag, intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { runBacktestAsync, settingsFromConfig } from '../core/backtest/engine.js';
import { type BacktestSummary, buildSummary, sparkline } from '../core/backtest/format.js';
import { loadUniverseBars } from '../core/backtest/load.js';
import { checkLookaheadAsync, type LookaheadReport } from '../core/backtest/lookahead.js';
import { type BacktestFiles, freshRunDir, runId, writeBacktestFiles } from '../core/backtest/output.js';
import { pct, usd } from '../core/backtest/report.js';
import type { SignalFn } from '../core/backtest/prepare.js';
import type { ProgressFn } from '../core/backtest/types.js';
import { parseParams, sha256File } from '../core/config/load.js';
import { loadUniverse } from '../core/data/universe.js';
import { CheckFailed, UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import { prepareOutDir, readInputFile } from '../core/util/files.js';

/** Parsed flags of `kobe backtest`. */
export interface BacktestOptions {
  universe?: string;
  cap?: number;
  start?: string;
  end?: string;
  perSignal: boolean;
  checkLookahead: boolean;
  params?: string;
  out?: string;
}

/** What `kobe backtest` returns (and prints with --json). */
export interface BacktestCommandResult {
  run_id: string;
  out_dir: string;
  files: BacktestFiles;
  summary: BacktestSummary;
  /** Equity (portfolio) or cumulative P&L (per-signal) as unicode blocks. */
  sparkline: string;
}


/** Validate the flags. */
export function parseBacktest(raw: Record<string, unknown>): BacktestOptions {
  const cap = intFlag('--cap', raw.cap, 1, Number.MAX_SAFE_INTEGER);
  const start = dateFlag('--start', raw.start);
  const end = dateFlag('--end', raw.end);
  if (start && end && start > end) throw new UsageError(`--start ${start} is after --end ${end}`);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return { universe: str(raw.universe), cap, start, end, perSignal: !!raw.perSignal, checkLookahead: !!raw.checkLookahead, params: str(raw.params), out: str(raw.out) };
}

/** Commander wiring. */
export function register(program: Command, kit: Kit): void {
  program
    .command('backtest')
    .description('portfolio backtest of both strategies (or --per-signal) with trade list, equity curve, summary and report.html')
    .option('--universe <file>', 'universe CSV (first column symbol); default config data.universe')
    .option('--cap <n>', 'first N symbols of the universe; default config data.cap')
    .option('--start <YYYY-MM-DD>', 'first session of the equity curve (earlier bars only warm up indicators)')
    .option('--end <YYYY-MM-DD>', 'last bar used; later bars are ignored')
    .option('--per-signal', 'every signal one share, no portfolio (as the Python system published its figures)')
    .option('--check-lookahead', 'first re-generate every signal on data cut at its bar; exit 5 if any changes')
    .option('--params <file>', 'research only: strategy params other than the pinned ones')
    .option('--out <dir>', 'output folder; default reports/backtest/<run id>')
    .addHelpText('after', '\nPaths are relative to the kobe home.\n\nExample:\n  kobe backtest\n  kobe backtest --start 2020-01-01 --per-signal --check-lookahead\n  kobe backtest --json | jq .summary.metrics.combined')
    .action(kit.action(parseBacktest, runBacktestCommand, renderBacktest));
}

/** One turn of the event loop, so a spinner can draw between chunks of work. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A progress callback that updates a spinner at most every 100 ms. */
function progressTo(update: (t: string) => void, now: () => number): ProgressFn {
  let last = 0;
  return (phase, done, total) => {
    const t = now();
    if (t - last < 100 && done < total) return;
    last = t;
    update(`backtest: ${phase} ${done}/${total}`);
  };
}

/** Test seam: a replacement signal generator (the CLI never sets it). */
export interface BacktestDeps {
  signalFn?: SignalFn;
}

/** Load the universe's bars, optionally check lookahead, run, and write the run's folder. */
export async function runBacktestCommand(ctx: KobeContext, opts: BacktestOptions, deps: BacktestDeps = {}): Promise<BacktestCommandResult> {
  ctx.requireHome();
  const { config, params: pinned, pin, paramsFile } = await ctx.config();
  const home = ctx.paths.home;
  const rel = (p: string) => displayPath(ctx.paths, p);
  let params = pinned;
  let paramsInfo = { version: pinned.version, sha256: pin, file: rel(paramsFile), pinned: true };
  if (opts.params) {
    const file = path.resolve(home, opts.params);
    params = parseParams(readInputFile(file, '--params'), rel(file));
    paramsInfo = { version: params.version, sha256: sha256File(file), file: rel(file), pinned: false };
  }
  const universeFile = path.resolve(home, opts.universe ?? config.data.universe);
  const cap = opts.cap ?? config.data.cap;
  const universe = loadUniverse(universeFile, cap);
  const bars = loadUniverseBars(await ctx.bars(), universe.symbols);
  if (bars.series.length === 0) {
    throw new UsageError(`no bars for any of the ${universe.symbols.length} symbol(s) of ${rel(universeFile)}`, { hint: 'load bars with `kobe data seed` or `kobe data prefetch --universe ' + rel(universeFile) + '`' });
  }
  const synthetic = (bars.sources.synthetic ?? 0) > 0;
  const spinner = await ctx.out.spinner(`backtest: ${bars.series.length} symbols${synthetic ? ' (SYNTHETIC DATA)' : ''}`);
  const onProgress = progressTo((t) => spinner.update(t), () => Date.now());

  let lookahead: LookaheadReport | null = null;
  if (opts.checkLookahead) {
    lookahead = await checkLookaheadAsync(bars.series, params, { start: opts.start, end: opts.end, onProgress, signalFn: deps.signalFn }, pause);
    if (!lookahead.ok) {
      spinner.fail('lookahead check failed');
      for (const m of lookahead.mismatches.slice(0, 10)) ctx.out.info(`  ${m.symbol} ${m.date}: ${m.detail}`);
      throw new CheckFailed(`lookahead: ${lookahead.mismatch_count} of ${lookahead.checked_bars} signal bar(s) changed when the data was cut at the signal`, {
        result: { lookahead },
        hint: 'a feature uses bars after the signal bar; no backtest figure can be trusted until it is fixed',
      });
    }
  }

  const settings = settingsFromConfig(config, opts.perSignal ? 'per_signal' : 'portfolio', { start: opts.start, end: opts.end });
  const result = await runBacktestAsync({ series: bars.series, params, settings, onProgress, signalFn: deps.signalFn }, pause);
  if (result.curve.days.length === 0) {
    spinner.fail('nothing to backtest');
    throw new UsageError(`no bars between ${opts.start ?? 'the first bar'} and ${opts.end ?? 'the last bar'}`, { hint: 'check --start/--end against `kobe data list`' });
  }
  const summary = buildSummary(
    result,
    { universe: rel(universeFile), cap, symbols_requested: universe.symbols.length, start: opts.start ?? null, end: opts.end ?? null, params: paramsInfo, data_sources: bars.sources },
    { missing: bars.missing, unloadable: bars.unloadable, universe: universe.problems, bad_bars: result.bad_bars },
    lookahead,
    synthetic,
  );
  const id = runId(ctx.clock.now());
  const dir = opts.out ? prepareOutDir(path.resolve(home, opts.out)) : freshRunDir(path.join(ctx.paths.reportsDir, 'backtest'), id);
  const files = await writeBacktestFiles(dir, result, summary);
  spinner.succeed(`backtest: ${result.trades.length} trades over ${result.curve.days.length} sessions`);
  return { run_id: id, out_dir: dir, files, summary, sparkline: sparkline(result.curve.equity, 60) };
}

/** Human rendering: summary table and sparkline on stdout, problems and paths on stderr. */
export function renderBacktest(out: Output, r: BacktestCommandResult): void {
  const s = r.summary;
  const perSignal = s.mode === 'per_signal';
  if (s.synthetic) out.line(out.s.red(out.s.bold('SYNTHETIC DATA: these figures describe no real market')));
  out.line(`${perSignal ? 'per-signal' : 'portfolio'} backtest ${s.period.first_date ?? '-'} to ${s.period.last_date ?? '-'}: ${s.period.symbols} symbols, ${s.period.sessions} sessions, params ${s.inputs.params.version}`);
  const groups = [s.metrics.combined, s.metrics.by_strategy.ibs_rsi, s.metrics.by_strategy.turtle_soup];
  const n = (x: number | null, d = 2) => (x === null ? 'n/a' : x.toFixed(d));
  const rows: Array<[string, (m: (typeof groups)[number]) => string]> = [
    ['trades', (m) => String(m.trades)],
    ['win rate', (m) => pct(m.win_rate, 1)],
    ['profit factor', (m) => n(m.profit_factor)],
    [perSignal ? 'P&L per share' : 'P&L', (m) => usd(m.total_pnl, 2)],
    ['avg return', (m) => pct(m.avg_return, 3)],
    ['avg bars held', (m) => n(m.avg_bars_held)],
    ...(perSignal
      ? []
      : ([
          ['CAGR', (m) => pct(m.cagr)],
          ['Sharpe', (m) => n(m.sharpe)],
          ['Sortino', (m) => n(m.sortino)],
          ['max drawdown', (m) => pct(m.max_drawdown)],
        ] as Array<[string, (m: (typeof groups)[number]) => string]>)),
    [perSignal ? 'time in market' : 'exposure', (m) => pct(m.exposure, 1)],
    ['exits stop/target/signal/time/end', (m) => `${m.exit_reasons.stop}/${m.exit_reasons.target}/${m.exit_reasons.signal}/${m.exit_reasons.time}/${m.exit_reasons.end}`],
  ];
  // The table loads cli-table3 on a TTY: the sparkline follows it, not races it.
  void out.table(['metric', 'combined', 'ibs_rsi', 'turtle_soup'], rows.map(([label, f]) => [label, ...groups.map(f)])).then(() => out.line(`${perSignal ? 'P&L   ' : 'equity'} ${r.sparkline}`));
  const p = s.data_problems;
  if (p.missing.length) out.warn(`${p.missing.length} universe symbol(s) have no bars: ${p.missing.slice(0, 10).join(', ')}${p.missing.length > 10 ? ', ...' : ''}`);
  for (const u of p.universe) out.warn(`universe line ${u.line}: "${u.value}" ${u.problem}`);
  for (const u of p.unloadable) out.warn(`${u.symbol} not loaded: ${u.problem}`);
  for (const b of p.bad_bars) out.warn(`${b.symbol}: ${b.bars} bad bar(s) from ${b.first_date} (${b.first_reason}), never traded on`);
  if (s.lookahead) out.info(`lookahead check passed: ${s.lookahead.checked_signals} signals on ${s.lookahead.checked_bars} bars unchanged on truncated data`);
  out.info(`report: ${r.files.report}`);
  out.info(`files:  ${path.dirname(r.files.report)}/{trade_list.csv,equity_curve.csv,summary.json}`);
}
