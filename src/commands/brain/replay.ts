// `brain start --replay FROM..TO` and the in-process runReplay the demo calls: the live loop on a
// FakeClock over historical sessions against the sim broker, writing into the (paper, sim) home.
// Time jumps from task to task; nothing sleeps. Entries of day t+1 use the watchlist scanned at
// the close of t on bars through t only (CompletedBarStore); fills follow the sim's intraday path.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { relaxDurabilityForReplay, writeInPlaceForScratch } from '../../core/state/atomic.js';
import { flushStateFiles, keepStateInMemory } from '../../core/state/store.js';
import { useProcessLocks } from '../../core/state/lock.js';
import { createContext, type KobeContext } from '../../cli/context.js';
import type { Alerts } from '../../core/ports/alerts.js';
import type { CycleRecord } from '../../core/brain/loop.js';
import { ReplayWaiter } from '../../core/brain/loop.js';
import { acquireRunnerLock } from '../../core/brain/runner-lock.js';
import { SafetyRefusal, UsageError } from '../../core/errors.js';
import { sessionsBetween } from '../../core/market/calendar.js';
import { parseIsoDate, toIsoDate } from '../../core/market/iso-date.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import { etDate, etToUtc } from '../../core/market/time.js';
import { FakeClock } from '../../core/ports/clock.js';
import { IdempotencyFile } from '../../core/state/schemas.js';
import { createBrain, type Brain } from './runtime.js';

/** One replayed ET day. */
export interface ReplayDay {
  date: string;
  tasks: number;
  failed: number;
  /** Entry orders the broker accepted, and how many filled at once. */
  entries: number;
  fills: number;
  exits: number;
  equity: number | null;
}

/** What a replay did. */
export interface ReplaySummary {
  from: string;
  to: string;
  sessions: number;
  days: number;
  cycles: number;
  tasks: number;
  failed_tasks: Array<{ date: string; id: string; detail: string }>;
  /** Orders the broker accepted (entries and exits), fills among them, exit orders. */
  orders: number;
  fills: number;
  exits: number;
  vetoes: number;
  refused: number;
  heartbeats: number;
  final_equity: number | null;
  health: { healthy: boolean; trading_state: string; reasons: string[] };
  wall_ms: number;
  sessions_per_s: number;
  /** A runner lock left by a dead brain that this replay removed, when there was one. */
  stale_lock_cleaned: string | null;
  /** Where it ran: a scratch home (removed after unless kept), or the home itself. */
  ran_in: { home: string; scratch: boolean; kept: boolean };
}

/** Options of a replay. */
export interface ReplayOptions {
  from: string;
  to: string;
  /**
   * Run in a scratch copy of the home (config, universe, earnings; the bar store linked read-only)
   * so simulated fills never reach the home's journal, ledger or chain; `keep` leaves it for a look.
   */
  scratch?: { keep: boolean };
  onDay?: (d: ReplayDay) => void | Promise<void>;
  /** Tests: observe each cycle while the brain runs. */
  onCycle?: (c: CycleRecord, brain: Brain) => void | Promise<void>;
  serve?: boolean;
  port?: number;
  /** Tests: observe alerts instead of the configured sender. */
  alerts?: Alerts;
  /** False skips the research tasks (walk-forward, deep backtest): a quick replay, e.g. the demo's week. */
  research?: boolean;
}

/** Parse `FROM..TO` (ISO dates). */
export function parseReplayRange(text: string): { from: string; to: string } {
  const m = /^(\d{4}-\d{2}-\d{2})\.\.(\d{4}-\d{2}-\d{2})$/.exec(text.trim());
  if (!m) throw new UsageError(`--replay takes FROM..TO as dates, got "${text}"`, { hint: 'kobe brain start --foreground --replay 2024-11-01..2024-11-29' });
  for (const d of [m[1], m[2]]) try { parseIsoDate(d); } catch (err) { throw new UsageError(`--replay: ${(err as Error).message}`, { hint: 'kobe brain start --foreground --replay 2024-11-01..2024-11-29' }); }
  if (m[1] > m[2]) throw new UsageError(`--replay: FROM ${m[1]} is after TO ${m[2]}`);
  return { from: m[1], to: m[2] };
}

/** Refuse a replay anywhere but a paper sim home whose books hold nothing after FROM. */
export async function assertReplayable(ctx: KobeContext, from: string, to: string): Promise<void> {
  const { config } = await ctx.config();
  if (config.broker.name !== 'sim' || config.trading.mode !== 'paper') {
    throw new SafetyRefusal(`--replay runs only on a paper home with the sim broker (this one: ${config.trading.mode}, ${config.broker.name})`, { hint: 'replay in a copy of the home with broker.name: sim and trading.mode: paper' });
  }
  const last = lastCompletedSession(ctx.clock.now());
  if (to > last) throw new UsageError(`--replay: TO ${to} is after the last completed session ${last}`);
  const later = Object.values((await ctx.state()).read(IdempotencyFile).orders).filter((r) => r.intent.session_date > from);
  if (later.length) throw new SafetyRefusal(`the home has ${later.length} order(s) after ${from} (e.g. ${later[0].client_order_id}): a replay cannot go back before them`, { hint: 'replay into a fresh home (`kobe init` + `kobe data seed`), or start the replay after the last order' });
}

/** A fresh home next to nothing: the home's config, universe files and earnings, its bars linked. */
function scratchHome(from: KobeContext): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-replay-'));
  const p = from.paths;
  fs.cpSync(path.dirname(p.config), path.join(dir, 'config'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  for (const sub of ['universe', 'earnings.csv']) if (fs.existsSync(path.join(p.dataDir, sub))) fs.cpSync(path.join(p.dataDir, sub), path.join(dir, 'data', sub), { recursive: true });
  fs.symlinkSync(path.join(p.dataDir, 'cache'), path.join(dir, 'data', 'cache'), 'dir');
  for (const d of ['state', 'logs', 'reports']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  return dir;
}

/** Replay FROM..TO in-process; returns the summary (the demo's entry point). */
export async function runReplay(ctx: KobeContext, o: ReplayOptions): Promise<ReplaySummary> {
  ctx.requireHome();
  if (o.scratch) {
    await assertReplayable(ctx, o.from, o.to);
    const dir = scratchHome(ctx);
    try {
      const inner = await createContext({ home: dir, json: true, color: false, clock: ctx.clock, env: ctx.env, streams: { stdout: { write: () => true }, stderr: { write: () => true } } });
      // Nobody else reads or writes a scratch home: locks serialise this process only, and files
      // are rewritten in place (an interrupted replay is thrown away with its home).
      useProcessLocks();
      writeInPlaceForScratch();
      keepStateInMemory();
      const r = await runReplay(inner, { ...o, scratch: undefined });
      return { ...r, ran_in: { home: dir, scratch: true, kept: o.scratch.keep } };
    } finally {
      if (o.scratch.keep) flushStateFiles();
      if (!o.scratch.keep) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  await assertReplayable(ctx, o.from, o.to);
  relaxDurabilityForReplay();
  const clock = new FakeClock(etToUtc(o.from, '00:00'));
  const end = etToUtc(toIsoDate(parseIsoDate(o.to) + 1), '00:00');
  const lock = acquireRunnerLock(ctx.paths, { pid: process.pid, started_at: new Date().toISOString(), mode: 'replay' });
  const t0 = performance.now();
  const days: ReplayDay[] = [];
  const failed: ReplaySummary['failed_tasks'] = [];
  let day: ReplayDay | null = null;
  let tasks = 0;
  const close = async (b: Brain) => {
    if (!day) return;
    day.equity = b.env.metrics.equity;
    days.push(day);
    await o.onDay?.(day);
  };
  let brain: Brain | null = null;
  try {
    brain = await createBrain(ctx, {
      mode: 'replay', clock, waiter: new ReplayWaiter(clock), end, serve: o.serve, port: o.port, alerts: o.alerts, research: o.research,
      onCycle: async (c, b) => {
        const date = etDate(new Date(c.at));
        if (day && day.date !== date) await close(b);
        if (!day || day.date !== date) day = { date, tasks: 0, failed: 0, entries: 0, fills: 0, exits: 0, equity: null };
        for (const t of c.tasks) {
          day.tasks++;
          tasks++;
          if (t.status === 'failed') {
            day.failed++;
            failed.push({ date, id: t.id, detail: t.detail });
          }
          const outcomes = (t.data?.outcomes ?? []) as Array<{ status: string }>;
          const exits = (t.data?.exits ?? []) as Array<{ status: string }>;
          day.entries += outcomes.filter((x) => x.status !== 'SKIPPED' && x.status !== 'VETOED' && x.status !== 'REFUSED').length;
          day.fills += outcomes.filter((x) => x.status === 'FILLED').length;
          day.exits += exits.filter((x) => x.status === 'FILLED' || x.status === 'SUBMITTED').length;
        }
        await o.onCycle?.(c, b);
      },
    });
    await brain.startup();
    const status = await brain.run();
    await close(brain);
    const m = brain.env.metrics;
    const wall = performance.now() - t0;
    const sessions = sessionsBetween(o.from, o.to).length;
    const h = brain.health();
    return {
      from: o.from, to: o.to, sessions, days: days.length, cycles: status.cycles, tasks, failed_tasks: failed,
      orders: m.orders.submitted, fills: m.orders.filled, exits: m.exits, vetoes: m.orders.vetoed, refused: m.orders.refused,
      heartbeats: status.heartbeats, final_equity: m.equity, health: { healthy: h.healthy, trading_state: h.trading_state, reasons: h.reasons },
      wall_ms: Math.round(wall), sessions_per_s: Math.round((sessions / (wall / 1000)) * 10) / 10,
      stale_lock_cleaned: lock.cleaned ? `removed a stale runner lock (${lock.cleaned.reason})` : null,
      ran_in: { home: ctx.paths.home, scratch: false, kept: true },
    };
  } finally {
    await brain?.close();
    lock.release();
  }
}
