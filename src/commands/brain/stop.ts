import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { brainAlive, readRunnerLock, runningBrainPid } from '../../core/brain/runner-lock.js';
import { KobeError, UsageError } from '../../core/errors.js';

/** Flags of `brain stop`. */
export interface BrainStopOptions {
  timeoutS: number;
}

/** What the stop did. */
export interface BrainStopResult {
  stopped: boolean;
  pid: number | null;
  waited_ms: number;
  detail: string;
}

/** Wire `brain stop`. */
export function registerBrainStop(brain: Command, kit: Kit): void {
  brain
    .command('stop')
    .description('stop the running brain: SIGTERM, then wait for it to finish its task, write a final heartbeat and release the lock')
    .option('--timeout <s>', 'seconds to wait', '15')
    .addHelpText('after', '\nExample:\n  kobe brain stop')
    .action(
      kit.action((raw) => {
        const t = Number(raw.timeout ?? 15);
        if (!(Number.isFinite(t) && t > 0 && t <= 300)) throw new UsageError(`--timeout must be 1..300 s, got "${raw.timeout}"`);
        return { timeoutS: t };
      }, runBrainStop, renderBrainStop),
    );
}

/** SIGTERM the running brain and wait for it to exit. */
export async function runBrainStop(ctx: KobeContext, o: BrainStopOptions): Promise<BrainStopResult> {
  ctx.requireHome();
  const pid = runningBrainPid(ctx.paths);
  if (!pid) {
    const stale = readRunnerLock(ctx.paths);
    return { stopped: false, pid: null, waited_ms: 0, detail: stale ? `not running (stale lock of pid ${stale.pid}; the next start cleans it)` : 'not running' };
  }
  if (pid === process.pid) throw new UsageError('this process holds the brain lock; stop it from another shell');
  const t0 = Date.now();
  process.kill(pid, 'SIGTERM');
  while (Date.now() - t0 < o.timeoutS * 1000) {
    await new Promise((r) => setTimeout(r, 100));
    if (!brainAlive(pid)) return { stopped: true, pid, waited_ms: Date.now() - t0, detail: `stopped (pid ${pid})` };
  }
  throw new KobeError(`the brain (pid ${pid}) is still running ${o.timeoutS} s after SIGTERM`, { hint: `kill -9 ${pid}: the next \`kobe brain start\` reconciles first and catches up missed exits`, details: { pid } });
}

/** One line. */
export function renderBrainStop(out: Output, r: BrainStopResult): void {
  if (r.stopped) out.changed(`brain ${r.detail} after ${(r.waited_ms / 1000).toFixed(1)} s`);
  else out.line(`brain ${r.detail}`);
}
