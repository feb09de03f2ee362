import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import { intFlag } from '../cli/flags.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { signalHooks } from '../cli/signals.js';
import { VERSION } from '../cli/version.js';
import { Interrupted, UsageError } from '../core/errors.js';
import { MAX_WORKERS } from '../core/walkforward/pool.js';
import type { QueueWorkerResult, WorkerEvent } from '../core/walkforward/queue/worker-loop.js';
import { displayQueueUrl, queueSecrets, resolveQueueUrl } from '../core/walkforward/queue/url.js';

/** Parsed flags of `kobe worker`. */
export interface WorkerOptions {
  queue?: string;
  concurrency: number;
  once: boolean;
  cache?: string;
}

/** What `kobe worker` returns when it stops on its own (--once). */
export interface WorkerResult extends QueueWorkerResult {
  worker: string;
  queue: string;
  concurrency: number;
  cache: string;
}

/** Validate the flags. */
export function parseWorker(raw: Record<string, unknown>): WorkerOptions {
  return {
    queue: typeof raw.queue === 'string' ? raw.queue : undefined,
    concurrency: intFlag('--concurrency', raw.concurrency, 1, MAX_WORKERS) ?? os.availableParallelism(),
    once: !!raw.once,
    cache: typeof raw.cache === 'string' ? raw.cache : undefined,
  };
}

/** Commander wiring. */
export function register(program: Command, kit: Kit): void {
  program
    .command('worker')
    .description('research worker: run walk-forward jobs from the Redis queue (any machine, no kobe home needed)')
    .option('--queue <url>', 'redis://[user:pass@]host:port[/db] or rediss://...; default KOBE_REDIS_URL')
    .option('--concurrency <n>', 'jobs at once, one thread each (default: the CPU count)')
    .option('--once', 'exit 0 when no run has a job waiting (for batch schedulers)')
    .option('--cache <dir>', 'bars cache (default $XDG_CACHE_HOME/kobe/bars, else ~/.cache/kobe/bars)')
    .addHelpText('after', '\nSIGTERM finishes the jobs in flight or hands them back to the queue, then exits 143.\nKeep the password in the environment (KOBE_REDIS_URL), not on the command line.\n\nExample:\n  KOBE_REDIS_URL=redis://kobe:PASSWORD@10.0.0.5:6379/0 kobe worker --concurrency 8\n  kobe worker --queue redis://127.0.0.1:6379/0 --once')
    .action(kit.action(parseWorker, runWorker, renderWorker));
}

/** The default bars cache: $XDG_CACHE_HOME/kobe/bars, else ~/.cache/kobe/bars. */
export function defaultCacheDir(env: Record<string, string | undefined>): string {
  const base = env.XDG_CACHE_HOME && path.isAbsolute(env.XDG_CACHE_HOME) ? env.XDG_CACHE_HOME : path.join(os.homedir(), '.cache');
  return path.join(base, 'kobe', 'bars');
}

/** Take jobs until SIGTERM (exit 143) or, with --once, until nothing waits. */
export async function runWorker(ctx: KobeContext, opts: WorkerOptions): Promise<WorkerResult> {
  // No requireHome: a worker machine needs no kobe home (a .env in --home is still read if there).
  const env = (await ctx.secrets()).KOBE_REDIS_URL;
  const url = resolveQueueUrl({ flag: opts.queue, env });
  if (!url) throw new UsageError('kobe worker needs the queue: --queue URL or KOBE_REDIS_URL', { hint: 'kobe worker --queue redis://127.0.0.1:6379/0' });
  ctx.redactor.add(...queueSecrets(url));
  if (opts.queue && url.password) ctx.out.warn('a password on the command line is visible to other users of this machine; set KOBE_REDIS_URL instead');
  const name = `${os.hostname()}:${process.pid}`;
  const cache = opts.cache ? path.resolve(opts.cache) : defaultCacheDir(ctx.env);
  const { runQueueWorker } = await import('../core/walkforward/queue/worker-loop.js');
  const stop = new AbortController();
  let signal: 'SIGINT' | 'SIGTERM' | null = null;
  signalHooks.graceful = (sig) => {
    if (signal) return;
    signal = sig;
    ctx.out.info(`worker: ${sig}: finishing or handing back the jobs in flight`);
    stop.abort();
  };
  try {
    ctx.out.info(`worker ${name} (kobe ${VERSION}) on ${displayQueueUrl(url)}: ${opts.concurrency} thread(s), bars cache ${cache}${opts.once ? ', --once' : ''}`);
    const r = await runQueueWorker({ url, version: VERSION, name, concurrency: opts.concurrency, once: opts.once, cacheDir: cache, signal: stop.signal, onEvent: (e) => report(ctx.out, e) });
    if (signal) throw new Interrupted(signal);
    return { worker: name, queue: displayQueueUrl(url), concurrency: opts.concurrency, cache, ...r };
  } finally {
    signalHooks.graceful = null;
  }
}

function report(out: Output, e: WorkerEvent): void {
  if (e.type === 'done') out.debug(`job ${e.job} of run ${e.run} (split ${e.split}): ${(e.ms / 1000).toFixed(2)} s`);
  else if (e.type === 'joined' || e.type === 'left') out.info(`worker: ${e.type} run ${e.run}`);
  else if (e.type === 'handed-back') out.info(`worker: handed job ${e.job} of run ${e.run} back to the queue`);
  else if (e.type === 'redis-error') out.warn(`queue: ${e.error}`);
  else out.warn(`job ${e.job} of run ${e.run}${e.split === null ? '' : ` (split ${e.split})`} ${e.type}: ${e.error}`);
}

/** Human rendering: one line of totals. */
export function renderWorker(out: Output, r: WorkerResult): void {
  out.line(`worker ${r.worker}: ${r.jobs_done} job(s) done, ${r.jobs_failed} failed, ${r.jobs_refused} refused, ${r.handed_back} handed back; runs: ${r.runs.join(', ') || 'none'}`);
}
