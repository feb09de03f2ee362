// The brain's loop: a clock-driven "next due task" scheduler. It never sleeps on its own: a Waiter
// moves time forward, with real timers (live) or by setting a FakeClock (replay), so a replay runs
// this very loop, days in seconds. A task is due from its time until its `until` (so a restart
// inside a window still runs it) and runs once per day: completions are kept in
// state/autonomous/brain_state.json, so a restart does not repeat a task that finished, and a
// task cut short by a crash runs again (every task is idempotent: client order ids are
// deterministic, files are replaced whole).
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { phaseAt } from '../market/phases.js';
import { etDate, etToUtc } from '../market/time.js';
import type { Clock } from '../ports/clock.js';
import { atomicWrite } from '../state/atomic.js';
import { HEARTBEAT_INTERVAL_MS } from './health.js';
import type { Task } from './schedule.js';

/** A task's outcome: `failed` is a task that ran and did not do its job (a throw is one too). */
export interface TaskResult {
  status: 'ok' | 'skipped' | 'failed';
  detail: string;
  data?: Record<string, unknown>;
  /** Nothing to do and nothing read or changed (an exit check with an empty ledger). */
  idle?: boolean;
}

/** One task run as the loop recorded it. */
export interface TaskRecord {
  id: string;
  kind: string;
  date: string;
  started_at: string;
  status: TaskResult['status'];
  detail: string;
  ms: number;
  idle?: boolean;
  data?: Record<string, unknown>;
}

/** The tasks run at one instant. */
export interface CycleRecord {
  at: string;
  n: number;
  ok: boolean;
  /** Every task was idle: nothing changed that NAV or telemetry would show. */
  idle: boolean;
  tasks: TaskRecord[];
}

/** The heartbeat fields the loop maintains (state/heartbeat.json). */
export interface LoopStatus {
  phase: string;
  last_task: string | null;
  /** The task running now, if any. */
  current: string | null;
  last_success: string | null;
  cycles: number;
  last_cycle_ok: boolean;
  last_cycle_at: string | null;
  heartbeats: number;
  last_heartbeat: string | null;
  next: { id: string; at_utc: string } | null;
  recent: TaskRecord[];
}

/** What the loop drives. */
export interface LoopHooks {
  clock: Clock;
  plan(date: string): Task[];
  runTask(task: Task): Promise<TaskResult>;
  /** After each cycle: triggers, NAV, telemetry. Errors are reported, never fatal. */
  afterCycle(c: CycleRecord): Promise<void>;
  /** On every wake-up (at least once a second live): the kill switch poll. */
  tick(now: Date): void;
  /** `last`: the loop's final beat (a throttled writer must not skip it). */
  writeHeartbeat(s: LoopStatus, now: Date, last: boolean): Promise<void>;
  onError(where: string, err: unknown): void;
}

/** Moves time forward to `t` (or until stopped), calling `tick` on each wake-up before `t`. */
export interface Waiter {
  until(t: Date, tick: () => Promise<void>, stopped: () => boolean): Promise<void>;
  wake(): void;
}

/** Live time: sleeps in slices of at most `pollMs`, so ticks (kill switch, heartbeat) keep running. */
export class RealWaiter implements Waiter {
  private timer: NodeJS.Timeout | null = null;
  private resolve: (() => void) | null = null;
  constructor(private readonly clock: Clock, private readonly pollMs = 1_000) {}
  async until(t: Date, tick: () => Promise<void>, stopped: () => boolean): Promise<void> {
    while (!stopped() && this.clock.now() < t) {
      const ms = Math.max(1, Math.min(this.pollMs, t.getTime() - this.clock.now().getTime()));
      await new Promise<void>((r) => {
        this.resolve = r;
        this.timer = setTimeout(r, ms);
      });
      this.timer = null;
      this.resolve = null;
      if (this.clock.now() < t) await tick();
    }
  }
  wake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.resolve?.();
  }
}

/** Replay time: jumps a settable clock straight to the next due instant. */
export class ReplayWaiter implements Waiter {
  constructor(private readonly clock: Clock & { set(t: Date): void }) {}
  async until(t: Date, _tick: () => Promise<void>, stopped: () => boolean): Promise<void> {
    // No wake-ups between tasks: a replayed night is one jump (the cycle polls and beats).
    if (!stopped() && this.clock.now() < t) this.clock.set(t);
  }
  wake(): void {}
}

const LedgerSchema = z.strictObject({
  version: z.literal(1),
  date: z.string(),
  done: z.record(z.string(), z.strictObject({ status: z.enum(['ok', 'skipped', 'failed']), at: z.string() })),
});
type Ledger = z.infer<typeof LedgerSchema>;

/** Options of one loop run. */
export interface LoopOptions {
  /** Replay: stop when the next task would be at or after this instant. */
  end?: Date;
  /** Run the tasks due now (one cycle), then stop. */
  once?: boolean;
  /** state/autonomous/brain_state.json (task completions of the day). */
  ledgerFile: string;
  /** Replay: days start afresh and completions are not persisted (a replay is re-run, not resumed). */
  freshLedger?: boolean;
  heartbeatMs?: number;
  /** Live: also beat from a timer while a task runs (a long prefetch is not a hang). */
  busyBeatMs?: number;
}

/** The loop; `run()` resolves when stopped, at the replay's end, or after one cycle with `once`. */
export class BrainLoop {
  readonly status: LoopStatus = { phase: 'starting', last_task: null, current: null, last_success: null, cycles: 0, last_cycle_ok: true, last_cycle_at: null, heartbeats: 0, last_heartbeat: null, next: null, recent: [] };
  private stopReason: string | null = null;
  private plans = new Map<string, Task[]>();
  private ledger: Ledger = { version: 1, date: '', done: {} };
  private lastBeat = -Infinity;

  constructor(private readonly hooks: LoopHooks, private readonly waiter: Waiter, private readonly opts: LoopOptions) {
    if (!opts.freshLedger) this.ledger = this.loadLedger();
  }

  /** Ask the loop to stop after the task that is running. */
  stop(reason: string): void {
    this.stopReason ??= reason;
    this.waiter.wake();
  }

  get stopping(): string | null {
    return this.stopReason;
  }

  private loadLedger(): Ledger {
    try {
      return LedgerSchema.parse(JSON.parse(fs.readFileSync(this.opts.ledgerFile, 'utf8')));
    } catch {
      return { version: 1, date: '', done: {} };
    }
  }

  private planOf(date: string): Task[] {
    let p = this.plans.get(date);
    if (!p) {
      p = this.hooks.plan(date);
      if (this.plans.size > 8) this.plans.clear();
      this.plans.set(date, p);
    }
    return p;
  }

  private until(t: Task): Date {
    return etToUtc(t.date, t.until);
  }

  /** Tasks due at `now` (in plan order), and missed ones whose `until` has passed. */
  private due(now: Date): { run: Task[]; missed: Task[] } {
    const date = etDate(now);
    if (this.ledger.date !== date) this.ledger = { version: 1, date, done: {} };
    const run: Task[] = [];
    const missed: Task[] = [];
    for (const t of this.planOf(date)) {
      if (this.ledger.done[t.id] || Date.parse(t.at_utc) > now.getTime()) continue;
      (now < this.until(t) ? run : missed).push(t);
    }
    return { run, missed };
  }

  /** The next task strictly after `now`, up to two weeks ahead. */
  private nextTask(now: Date): Task | null {
    let d = etDate(now);
    for (let i = 0; i < 15; i++) {
      for (const t of this.planOf(d)) if (Date.parse(t.at_utc) > now.getTime() && !(d === this.ledger.date && this.ledger.done[t.id])) return t;
      d = new Date(Date.parse(`${d}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
    }
    return null;
  }

  private async heartbeat(force: boolean, last = false): Promise<void> {
    const now = this.hooks.clock.now();
    if (!force && now.getTime() - this.lastBeat < (this.opts.heartbeatMs ?? HEARTBEAT_INTERVAL_MS)) return;
    this.status.phase = this.stopReason ? 'stopping' : phaseAt(now);
    try {
      await this.hooks.writeHeartbeat(this.status, now, last);
      this.lastBeat = now.getTime();
      this.status.heartbeats++;
      this.status.last_heartbeat = now.toISOString();
    } catch (err) {
      this.hooks.onError('heartbeat', err);
    }
  }

  private async tick(): Promise<void> {
    try {
      this.hooks.tick(this.hooks.clock.now());
    } catch (err) {
      this.hooks.onError('tick', err);
    }
    await this.heartbeat(false);
  }

  private async cycle(tasks: Task[], missed: Task[]): Promise<void> {
    const at = this.hooks.clock.now().toISOString();
    try {
      this.hooks.tick(this.hooks.clock.now());
    } catch (err) {
      this.hooks.onError('tick', err);
    }
    const records: TaskRecord[] = [];
    for (const t of missed) {
      records.push({ id: t.id, kind: t.kind, date: t.date, started_at: at, status: 'skipped', detail: `missed: the brain was not running between ${t.at} and ${t.until} ET`, ms: 0 });
      this.ledger.done[t.id] = { status: 'skipped', at };
    }
    for (const t of tasks) {
      if (this.stopReason) break;
      const started = this.hooks.clock.now().toISOString();
      const t0 = performance.now();
      let r: TaskResult;
      this.status.current = t.id;
      try {
        r = await this.hooks.runTask(t);
      } catch (err) {
        r = { status: 'failed', detail: err instanceof Error ? err.message : String(err) };
      } finally {
        this.status.current = null;
      }
      const rec: TaskRecord = { id: t.id, kind: t.kind, date: t.date, started_at: started, status: r.status, detail: r.detail, ms: Math.round((performance.now() - t0) * 10) / 10, ...(r.idle ? { idle: true } : {}), ...(r.data ? { data: r.data } : {}) };
      records.push(rec);
      this.ledger.done[t.id] = { status: r.status, at: started };
      this.status.last_task = t.id;
      if (r.status === 'ok') this.status.last_success = this.hooks.clock.now().toISOString();
    }
    const c: CycleRecord = { at, n: this.status.cycles + 1, ok: records.every((r) => r.status !== 'failed'), idle: records.length > 0 && records.every((r) => r.idle), tasks: records };
    this.status.cycles = c.n;
    this.status.last_cycle_ok = c.ok;
    this.status.last_cycle_at = at;
    const next = this.nextTask(this.hooks.clock.now());
    this.status.next = next ? { id: `${next.date} ${next.id}`, at_utc: next.at_utc } : null;
    this.status.recent = [...this.status.recent, ...records].slice(-50);
    try {
      await this.hooks.afterCycle(c);
    } catch (err) {
      this.hooks.onError('after cycle', err);
    }
    if (!this.opts.freshLedger) {
      try {
        await atomicWrite(this.opts.ledgerFile, `${JSON.stringify(this.ledger)}\n`);
      } catch (err) {
        this.hooks.onError('task ledger', err);
      }
    }
    await this.heartbeat(true);
  }

  /** Run until stopped (or the replay's end, or one cycle with `once`). */
  async run(): Promise<LoopStatus> {
    fs.mkdirSync(path.dirname(this.opts.ledgerFile), { recursive: true });
    // The timer only beats while the event loop turns: a blocked process goes stale, as it should.
    const busy = this.opts.busyBeatMs ? setInterval(() => void this.heartbeat(false), this.opts.busyBeatMs) : null;
    busy?.unref();
    try {
      return await this.loop();
    } finally {
      if (busy) clearInterval(busy);
    }
  }

  private async loop(): Promise<LoopStatus> {
    await this.tick();
    for (;;) {
      if (this.stopReason) break;
      const now = this.hooks.clock.now();
      const { run, missed } = this.due(now);
      if (run.length || missed.length || this.opts.once) {
        await this.cycle(run, missed);
        if (this.opts.once) break;
        continue;
      }
      const next = this.nextTask(now);
      this.status.next = next ? { id: `${next.date} ${next.id}`, at_utc: next.at_utc } : null;
      const wake = next ? new Date(next.at_utc) : new Date(now.getTime() + 3_600_000);
      if (this.opts.end && wake >= this.opts.end) break;
      await this.waiter.until(wake, () => this.tick(), () => this.stopReason !== null);
    }
    await this.heartbeat(true, true);
    return this.status;
  }
}
