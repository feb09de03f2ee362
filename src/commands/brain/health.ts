import fs from 'node:fs';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { assessHealth, type HealthReport } from '../../core/brain/health.js';
import { runningBrainPid } from '../../core/brain/runner-lock.js';
import { CheckFailed } from '../../core/errors.js';
import { HeartbeatFile } from '../../core/state/schemas.js';

/** Flags of `brain health`. */
export interface BrainHealthOptions {
  /** Liveness only (process and heartbeat): what a watchdog restarts on. */
  live: boolean;
}

/** The health report and where it came from. */
export type BrainHealthResult = HealthReport & { source: 'http' | 'files'; url: string | null };

/** Wire `brain health`. */
export function registerBrainHealth(brain: Command, kit: Kit): void {
  brain
    .command('health')
    .description('exit 0 when the brain is healthy (fresh heartbeat, last cycle ok, not halted, entries not refused), 5 with the reasons otherwise')
    .option('--live', 'liveness only: a live process with a fresh heartbeat (for a watchdog; a halt is not a reason to restart)')
    .addHelpText('after', '\nExample:\n  kobe brain health\n  kobe brain health --live || systemctl restart kobe-brain')
    .action(kit.action((raw) => ({ live: !!raw.live }), runBrainHealth, renderBrainHealth));
}

/** The running brain's own /health when it answers, else the same judgement from the files. */
export async function currentHealth(ctx: KobeContext): Promise<BrainHealthResult> {
  const pid = runningBrainPid(ctx.paths);
  let url: string | null = null;
  try {
    const info = JSON.parse(fs.readFileSync(ctx.paths.state('autonomous/brain.json'), 'utf8')) as { pid?: number; health_url?: string | null };
    if (pid && info.pid === pid && info.health_url) url = info.health_url;
  } catch {
    /* no runtime info: judge from the files */
  }
  if (url) {
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(3_000) });
      return { ...((await res.json()) as HealthReport), source: 'http', url };
    } catch {
      /* unreachable server: the files tell the rest */
    }
  }
  const store = await ctx.state();
  let heartbeat = null;
  try {
    heartbeat = store.exists(HeartbeatFile) ? store.read(HeartbeatFile) : null;
  } catch {
    heartbeat = null;
  }
  return { ...assessHealth({ now: ctx.clock.now(), running: pid !== null, pid, heartbeat, tradingState: ctx.tradingState(), tradingRefused: null }), source: 'files', url };
}

/** The health report; CheckFailed (exit 5) when unhealthy (or not live with --live). */
export async function runBrainHealth(ctx: KobeContext, o: BrainHealthOptions): Promise<BrainHealthResult> {
  ctx.requireHome();
  const h = await currentHealth(ctx);
  if (!(o.live ? h.live : h.healthy)) {
    if (!ctx.out.json) renderBrainHealth(ctx.out, h);
    throw new CheckFailed(`brain ${o.live ? 'not live' : 'unhealthy'}: ${h.reasons.join('; ')}`, { result: h, hint: h.pid ? '`kobe brain status` for the tasks; `kobe kill status` for a halt' : 'start it: `kobe brain start`' });
  }
  return h;
}

/** One status line and the reasons. */
export function renderBrainHealth(out: Output, h: BrainHealthResult): void {
  out.line(`${h.healthy ? out.s.green('healthy') : out.s.red('unhealthy')}  trading ${h.trading_state}${h.kill_reason ? ` (${h.kill_reason})` : ''}  heartbeat ${h.heartbeat_age_s === null ? 'none' : `${h.heartbeat_age_s} s ago`}  pid ${h.pid ?? '-'}  (${h.source === 'http' ? h.url : 'from files'})`);
  for (const r of h.reasons) out.line(`  - ${r}`);
}
