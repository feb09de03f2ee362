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
import type { JobRunner, JobRunnerFactory } from './runner.js';
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

/** A job that threw inside a worker: `reason` is the job's own error message. */
export class JobFailed extends Error {
  constructor(
    readonly job: WfJob,
    readonly reason: string,
    stack?: string,
  ) {
    super(`walk-forward job ${job.id} (split ${job.split}) failed: ${reason}`, { cause: stack });
  }
}

/** Worker threads sharing one copy of the bars. */
export class WorkerPool implements JobRunner {
  private readonly idle: Worker[];
  private readonly waiting: Array<{ resolve: (w: Worker) => void; reject: (e: Error) => void }> = [];
  private closed = false;

  private readonly workers: Worker[];

  private constructor(
    private bars: SharedBars,
    n: number,
    private readonly entry: URL,
  ) {
    this.workers = Array.from({ length: n }, () => this.spawn());
    this.idle = [...this.workers];
  }

  /** Start `n` workers on the shared bars. */
  static start(bars: SharedBars, n: number, entry: URL = workerEntry()): WorkerPool {
    if (!Number.isInteger(n) || n < 1 || n > MAX_WORKERS) throw new RangeError(`workers must be an integer from 1 to ${MAX_WORKERS}, got ${n}`);
    return new WorkerPool(bars, n, entry);
  }

  private spawn(): Worker {
    return new Worker(this.entry, { workerData: { bars: this.bars } });
  }

  /** Between runs: the next jobs read these bars (a thread costs ~50 ms to start; new bars, a message). */
  useBars(bars: SharedBars): void {
    if (this.closed) throw new Error('walk-forward pool closed');
    if (this.busy) throw new Error('walk-forward pool is busy: its bars change only between runs');
    this.bars = bars;
    for (const w of this.workers) w.postMessage({ bars });
  }

  /** True while a job is in flight. */
  get busy(): boolean {
    return this.idle.length !== this.workers.length;
  }

  /** Idle threads do not keep the process alive (a kept pool between runs); run() holds them while it works. */
  unref(): void {
    for (const w of this.workers) w.unref();
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /** Run every job; the i-th result belongs to jobs[i]. The first failure rejects and stops feeding. */
  async run(jobs: readonly WfJob[], onDone?: (done: number, total: number) => void): Promise<WfJobResult[]> {
    let done = 0;
    let failed = false;
    for (const w of this.workers) w.ref();
    // Threads are handed out first come, first served, so jobs start in list order.
    return Promise.all(
      jobs.map(async (job) => {
        const w = await this.take();
        if (failed) {
          this.give(w);
          return undefined as unknown as WfJobResult;
        }
        try {
          const r = await this.send(w, job);
          done++;
          onDone?.(done, jobs.length);
          return r;
        } catch (err) {
          failed = true;
          throw err;
        }
      }),
    );
  }

  /** Run one job on the next free thread (the queue worker's path). */
  async runOne(job: WfJob): Promise<WfJobResult> {
    return this.send(await this.take(), job);
  }

  /** Stop every worker; jobs in flight reject. */
  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(new Error('walk-forward pool closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private take(): Promise<Worker> {
    if (this.closed) return Promise.reject(new Error('walk-forward pool closed'));
    const w = this.idle.pop();
    if (w) return Promise.resolve(w);
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private give(w: Worker): void {
    if (this.closed) return;
    const next = this.waiting.shift();
    if (next) next.resolve(w);
    else this.idle.push(w);
  }

  /** A thread that died is replaced, so a long-lived pool keeps its size. */
  private replace(dead: Worker): void {
    const i = this.workers.indexOf(dead);
    if (this.closed || i < 0) return;
    const fresh = this.spawn();
    this.workers[i] = fresh;
    this.give(fresh);
  }

  private send(w: Worker, job: WfJob): Promise<WfJobResult> {
    return new Promise((resolve, reject) => {
      const off = () => {
        w.off('message', onMessage);
        w.off('error', onError);
        w.off('exit', onExit);
      };
      const onMessage = (r: WorkerReply) => {
        off();
        this.give(w);
        if ('error' in r) reject(new JobFailed(job, r.error.message, r.error.stack));
        else resolve(r.result);
      };
      const onError = (err: Error) => {
        off();
        this.replace(w);
        reject(err);
      };
      const onExit = (code: number) => {
        off();
        this.replace(w);
        reject(new Error(`walk-forward worker exited (code ${code}) during job ${job.id}`));
      };
      w.on('message', onMessage);
      w.on('error', onError);
      w.on('exit', onExit);
      w.postMessage(job);
    });
  }
}

/** Whether two packings hold the same bars (same symbols, offsets and every column, byte for byte). */
export function sameBars(a: SharedBars, b: SharedBars): boolean {
  if (a === b) return true;
  if (a.symbols.length !== b.symbols.length || a.symbols.some((s, i) => s !== b.symbols[i])) return false;
  const cols = ['offsets', 'dates', 'open', 'high', 'low', 'close', 'volume'] as const;
  return cols.every((k) => {
    const x = a[k];
    const y = b[k];
    return x.length === y.length && Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), Buffer.from(y.buffer, y.byteOffset, y.byteLength)) === 0;
  });
}

/** Bytes of one packing of bars. */
function barsBytes(b: SharedBars): number {
  return b.offsets.byteLength + b.dates.byteLength + 5 * b.close.byteLength;
}

/**
 * A thread may have been handed this many bytes of bars before it is retired: a bars object it no
 * longer uses is freed only when that thread's isolate collects it, which an idle thread may never
 * do, so the total it can hold is capped rather than left to its GC.
 */
const KEPT_BARS_BYTES = 32 * 1024 * 1024;

/**
 * One pool kept across runs (the brain's nightly walk-forward): a run reuses the threads (~50 ms
 * each to start) as they are when its bars are the same as the last run's, and hands them the new
 * bars otherwise, until they have been given KEPT_BARS_BYTES; then they are retired for fresh ones.
 * Idle threads wait unreferenced until close(); a run that ends with a job still in flight (a
 * failure) retires them too.
 */
export class KeptPool {
  private pool: WorkerPool | null = null;
  private bars: SharedBars | null = null;
  private handed = 0;
  /** Pools started so far (a reused one is not counted again). */
  started = 0;

  constructor(
    private readonly n: number,
    private readonly entry?: URL,
    private readonly budget = KEPT_BARS_BYTES,
  ) {}

  readonly factory: JobRunnerFactory = async (bars) => {
    const size = barsBytes(bars);
    if (this.pool && !sameBars(this.bars!, bars)) {
      if (this.handed + size <= this.budget) {
        this.pool.useBars(bars);
        this.bars = bars;
        this.handed += size;
      } else await this.close();
    }
    if (!this.pool) {
      this.pool = WorkerPool.start(bars, this.n, this.entry);
      this.bars = bars;
      this.handed = size;
      this.started++;
    }
    const pool = this.pool;
    return {
      run: (jobs, onDone) => pool.run(jobs, onDone),
      close: async () => {
        if (!pool.busy) return pool.unref();
        if (this.pool === pool) this.pool = null;
        await pool.close();
      },
    };
  };

  /** Stop the threads (the brain's shutdown). */
  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    this.bars = null;
    this.handed = 0;
    await pool?.close();
  }
}
