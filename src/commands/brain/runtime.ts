// Builds a running brain from a context: the task context on the brain's clock, the loop with
// its hooks (tasks, heartbeat, kill switch poll, triggers, NAV, telemetry, alerts), the health
// server and the crash-only startup path (reconcile first, then the exit catch-up). Live and
// replay differ only in the clock and the waiter.
import path from 'node:path';
import { createContext, type KobeContext } from '../../cli/context.js';
import { createAlerts } from '../../core/alerts/index.js';
import type { NavState, RiskSnapshot } from '../../core/brain/contracts.js';
import type { Alerts } from '../../core/ports/alerts.js';
import { writeHeartbeat } from '../../core/brain/heartbeat.js';
import { assessHealth, startHealthServer, type HealthReport, type HealthServer } from '../../core/brain/health.js';
import { BrainLoop, type CycleRecord, type LoopStatus, type TaskResult, type Waiter } from '../../core/brain/loop.js';
import { BrainMetrics, prometheusExporter, type MetricsSnapshot } from '../../core/brain/metrics.js';
import { navTriggerFields, updateNav } from '../../core/brain/nav.js';
import { brainSchedule, type Task } from '../../core/brain/schedule.js';
import { buildDiagnostics, buildRiskSnapshot, publishTelemetry, readTelemetry } from '../../core/brain/telemetry.js';
import { evaluateTriggers, fireTriggers } from '../../core/brain/triggers.js';
import { KobeError, errorText } from '../../core/errors.js';
import { marketStatus } from '../../core/market/phases.js';
import { etDate } from '../../core/market/time.js';
import type { Clock } from '../../core/ports/clock.js';
import type { TradingState } from '../../core/risk/trading-state.js';
import { atomicWrite } from '../../core/state/atomic.js';
import { HeartbeatFile, LastReconcileFile, RiskVetoesFile } from '../../core/state/schemas.js';
import { completedBars, newRun, withCompletedBars, type BrainEnv } from './env.js';
import { ensureProtection } from '../../core/oms/protect.js';
import { followOrderStream } from '../../core/oms/stream.js';
import { dataRefresh, exitsTask, preflightTask, reconcileTask, tradeCycleTask, watchlistBuildTask, watchlistValidateTask } from './tasks.js';
import { dailyReportTask, dataAuditTask, deepBacktestTask, logRotationTask, nightlyResearchTask, stateBackupTask } from './upkeep.js';
import { KeptPool } from '../../core/walkforward/pool.js';

/** How to build a brain. */
export interface BrainOptions {
  mode: 'live' | 'replay';
  clock: Clock;
  waiter: Waiter;
  once?: boolean;
  /** Replay: stop before this instant. */
  end?: Date;
  /** Serve /health and /metrics (config health.host:port unless `port` is given). */
  serve?: boolean;
  port?: number;
  /** Tests: an alert sender to observe. */
  alerts?: Alerts;
  /** False: the research tasks (nightly walk-forward, deep backtest) are skipped, for quick replays. */
  research?: boolean;
  onCycle?: (c: CycleRecord, brain: Brain) => Promise<void> | void;
}

/** What startup (the recovery path) did. */
export interface StartupReport {
  reconcile: string;
  /** True only when the start-up reconcile ran and was clean: exits are managed on a reconciled book only. */
  reconciled: boolean;
  exits: string;
}

/** A built brain. */
export interface Brain {
  env: BrainEnv;
  loop: BrainLoop;
  server: HealthServer | null;
  startup(): Promise<StartupReport>;
  run(): Promise<LoopStatus>;
  health(): HealthReport;
  snapshot(): MetricsSnapshot;
  close(): Promise<void>;
}

const quiet = { write: () => true };
/** Idle cycles (exit checks with an empty ledger) refresh NAV and telemetry at most this often. */
export const IDLE_REFRESH_MS = 60 * 60_000;
/** A telemetry document without its clock fields (ts and ages), to tell a real change. */
const clockless = (doc: object) => JSON.stringify(doc, (k, v) => (k === 'ts' || k.endsWith('_age_s') ? undefined : v));

/** In a replay, whether a write keyed `key` is due: a new key, `force`, or 250 ms of wall time since the last; live, always. */
function replayGate(replay: boolean): (key: string, force?: boolean) => boolean {
  let lastKey = '';
  let lastAt = -Infinity;
  return (key, force = false) => {
    if (replay && !force && key === lastKey && performance.now() - lastAt < 250) return false;
    lastKey = key;
    lastAt = performance.now();
    return true;
  };
}

/** Build the brain on `base`'s home with the options' clock. */
export async function createBrain(base: KobeContext, o: BrainOptions): Promise<Brain> {
  base.requireHome();
  const makeCtx = () => createContext({ home: base.paths.home, clock: o.clock, env: base.env, json: true, color: false, streams: { stdout: quiet, stderr: quiet } });
  const inner = await makeCtx();
  const bars = completedBars(inner, o.clock);
  const { config, params } = await inner.config();
  const alerts = o.alerts ?? createAlerts({ enabled: config.telegram.enabled, apiBase: config.telegram.api_base, token: (await inner.secrets()).TELEGRAM_BOT_TOKEN, chatId: (await inner.secrets()).TELEGRAM_CHAT_ID, minIntervalS: config.telegram.min_interval_s, log: await inner.log() });
  const metrics = new BrainMetrics();
  const env: BrainEnv = { ctx: withCompletedBars(inner, bars), config, params, clock: o.clock, events: await inner.events(), alerts, metrics, bars, run: newRun(), replay: o.mode === 'replay', researchPool: new KeptPool(1) };
  const paths = base.paths;
  const stateStore = await inner.state();
  // The heartbeat is rewritten every cycle: a corrupt one is reported (exit 3), never overwritten.
  if (stateStore.exists(HeartbeatFile)) stateStore.read(HeartbeatFile);
  const telemetryDir = path.join(paths.logsDir, 'state');
  let nav: NavState | null = readTelemetry(telemetryDir).nav;
  let risk: RiskSnapshot | null = null;
  let seen: TradingState = env.ctx.tradingState();
  let tasksToday: CycleRecord['tasks'] = [];

  // A fresh task context: new loggers (after a rotation) and a new broker, so a live sim re-reads
  // bars fetched since; live brains take one at each ET day change.
  let ctxDay = etDate(o.clock.now());
  const reopen = async () => {
    const next = await makeCtx();
    env.ctx = withCompletedBars(next, bars);
    env.events = await next.events();
    ctxDay = etDate(o.clock.now());
  };

  const runTask = async (t: Task): Promise<TaskResult> => {
    if (o.mode === 'live' && etDate(o.clock.now()) !== ctxDay) await reopen();
    const t0 = performance.now();
    const r = await runOne(t).catch((err): TaskResult => ({ status: 'failed', detail: errorText(err) }));
    metrics.task(t.kind, (performance.now() - t0) / 1000, r.status);
    if (t.critical && r.status === 'failed') env.run.criticalFailures++;
    else if (t.critical && r.status === 'ok') env.run.criticalFailures = 0;
    env.events.emit('brain_task', { task: t.id, kind: t.kind, status: r.status, detail: r.detail }, r.status === 'failed' ? 'error' : 'info');
    if (r.status === 'failed') env.alerts.send('error', `task ${t.id} failed: ${r.detail}`);
    return r;
  };
  const runOne = async (t: Task): Promise<TaskResult> => {
    if (o.research === false && (t.kind === 'nightly_research' || t.kind === 'deep_backtest')) return { status: 'skipped', detail: 'research tasks are off for this run (research: false)' };
    switch (t.kind) {
      case 'data_refresh': return dataRefresh(env);
      case 'reconcile': return reconcileTask(env);
      case 'preflight': return preflightTask(env);
      case 'watchlist_validate': return watchlistValidateTask(env);
      case 'exits': return exitsTask(env);
      case 'trade_cycle': return tradeCycleTask(env);
      case 'watchlist_build': return watchlistBuildTask(env);
      case 'daily_report': return dailyReportTask(env, t, tasksToday.filter((x) => x.date === t.date), nav);
      case 'nightly_research': return nightlyResearchTask(env, t);
      case 'deep_backtest': return deepBacktestTask(env, t);
      case 'log_rotation': return logRotationTask(env, reopen);
      case 'data_audit': return dataAuditTask(env);
      case 'state_backup': return stateBackupTask(env);
    }
  };

  let published = -Infinity;
  let refreshed = -Infinity;
  // A replay runs days in seconds: telemetry and the heartbeat are written when their key (the
  // simulated day, and the phase for the heartbeat) changes, and at most every 250 ms of wall time
  // in between. A live brain's cycles are minutes apart: it writes every one.
  const telemetryDue = replayGate(o.mode === 'replay');
  const beatDue = replayGate(o.mode === 'replay');
  const lastDocs: Record<string, string> = {};
  const afterCycle = async (c: CycleRecord) => {
    const now = o.clock.now();
    tasksToday = [...tasksToday.filter((x) => x.date === etDate(now)), ...c.tasks];
    // An idle cycle changed nothing NAV or telemetry show: they refresh at the next working
    // cycle, or after IDLE_REFRESH_MS so their timestamps never go stale for long.
    if (c.idle && now.getTime() - published < IDLE_REFRESH_MS) return void (await o.onCycle?.(c, brain));
    published = now.getTime();
    let equity: number | null = null;
    try {
      equity = (await (await env.ctx.broker()).account()).equity;
    } catch (err) {
      env.events.emit('brain_equity_unavailable', { error: errorText(err) }, 'warn');
    }
    if (equity !== null || nav) {
      const u = updateNav(nav, equity ?? Number.NaN, now, config.kill_switch);
      if (u.anomaly) env.events.emit('nav_anomaly', { equity, reason: u.anomaly }, 'warn');
      nav = u.nav;
    }
    const store = await env.ctx.state();
    const last = store.exists(LastReconcileFile) ? store.read(LastReconcileFile) : null;
    const fields = nav ? navTriggerFields(nav, now) : { equity: 0, startOfDayEquity: 0, weekPeakEquity: 0 };
    const input = { now, ...fields, consecutiveCriticalFailures: env.run.criticalFailures, dataDownSince: env.run.dataDownSince, consecutiveBrokerRejections: env.run.brokerRejections, reconcileMismatchUsd: last?.mismatch_notional ?? 0 };
    const fired = evaluateTriggers(input, config.kill_switch);
    if (fired.length && env.ctx.tradingState().state !== 'HALTED') {
      const out = await fireTriggers(fired, { killFile: paths.killSwitch, stateDir: paths.stateDir, historyFile: paths.killHistory, clock: o.clock, audit: await env.ctx.audit(), events: env.events, alerts: env.alerts });
      // Streaks that fired have been acted on; the conditions (K1, K5, K8) keep firing while true.
      if (out.activated) {
        if (fired.some((f) => f.id === 'K2')) env.run.criticalFailures = 0;
        if (fired.some((f) => f.id === 'K7')) env.run.brokerRejections = 0;
        seen = env.ctx.tradingState();
      }
    }
    const ts = env.ctx.tradingState();
    const nextRisk = buildRiskSnapshot({ now, tradingState: ts, input, cfg: config.kill_switch });
    if (nextRisk.drawdown_state !== 'normal' && (risk?.drawdown_state ?? 'normal') === 'normal') env.alerts.send('high_drawdown', `drawdown ${nextRisk.drawdown_state}: K1 at ${nextRisk.circuits.K1.value} of ${nextRisk.circuits.K1.threshold}`);
    risk = nextRisk;
    // The triggers above see every cycle; the telemetry below is built only when it is written.
    if (!telemetryDue(etDate(now))) return void (await o.onCycle?.(c, brain));
    const diagnostics = buildDiagnostics({ store, logsDir: paths.logsDir, now, prices: env.run.prices, lastExitScanTs: env.run.lastExitScanTs, lastExitTriggerTs: env.run.lastExitTriggerTs });
    // Every cycle publishes; a document equal to the last one but for its clock fields is not
    // rewritten (each write is a temp file, fsync and rename), except at least every IDLE_REFRESH_MS.
    const full = now.getTime() - refreshed >= IDLE_REFRESH_MS;
    const docs = { risk, nav: nav ?? undefined, diagnostics };
    const changed = Object.fromEntries(Object.entries(docs).filter(([k, v]) => v !== undefined && (full || clockless(v) !== lastDocs[k]))) as typeof docs;
    if (Object.keys(changed).length) await publishTelemetry(telemetryDir, changed);
    for (const [k, v] of Object.entries(changed)) if (v) lastDocs[k] = clockless(v);
    if (full) refreshed = now.getTime();
    metrics.equity = nav?.equity ?? null;
    metrics.drawdown = nav?.drawdown ?? null;
    await o.onCycle?.(c, brain);
  };

  const tick = (now: Date) => {
    const ts = env.ctx.tradingState();
    if (ts.state !== seen.state) {
      env.events.emit('kill_switch_seen', { from: seen.state, to: ts.state, reason: ts.record?.reason ?? null, at: now.toISOString() }, ts.state === 'ACTIVE' ? 'info' : 'warn');
      // The brain's own triggers alert through fireTriggers; a human's touch or `kill` is alerted here.
      if (ts.state === 'ACTIVE') env.alerts.send('kill_switch_off', `kill switch off: trading ${ts.state}`);
      // `kobe kill on` alerts by itself; a switch made by hand (touch, echo) has no author and is alerted here.
      else if (!ts.record?.activated_by) env.alerts.send('kill_switch_on', `kill switch ON (${ts.state}): ${ts.record?.reason ?? ts.detail ?? ''}`);
      seen = ts;
    }
  };

  const beat = async (s: LoopStatus, now: Date, last: boolean) => {
    if (!beatDue(`${etDate(now)} ${s.phase}`, last)) return;
    writeHeartbeat(paths, { version: 1, ts: now.toISOString(), pid: process.pid, phase: s.phase, last_task: s.last_task, last_success: s.last_success, cycles: s.cycles, last_cycle_ok: s.last_cycle_ok });
  };

  const loop = new BrainLoop(
    { clock: o.clock, plan: (d) => brainSchedule(d, config), runTask, afterCycle, tick, writeHeartbeat: beat, onError: (where, err) => env.events.emit('brain_error', { where, error: errorText(err) }, 'error') },
    o.waiter,
    { ledgerFile: paths.state(path.join('autonomous', 'brain_state.json')), freshLedger: o.mode === 'replay', once: o.once, end: o.end, busyBeatMs: o.mode === 'live' ? 5_000 : undefined },
  );

  const refusal = (): string | null => {
    if (env.run.tradingRefused) return env.run.tradingRefused.reason;
    const p = env.run.preflight;
    return p && !p.go && p.date === etDate(o.clock.now()) ? `preflight ${p.detail}` : null;
  };
  const health = (): HealthReport => {
    const s = loop.status;
    return assessHealth({
      now: o.clock.now(), running: true, pid: process.pid, tradingState: env.ctx.tradingState(), tradingRefused: refusal(),
      heartbeat: s.last_heartbeat ? { ts: s.last_heartbeat, phase: s.phase, last_task: s.last_task, last_success: s.last_success, cycles: s.cycles, last_cycle_ok: s.last_cycle_ok } : null,
    });
  };
  const snapshot = (): MetricsSnapshot => {
    let v = { total: {} as Record<string, number>, today: {} as Record<string, number> };
    try {
      const f = stateStore.read(RiskVetoesFile);
      v = { total: f.total, today: f.date === etDate(o.clock.now()) ? f.today : {} };
    } catch {
      /* a corrupt vetoes file is state check's to report; /metrics shows none */
    }
    const ts = env.ctx.tradingState();
    return {
      orders: { ...metrics.orders }, exits: metrics.exits, vetoes_total: v.total, vetoes_today: v.today,
      kill_switch: { state: ts.state, on: ts.state !== 'ACTIVE', reason: ts.record?.reason ?? null },
      heartbeat_age_s: loop.status.last_heartbeat ? (o.clock.now().getTime() - Date.parse(loop.status.last_heartbeat)) / 1000 : null,
      equity: metrics.equity, drawdown: metrics.drawdown, cycles: loop.status.cycles, tasks: metrics.tasks,
    };
  };

  let server: HealthServer | null = null;
  if (o.serve) {
    const prom = await prometheusExporter(snapshot);
    const port = o.port ?? config.health.port;
    try {
      server = await startHealthServer(config.health.host, port, { health, metrics: snapshot, prometheus: async () => ({ contentType: prom.contentType, body: await prom.scrape() }) });
    } catch (err) {
      const why = `cannot serve health on ${config.health.host}:${port}: ${errorText(err)}`;
      // A replay is useful without /health; a live brain nobody can watch is not.
      if (o.mode === 'replay') env.events.emit('brain_health_server_unavailable', { reason: why }, 'warn');
      else throw new KobeError(why, { hint: 'another brain or service holds the port: stop it, or set health.port in config/base.yaml (--port for a one-off)' });
    }
  }
  await atomicWrite(paths.state(path.join('autonomous', 'brain.json')), `${JSON.stringify({ version: 1, pid: process.pid, mode: o.mode, started_at: new Date().toISOString(), clock_at_start: o.clock.now().toISOString(), health_url: server?.url ?? null }, null, 2)}\n`);

  // Live brains follow fills as they happen (a resting stop filled overnight is booked at once);
  // polling in every task covers the rest, so a stream that cannot start is a warning, not a stop.
  let stream: Awaited<ReturnType<typeof followOrderStream>> = null;
  const startStream = async () => {
    if (o.mode !== 'live') return;
    try {
      const oms = await env.ctx.submitDeps();
      stream = await followOrderStream(oms, { afterFills: async (r) => void (r.status !== 'UNKNOWN' && (await ensureProtection(oms))) });
    } catch (err) {
      env.events.emit('order_stream_unavailable', { error: errorText(err) }, 'warn');
    }
  };

  const brain: Brain = {
    env, loop, server, health, snapshot,
    async startup() {
      await startStream();
      const rep: StartupReport = { reconcile: '', reconciled: false, exits: '' };
      env.events.emit('brain_start', { pid: process.pid, mode: o.mode, at: o.clock.now().toISOString(), health_url: server?.url ?? null });
      try {
        rep.reconcile = (await reconcileTask(env)).detail;
        rep.reconciled = env.run.tradingRefused?.by !== 'reconcile';
      } catch (err) {
        env.run.tradingRefused = { by: 'reconcile', reason: `reconcile failed at start: ${errorText(err)}`, since: o.clock.now().toISOString() };
        env.alerts.send('error', `brain started without a reconcile: ${errorText(err)}; entries refused`);
        rep.reconcile = env.run.tradingRefused.reason;
      }
      // Exits missed while the brain was down: now if the market is open, else at the first exit slot.
      // Never on an unreconciled book: the ledger may be wrong, and the resting stops protect meanwhile.
      if (!rep.reconciled) rep.exits = 'skipped: the book is not reconciled (protective stops keep resting at the broker); run `kobe reconcile --fix --yes`';
      else if (marketStatus(o.clock.now()).isOpen) rep.exits = (await runTask({ id: 'exits@start', kind: 'exits', date: etDate(o.clock.now()), at: '', at_utc: o.clock.now().toISOString(), until: '', trading: false, critical: true, note: 'start-up catch-up' })).detail;
      else rep.exits = 'market closed: the catch-up runs at the first exit slot of the next session';
      env.events.emit('brain_recovered', { ...rep });
      return rep;
    },
    run: () => loop.run(),
    async close() {
      await stream?.close().catch(() => undefined);
      await server?.close();
      await env.researchPool.close();
      await env.alerts.flush(2_000);
    },
  };
  return brain;
}

