// A pool of worker threads for walk-forward jobs: started once per run with the shared bars in
// workerData, fed jobs in list order, results returned in list order whatever finishes first.
// `--workers 1` is one worker thread, not an in-process shortcut: every worker count takes the same
// path (structured clone of jobs and results included), so results cannot depend on it.
import fs from 'node:fs';
import { packageRoot } from '../package-root.js';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WfJob, WfJobResult } from './job.js';
import type { SharedBars } from './shared-bars.js';
import type { WorkerReply } from './worker.js';

/** Most workers a pool starts. */
export const MAX_WORKERS = 64;

/**
 * URL of the compiled worker entry, next to this module. From the TypeScript sources (jest) the
 * entry is the compiled twin under dist/, because a worker thread cannot load .ts files.
 */
export function workerEntry(): URL {
  const here = new URL('./worker.js', import.meta.url);
  const file = fileURLToPath(here);
  if (fs.existsSync(file)) return here;
  // From the sources (jest) or the single-file binary: the tsc-compiled entry under dist/.
  const twin = path.join(packageRoot(), 'dist', 'core', 'walkforward', 'worker.js');
  if (fs.existsSync(twin)) return pathToFileURL(twin);
  throw new Error(`walk-forward worker entry not found at ${file} or ${twin}; run \`npm run build\``);
}

/** Worker threads sharing one copy of the bars. */
export class WorkerPool {
  private constructor(private readonly workers: Worker[]) {}

  /** Start `n` workers on the shared bars. */
  static start(bars: SharedBars, n: number, entry: URL = workerEntry()): WorkerPool {
    if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new RangeError(`workers must be an integer from 1 to ${MAX_WORKERS}, got ${n}`);
    return new WorkerPool(Array.from({ length: n }, () => new Worker(entry, { workerData: { bars } })));
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Run every job; the i-th result belongs to jobs[i]. The first failure rejects and stops feeding. */
  async run(jobs: readonly WfJob[], onDone?: (done: number, total: number) => void): Promise<WfJobResult[]> {
    const results = new Array<WfJobResult>(jobs.length);
    let next = 0;
    let done = 0;
    let failed = false;
    const lane = async (w: Worker): Promise<void> => {
      while (next < jobs.length && !failed) {
        const at = next++;
        try {
          results[at] = await send(w, jobs[at]);
        } catch (err) {
          failed = true;
          throw err;
        }
        onDone?.(++done, jobs.length);
      }
    };
    await Promise.all(this.workers.map(lane));
    return results;
  }

  /** Stop every worker. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

function send(w: Worker, job: WfJob): Promise<WfJobResult> {
  return new Promise((resolve, reject) => {
    const off = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (r: WorkerReply) => {
      off();
      if ('error' in r) reject(new Error(`walk-forward job ${job.id} (split ${job.split}) failed: ${r.error.message}`, { cause: r.error.stack }));
      else resolve(r.result);
    };
    const onError = (err: Error) => {
      off();
      reject(err);
    };
    const onExit = (code: number) => {
      off();
      reject(new Error(`walk-forward worker exited (code ${code}) during job ${job.id}`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(job);
  });
}
