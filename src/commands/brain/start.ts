import { CheckFailed, Interrupted, KobeError, SafetyRefusal, UsageError } from '../../core/errors.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { packageRoot } from '../../core/package-root.js';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { signalHooks } from '../../cli/signals.js';
import type { Output } from '../../cli/output.js';
import { writeHeartbeat } from '../../core/brain/heartbeat.js';
import { RealWaiter, type LoopStatus } from '../../core/brain/loop.js';
import { acquireRunnerLock, runningBrainPid } from '../../core/brain/runner-lock.js';
import { HeartbeatFile } from '../../core/state/schemas.js';
import { parseReplayRange, runReplay, type ReplaySummary } from './replay.js';
import { createBrain, type StartupReport } from './runtime.js';

/** Flags of `brain start`. */
export interface BrainStartOptions {
  foreground: boolean;
  once: boolean;
  replay?: { from: string; to: string };
  /** Replay in this home itself instead of a scratch copy (its journal, ledger and chain get the simulated fills). */
  replayInPlace?: boolean;
  /** Keep the scratch home of a replay for a look afterwards. */
  keepReplayHome?: boolean;
  /** Tests: health port override (0 = any free port). */
  port?: number;
}

/** What a start did. */
export interface BrainStartResult {
  mode: 'background' | 'foreground' | 'once' | 'replay';
  pid: number;
  log?: string;
  startup?: StartupReport;
  status?: LoopStatus;
  stale_lock_cleaned?: string | null;
  replay?: ReplaySummary;
}

/** SIGTERM: finish or abandon the running task, final heartbeat, lock released, within this. */
export const STOP_DEADLINE_MS = 9_000;
const START_TIMEOUT_MS = 20_000;
const BIN = path.join(packageRoot(), 'bin', 'kobe');

/** Wire `brain start`. */
export function registerBrainStart(brain: Command, kit: Kit): void {
  brain
    .command('start')
    .description('run the 24/7 brain: in the background (default), --foreground under a supervisor, --once for one cycle, or --replay FROM..TO on a simulated clock')
    .option('--foreground', 'run in this process (systemd, tmux); SIGTERM stops it gracefully (exit 143)')
    .option('--once', 'start-up recovery and the tasks due now, then exit')
    .option('--replay <from..to>', 'replay historical sessions against the sim broker, in a scratch copy of the home (paper sim homes only)')
    .option('--replay-in-place', "replay in the home itself: its journal, ledger and chain get the simulated fills")
    .option('--keep-replay-home', 'keep the scratch home of a replay (its path is printed)')
    .option('--port <n>', 'health port instead of config health.port (0: any free port)')
    .addHelpText('after', '\nExample:\n  kobe brain start\n  kobe brain start --foreground\n  kobe brain start --foreground --replay 2024-11-01..2024-11-29')
    .action(
      kit.action((raw) => {
        const port = raw.port === undefined ? undefined : Number(raw.port);
        if (port !== undefined && !(Number.isInteger(port) && port >= 0 && port <= 65_535)) throw new UsageError(`--port must be 0..65535, got "${raw.port}"`);
        if (raw.once && raw.replay) throw new UsageError('--once and --replay exclude each other');
        return { foreground: !!raw.foreground, once: !!raw.once, replay: typeof raw.replay === 'string' ? parseReplayRange(raw.replay) : undefined, port, replayInPlace: !!raw.replayInPlace, keepReplayHome: !!raw.keepReplayHome };
      }, runBrainStart, renderBrainStart),
    );
}

/** Start the brain: background, foreground, once, or a replay. */
export async function runBrainStart(ctx: KobeContext, o: BrainStartOptions): Promise<BrainStartResult> {
  ctx.requireHome();
  if (o.replay) return { mode: 'replay', pid: process.pid, replay: await runReplay(ctx, { ...o.replay, serve: true, port: o.port, scratch: o.replayInPlace ? undefined : { keep: !!o.keepReplayHome } }) };
  if (!o.foreground && !o.once) return startBackground(ctx, o);
  return runForeground(ctx, o);
}

async function runForeground(ctx: KobeContext, o: BrainStartOptions): Promise<BrainStartResult> {
  const lock = acquireRunnerLock(ctx.paths, { pid: process.pid, started_at: new Date().toISOString(), mode: 'live' });
  const cleaned = lock.cleaned ? `removed a stale runner lock (${lock.cleaned.reason})` : null;
  if (cleaned) ctx.out.warn(cleaned);
  let signal: 'SIGINT' | 'SIGTERM' | null = null;
  let brain;
  try {
    brain = await createBrain(ctx, { mode: 'live', clock: ctx.clock, waiter: new RealWaiter(ctx.clock), once: o.once, serve: !o.once, port: o.port });
    const b = brain;
    if (cleaned) b.env.events.emit('brain_stale_lock_cleaned', { ...lock.cleaned }, 'warn');
    let abandon: (() => void) | null = null;
    const abandoned = new Promise<'abandoned'>((resolve) => (abandon = () => resolve('abandoned')));
    signalHooks.graceful = (sig) => {
      if (signal) return;
      signal = sig;
      b.loop.stop(sig);
      setTimeout(() => abandon?.(), STOP_DEADLINE_MS).unref();
    };
    const startup = await Promise.race([b.startup(), abandoned]);
    const status = startup === 'abandoned' ? b.loop.status : await Promise.race([b.run(), abandoned]);
    if (status === 'abandoned' || startup === 'abandoned') {
      // The task is left mid-way: every task is idempotent and the next start reconciles first.
      const s = b.loop.status;
      b.env.events.emit('brain_task_abandoned', { task: s.current, signal }, 'warn');
      writeHeartbeat(ctx.paths, { version: 1, ts: ctx.clock.now().toISOString(), pid: process.pid, phase: 'stopped', last_task: s.current ? `${s.current} (abandoned)` : s.last_task, last_success: s.last_success, cycles: s.cycles, last_cycle_ok: false });
    }
    if (signal) throw new Interrupted(signal);
    const result: BrainStartResult = { mode: o.once ? 'once' : 'foreground', pid: process.pid, startup: startup === 'abandoned' ? undefined : startup, status: b.loop.status, stale_lock_cleaned: cleaned };
    // One cycle from cron: its exit code must say when the reconcile or a task failed.
    if (o.once && startup !== 'abandoned' && (!startup.reconciled || !b.loop.status.last_cycle_ok)) {
      throw new CheckFailed(`brain --once: ${!startup.reconciled ? `start-up reconcile not clean (${startup.reconcile})` : 'a task failed'}`, { result, hint: 'see `kobe brain status` and logs/events.jsonl (brain_task); `kobe reconcile` for the book' });
    }
    return { mode: o.once ? 'once' : 'foreground', pid: process.pid, startup: startup === 'abandoned' ? undefined : startup, status: b.loop.status, stale_lock_cleaned: cleaned };
  } finally {
    signalHooks.graceful = null;
    await brain?.close().catch(() => undefined);
    lock.release();
  }
}

function tail(file: string, lines = 20): string {
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no output)';
  }
}

async function startBackground(ctx: KobeContext, o: BrainStartOptions): Promise<BrainStartResult> {
  const running = runningBrainPid(ctx.paths);
  if (running) throw new SafetyRefusal(`the brain is already running (pid ${running})`, { hint: '`kobe brain status`; stop it first with `kobe brain stop`', details: { pid: running } });
  const log = path.join(ctx.paths.logsDir, 'brain_output.log');
  fs.mkdirSync(ctx.paths.logsDir, { recursive: true });
  const fd = fs.openSync(log, 'a');
  const args = [BIN, 'brain', 'start', '--foreground', '--home', ctx.paths.home, ...(o.port !== undefined ? ['--port', String(o.port)] : [])];
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', fd, fd], env: ctx.env as NodeJS.ProcessEnv, cwd: ctx.paths.home });
  fs.closeSync(fd);
  let exited: number | null = null;
  child.on('exit', (code, sig) => (exited = code ?? (sig ? 128 : 1)));
  child.unref();
  const pid = child.pid!;
  const store = await ctx.state();
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 150));
    if (exited !== null) throw new KobeError(`the brain exited at start (code ${exited}); last lines of ${path.relative(ctx.paths.home, log)}:\n${tail(log)}`, { hint: 'fix what the log says, then `kobe brain start` again' });
    try {
      if (store.exists(HeartbeatFile) && store.read(HeartbeatFile).pid === pid) return { mode: 'background', pid, log };
    } catch {
      /* a heartbeat being replaced: read again */
    }
  }
  throw new KobeError(`no heartbeat from the brain (pid ${pid}) within ${START_TIMEOUT_MS / 1000} s; last lines of ${path.relative(ctx.paths.home, log)}:\n${tail(log)}`, { hint: `it may still be starting: \`kobe brain status\`; stop it with \`kobe brain stop\``, details: { pid } });
}

/** What started, or the replay's summary. */
export function renderBrainStart(out: Output, r: BrainStartResult): void {
  if (r.mode === 'background') {
    out.changed(`brain started in the background (pid ${r.pid}); output in ${r.log}`);
    out.line('check it with `kobe brain status` and `kobe brain health`');
    return;
  }
  if (r.replay) {
    const s = r.replay;
    out.line(`replay ${s.from}..${s.to}: ${s.sessions} sessions (${s.days} days) in ${(s.wall_ms / 1000).toFixed(2)} s = ${s.sessions_per_s} sessions/s`);
    out.line(`orders ${s.orders} (fills ${s.fills}, exits ${s.exits}), vetoes ${s.vetoes}, refused ${s.refused}; ${s.cycles} cycles, ${s.tasks} tasks, ${s.failed_tasks.length} failed; ${s.heartbeats} heartbeats`);
    out.line(`final equity ${s.final_equity?.toFixed(2) ?? 'n/a'}; health ${s.health.healthy ? 'ok' : `unhealthy: ${s.health.reasons.join('; ')}`}`);
    for (const f of s.failed_tasks.slice(0, 10)) out.warn(`${f.date} ${f.id}: ${f.detail}`);
    out.info(s.ran_in.scratch ? (s.ran_in.kept ? `ran in a scratch home, kept: ${s.ran_in.home}` : 'ran in a scratch copy of the home (removed); this home was not touched') : `ran in ${s.ran_in.home} itself`);
    return;
  }
  if (r.startup) out.line(`start-up: reconcile ${r.startup.reconcile}; exits ${r.startup.exits}`);
  for (const t of r.status?.recent ?? []) out.line(`${t.started_at} ${t.id} ${t.status} (${t.ms} ms): ${t.detail}`);
  out.line(`${r.mode}: ${r.status?.cycles ?? 0} cycle(s); next ${r.status?.next ? `${r.status.next.id} at ${r.status.next.at_utc}` : 'none'}`);
}
