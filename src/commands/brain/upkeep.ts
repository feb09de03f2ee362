// The brain's non-trading tasks: daily report, research (nightly short-window backtest, Saturday
// deep backtest), log rotation, data audit and state backup. Research reads the bars through the
// completed-sessions view, so a replayed night never sees the sessions after it.
import path from 'node:path';
import { runBacktest, settingsFromConfig } from '../../core/backtest/engine.js';
import { buildSummary, equityCurveCsv, summaryJson, tradeListCsv } from '../../core/backtest/format.js';
import { loadUniverseBars } from '../../core/backtest/load.js';
import { writeBacktestFiles } from '../../core/backtest/output.js';
import { renderDailyReport } from '../../core/brain/report.js';
import { rotateLogs } from '../../core/brain/rotate.js';
import type { Task } from '../../core/brain/schedule.js';
import type { TaskRecord } from '../../core/brain/loop.js';
import { loadUniverse } from '../../core/data/universe.js';
import { AuthError, CheckFailed, ConnectivityError, UsageError, errorText } from '../../core/errors.js';
import { addSessions } from '../../core/market/calendar.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import { displayPath } from '../../core/paths.js';
import { atomicWrite } from '../../core/state/atomic.js';
import { PositionsFile, RiskVetoesFile } from '../../core/state/schemas.js';
import { readTrades } from '../../core/trade/journal.js';
import { runDataVerify } from '../data/verify.js';
import { runStateBackup } from '../state/backup.js';
import { runWalkForwardCommand } from '../walk-forward.js';
import { failed, ok, type BrainEnv, type TaskResult } from './env.js';

/** Sessions of the fallback nightly backtest (one quarter), after indicator warm-up. */
export const NIGHTLY_SESSIONS = 63;

/** reports/daily_YYYY-MM-DD.md from the broker, the journal, the ledger, the vetoes and today's tasks. */
export async function dailyReportTask(env: BrainEnv, task: Task, tasksToday: TaskRecord[], nav: { start_of_day: { date: string; equity: number }; peak: number } | null): Promise<TaskResult> {
  const store = await env.ctx.state();
  const broker = await env.ctx.broker();
  const account = await broker.account().catch(() => null);
  const positions = await broker.positions().catch(() => []);
  const vetoes = store.read(RiskVetoesFile);
  const ts = env.ctx.tradingState();
  const idx = env.bars.index().symbols;
  const trades = readTrades(env.ctx.paths.logsDir).trades.filter((t) => t.session_date === task.date);
  const md = renderDailyReport({
    date: task.date, generated_at: env.clock.now().toISOString(), mode: env.config.trading.mode, broker: env.config.broker.name,
    synthetic: Object.values(idx).some((e) => e.source === 'synthetic'), trading_state: ts.state, kill_reason: ts.record?.reason ?? null,
    account, start_of_day_equity: nav && nav.start_of_day.date === task.date ? nav.start_of_day.equity : null, peak_equity: nav?.peak ?? null,
    trades, positions, ledger: store.read(PositionsFile).positions, vetoes_today: vetoes.date === task.date ? vetoes.today : {}, tasks: tasksToday,
  });
  const file = path.join(env.ctx.paths.reportsDir, `daily_${task.date}.md`);
  await atomicWrite(file, md);
  const pnl = /P&L today: ([^\n]+)/.exec(md)?.[1] ?? 'n/a';
  return ok(`${displayPath(env.ctx.paths, file)}: ${trades.length} trade record(s), ${positions.length} position(s); P&L today ${pnl}`);
}

/** A portfolio backtest over the universe, bars through the last completed session. */
async function backtestThrough(env: BrainEnv, start: string | undefined) {
  const end = lastCompletedSession(env.clock.now());
  const u = loadUniverse(path.resolve(env.ctx.paths.home, env.config.data.universe), env.config.data.cap);
  const bars = loadUniverseBars(env.bars, u.symbols);
  if (bars.series.length === 0) return null;
  const settings = settingsFromConfig(env.config, 'portfolio', { start, end });
  const result = runBacktest({ series: bars.series, params: env.params, settings });
  const { paramsFile, pin } = await env.ctx.config();
  const summary = buildSummary(
    result,
    { universe: displayPath(env.ctx.paths, path.resolve(env.ctx.paths.home, env.config.data.universe)), cap: env.config.data.cap, symbols_requested: u.symbols.length, start: start ?? null, end, params: { version: env.params.version, sha256: pin, file: displayPath(env.ctx.paths, paramsFile), pinned: true }, data_sources: bars.sources },
    { missing: bars.missing, unloadable: bars.unloadable, universe: u.problems, bad_bars: result.bad_bars },
    null,
    (bars.sources.synthetic ?? 0) > 0,
  );
  return { result, summary, end };
}

const metricsText = (m: { trades: number; total_pnl: number; win_rate: number | null; max_drawdown: number | null }) =>
  `${m.trades} trades, P&L ${m.total_pnl.toFixed(2)}, win rate ${m.win_rate === null ? 'n/a' : `${(m.win_rate * 100).toFixed(1)}%`}, max drawdown ${m.max_drawdown === null ? 'n/a' : `${(m.max_drawdown * 100).toFixed(1)}%`}`;

/** Nightly walk-forward: short rolling windows (train 126, test 21) over the last year, pinned params, one worker thread, or the research queue when config research.queue is set. */
export const NIGHTLY_WF = { train: 126, test: 21, sessions: 252 } as const;

/** How long the nightly run waits for a queue worker before it runs on the brain's host instead. */
export const NIGHTLY_QUEUE_WAIT_S = 120;

/** Nightly research: the walk-forward on a short window; a quarter's backtest when the history is too short for one split. */
export async function nightlyResearchTask(env: BrainEnv, task: Task): Promise<TaskResult> {
  const end = lastCompletedSession(env.clock.now());
  const start = addSessions(end, -(NIGHTLY_WF.sessions - 1));
  try {
    // On the queue the brain only waits for the workers; without one, a single thread keeps the trading host free.
    const opts = { start, end, train: NIGHTLY_WF.train, test: NIGHTLY_WF.test, anchored: false, objective: 'sharpe' as const, workers: 1, propose: false, out: path.join('reports', 'walkforward', `nightly-${task.date}`) };
    let local = '';
    let r: Awaited<ReturnType<typeof runWalkForwardCommand>>;
    const here = { runner: env.researchPool.factory };
    if (env.config.research.queue === undefined) r = await runWalkForwardCommand(env.ctx, { ...opts, queue: false }, here);
    else {
      try {
        r = await runWalkForwardCommand(env.ctx, { ...opts, queue: true, workerWait: NIGHTLY_QUEUE_WAIT_S });
      } catch (err) {
        // Research must not stall the trading process: no Redis or no worker, the night runs here.
        if (!(err instanceof ConnectivityError || err instanceof AuthError)) throw err;
        local = ` locally: the queue could not be used (${errorText(err)})`;
        r = await runWalkForwardCommand(env.ctx, { ...opts, queue: false }, here);
      }
    }
    const m = r.summary.oos.by_strategy.combined;
    const on = r.queue ? ` on the queue (${r.queue.workers.length} worker(s))` : local;
    const pctOf = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
    return ok(`walk-forward ${start}..${end} (train ${NIGHTLY_WF.train}, test ${NIGHTLY_WF.test}, rolling)${on}: ${r.summary.walk_forward.splits} splits, out of sample ${m.trades} trades, Sharpe ${m.sharpe?.toFixed(2) ?? 'n/a'}, win rate ${pctOf(m.win_rate)}, max drawdown ${pctOf(m.max_drawdown)}, final equity ${r.summary.oos.final_equity.toFixed(2)} -> ${displayPath(env.ctx.paths, r.out_dir)}`);
  } catch (err) {
    if (!(err instanceof UsageError && /not enough sessions/.test(err.message))) throw err;
  }
  const qstart = addSessions(end, -(NIGHTLY_SESSIONS - 1));
  const r = await backtestThrough(env, qstart);
  if (!r) return failed('no bars for the universe: nothing to backtest');
  const dir = path.join(env.ctx.paths.reportsDir, 'backtest', `nightly-${task.date}`);
  // The three data files; the HTML report is the Saturday run's.
  await atomicWrite(path.join(dir, 'summary.json'), summaryJson(r.summary));
  await atomicWrite(path.join(dir, 'trade_list.csv'), tradeListCsv(r.result.trades));
  await atomicWrite(path.join(dir, 'equity_curve.csv'), equityCurveCsv(r.result.curve, r.result.mode));
  return ok(`history too short for a walk-forward split: backtest ${qstart}..${r.end} instead: ${metricsText(r.summary.metrics.combined)} -> ${displayPath(env.ctx.paths, dir)}`);
}

/** Saturday: the full-history backtest with its HTML report. */
export async function deepBacktestTask(env: BrainEnv, task: Task): Promise<TaskResult> {
  const r = await backtestThrough(env, undefined);
  if (!r) return failed('no bars for the universe: nothing to backtest');
  const dir = path.join(env.ctx.paths.reportsDir, 'backtest', `weekly-${task.date}`);
  const files = await writeBacktestFiles(dir, r.result, r.summary);
  return ok(`full-history backtest ${r.result.first_date}..${r.end}: ${metricsText(r.summary.metrics.combined)} -> ${displayPath(env.ctx.paths, files.report)}`);
}

/** Saturday: rotate events.jsonl and kobe.log; `reopen` gives the brain fresh loggers on the new files. */
export async function logRotationTask(env: BrainEnv, reopen: () => Promise<void>): Promise<TaskResult> {
  const rows = rotateLogs(env.ctx.paths.logsDir, env.clock.now());
  const moved = rows.filter((r) => r.rotated_to);
  if (moved.length) await reopen();
  return ok(rows.map((r) => `${r.file}: ${r.rotated_to ? `-> ${r.rotated_to} (${r.reason})` : r.reason}`).join('; ') + '; trades.jsonl is never rotated');
}

/** Sunday: data verify over the whole store (as of the last completed session). */
export async function dataAuditTask(env: BrainEnv): Promise<TaskResult> {
  try {
    const r = await runDataVerify(env.ctx, { asOf: lastCompletedSession(env.clock.now()), maxFindings: 20 });
    return ok(`clean: ${r.symbols_checked} symbols, ${r.bars_checked} bars through ${r.expected_last}`);
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    return failed(err.message, { result: (err.result as { by_check?: unknown })?.by_check ?? null });
  }
}

/** Sunday: snapshot state/ into data/snapshots/. */
export async function stateBackupTask(env: BrainEnv): Promise<TaskResult> {
  const r = await runStateBackup(env.ctx, { list: false });
  return ok(`snapshot ${r.stamp}: ${r.files} file(s)`);
}
