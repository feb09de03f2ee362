import fs from 'node:fs';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { readRunnerLock, runningBrainPid, type RunnerLockInfo } from '../../core/brain/runner-lock.js';
import { brainSchedule } from '../../core/brain/schedule.js';
import { etDate } from '../../core/market/time.js';
import { currentHealth, type BrainHealthResult } from './health.js';

/** What `brain status` reports. */
export interface BrainStatusResult {
  running: boolean;
  pid: number | null;
  lock: RunnerLockInfo | null;
  stale_lock: boolean;
  health: BrainHealthResult;
  today: { date: string; done: Array<{ id: string; status: string; at: string }>; pending: Array<{ id: string; at: string }> };
  next: Array<{ date: string; at: string; id: string }>;
}

/** Wire `brain status`. */
export function registerBrainStatus(brain: Command, kit: Kit): void {
  brain
    .command('status')
    .description('is the brain running, its heartbeat and health, what ran today and what runs next')
    .addHelpText('after', '\nExample:\n  kobe brain status\n  kobe brain status --json | jq .health.reasons')
    .action(kit.action(() => ({}), runBrainStatus, renderBrainStatus));
}

/** Process, lock, health, today's tasks and the next ones. */
export async function runBrainStatus(ctx: KobeContext): Promise<BrainStatusResult> {
  ctx.requireHome();
  const { config } = await ctx.config();
  const pid = runningBrainPid(ctx.paths);
  const lock = readRunnerLock(ctx.paths);
  const now = ctx.clock.now();
  const date = etDate(now);
  let done: BrainStatusResult['today']['done'] = [];
  try {
    const l = JSON.parse(fs.readFileSync(ctx.paths.state('autonomous/brain_state.json'), 'utf8')) as { date: string; done: Record<string, { status: string; at: string }> };
    if (l.date === date) done = Object.entries(l.done).map(([id, v]) => ({ id, status: v.status, at: v.at }));
  } catch {
    /* no task ledger yet */
  }
  const ids = new Set(done.map((d) => d.id));
  const plan = brainSchedule(date, config);
  const next: BrainStatusResult['next'] = [];
  let d = date;
  for (let i = 0; i < 10 && next.length < 5; i++) {
    for (const t of brainSchedule(d, config)) if (Date.parse(t.at_utc) > now.getTime() && next.length < 5) next.push({ date: t.date, at: t.at, id: t.id });
    d = new Date(Date.parse(`${d}T12:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
  }
  return {
    running: pid !== null, pid, lock, stale_lock: lock !== null && lock.pid !== pid,
    health: await currentHealth(ctx),
    today: { date, done, pending: plan.filter((t) => !ids.has(t.id)).map((t) => ({ id: t.id, at: t.at })) },
    next,
  };
}

/** A few lines for humans. */
export function renderBrainStatus(out: Output, r: BrainStatusResult): void {
  const h = r.health;
  out.line(`brain ${r.running ? out.s.green(`running (pid ${r.pid}${r.lock ? `, ${r.lock.mode} since ${r.lock.started_at}` : ''})`) : out.s.red('not running')}${r.stale_lock ? ` — stale lock of pid ${r.lock?.pid} (the next start cleans it)` : ''}`);
  out.line(`health ${h.healthy ? 'ok' : `unhealthy: ${h.reasons.join('; ')}`}`);
  out.line(`heartbeat ${h.heartbeat_age_s === null ? 'none' : `${h.heartbeat_age_s} s ago, phase ${h.phase}, ${h.cycles} cycles, last task ${h.last_task ?? '-'}, last cycle ${h.last_cycle_ok ? 'ok' : 'FAILED'}`}; trading ${h.trading_state}`);
  out.line(`today ${r.today.date}: ${r.today.done.length} task(s) done${r.today.done.filter((t) => t.status === 'failed').length ? ` (${r.today.done.filter((t) => t.status === 'failed').map((t) => t.id).join(', ')} failed)` : ''}, ${r.today.pending.length} pending`);
  out.line(`next ${r.next.map((n) => `${n.date} ${n.at} ${n.id}`).join('; ') || 'none'}`);
}
