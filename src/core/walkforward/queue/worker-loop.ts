// `kobe worker`'s loop. Runs are found through a well-known sorted set (kobe:wf:runs) that each
// coordinator keeps leasing; the worker attaches a BullMQ Worker to every live run's queue and
// detaches when the lease ends. Jobs run with the same runJob as the local pool, on worker threads
// (so the event loop stays free to renew BullMQ's job locks), on bars fetched once per hash.
// A job published by another kobe version, or naming bars that do not verify, is refused.
import { type Job, Queue, UnrecoverableError, WaitingError, Worker } from 'bullmq';
import type { WfJobResult } from '../job.js';
import { JobFailed, WorkerPool } from '../pool.js';
import type { SharedBars } from '../shared-bars.js';
import { BarsCache, BarsRefused } from './bars.js';
import { encodeValue } from './codec.js';
import { bullConnection, connectRedis, within } from './connect.js';
import { PREFIX, type QueueJobData, type QueueJobReturn, RUNS_KEY, RUN_ID, type RunRecord, queueName, runKey } from './protocol.js';
import type { QueueUrl } from './url.js';

/** How often a worker looks for new and finished runs (two cheap commands). */
export const DISCOVER_MS = 250;
/** After SIGTERM, jobs in flight get this long to finish before they are handed back. */
export const FINISH_GRACE_MS = 3_000;

/** Something a worker did, for the command's stderr lines. */
export type WorkerEvent =
  | { type: 'joined'; run: string }
  | { type: 'left'; run: string }
  | { type: 'done'; run: string; job: string; split: number; ms: number }
  | { type: 'failed' | 'refused'; run: string; job: string; split: number | null; error: string }
  | { type: 'handed-back'; run: string; job: string }
  | { type: 'redis-error'; error: string };

/** Options of runQueueWorker. */
export interface QueueWorkerOptions {
  url: QueueUrl;
  /** This worker's kobe version; jobs of another version are refused. */
  version: string;
  /** Name stored on the jobs it runs (host:pid). */
  name: string;
  /** Jobs at once, each on its own thread. */
  concurrency: number;
  /** Exit when no live run has a job waiting. */
  once: boolean;
  /** Bars cache folder. */
  cacheDir: string;
  /** Aborted on SIGTERM/SIGINT: finish or hand back the jobs in flight, then return. */
  signal: AbortSignal;
  /** How long jobs in flight may still finish after the signal (default FINISH_GRACE_MS). */
  graceMs?: number;
  entry?: URL;
  onEvent?: (e: WorkerEvent) => void;
}

/** What a worker did before it stopped. */
export interface QueueWorkerResult {
  jobs_done: number;
  jobs_failed: number;
  jobs_refused: number;
  handed_back: number;
  runs: string[];
  stopped: 'idle' | 'signal';
}

interface Attached {
  worker: Worker;
  queue: Queue;
}

/** Thread pools by bars hash: the newest kept, older ones closed once idle. */
class Pools {
  private readonly m = new Map<string, { pool: WorkerPool; busy: number }>();
  constructor(
    private readonly n: number,
    private readonly entry?: URL,
  ) {}

  acquire(hash: string, bars: SharedBars): { pool: WorkerPool; release: () => void } {
    const e = this.m.get(hash) ?? { pool: WorkerPool.start(bars, this.n, this.entry), busy: 0 };
    this.m.delete(hash);
    this.m.set(hash, e);
    e.busy++;
    return { pool: e.pool, release: () => (e.busy--, this.trim()) };
  }

  private trim(): void {
    for (const [h, e] of this.m) {
      if (this.m.size <= 1 || e.busy > 0) break;
      this.m.delete(h);
      void e.pool.close();
    }
  }

  async close(): Promise<void> {
    const all = [...this.m.values()];
    this.m.clear();
    await Promise.all(all.map((e) => e.pool.close()));
  }
}

/** Take jobs from every live run until idle (--once) or the signal. */
export async function runQueueWorker(o: QueueWorkerOptions): Promise<QueueWorkerResult> {
  const client = await connectRedis(o.url);
  const cache = new BarsCache(o.cacheDir, client);
  const pools = new Pools(o.concurrency, o.entry);
  const attached = new Map<string, Attached>();
  const inflight = new Set<string>();
  const runs = new Set<string>();
  const res: QueueWorkerResult = { jobs_done: 0, jobs_failed: 0, jobs_refused: 0, handed_back: 0, runs: [], stopped: 'idle' };
  let handBack = false;
  const emit = (e: WorkerEvent) => o.onEvent?.(e);

  const processor = async (job: Job<QueueJobData>, token?: string): Promise<QueueJobReturn> => {
    const d = job.data;
    const key = `${d.run}/${job.id}`;
    inflight.add(key);
    try {
      if (d.kobe !== o.version) {
        throw new UnrecoverableError(`kobe worker ${o.name} (kobe ${o.version}) refuses job ${job.id} of run ${d.run}: it was published by kobe ${d.kobe}; run workers of the coordinator's version`);
      }
      let bars: SharedBars;
      try {
        bars = await cache.get(d.bars);
      } catch (err) {
        if (err instanceof BarsRefused) throw new UnrecoverableError(`kobe worker ${o.name}: ${err.message}`);
        throw err;
      }
      const slot = pools.acquire(d.bars, bars);
      const t0 = performance.now();
      let result: WfJobResult;
      try {
        result = await slot.pool.runOne(d.job);
      } catch (err) {
        if (handBack) {
          await job.moveToWait(token);
          res.handed_back++;
          emit({ type: 'handed-back', run: d.run, job: String(job.id) });
          throw new WaitingError();
        }
        throw err instanceof JobFailed ? new Error(err.reason) : err;
      } finally {
        slot.release();
      }
      const ms = performance.now() - t0;
      res.jobs_done++;
      emit({ type: 'done', run: d.run, job: String(job.id), split: d.job.split, ms });
      return { worker: o.name, ms, result: encodeValue(result) };
    } finally {
      inflight.delete(key);
    }
  };

  const attach = (run: string, record: RunRecord) => {
    const worker = new Worker<QueueJobData, QueueJobReturn>(queueName(run), processor, {
      connection: bullConnection(o.url) as never,
      prefix: PREFIX,
      name: o.name,
      concurrency: o.concurrency,
      lockDuration: record.lock_ms,
      stalledInterval: record.lock_ms,
      // A second stall (two workers killed on the same job) fails it rather than looping.
      maxStalledCount: 2,
      drainDelay: 1,
    });
    worker.on('error', (err) => emit({ type: 'redis-error', error: err.message }));
    worker.on('failed', (job, err) => {
      if (!job || err instanceof WaitingError || err.name === 'WaitingError') return;
      const refused = err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
      if (refused) res.jobs_refused++;
      else res.jobs_failed++;
      emit({ type: refused ? 'refused' : 'failed', run, job: String(job.id), split: job.data?.job?.split ?? null, error: err.message });
    });
    const queue = new Queue(queueName(run), { connection: client as never, prefix: PREFIX });
    queue.on('error', () => undefined);
    attached.set(run, { worker, queue });
    runs.add(run);
    emit({ type: 'joined', run });
  };

  const detach = async (run: string) => {
    const a = attached.get(run);
    if (!a) return;
    attached.delete(run);
    await a.worker.close().catch(() => undefined);
    await a.queue.close().catch(() => undefined);
    emit({ type: 'left', run });
  };

  /** Live runs by their lease (Redis time, so worker clocks do not matter). */
  const discover = async (): Promise<string[]> => {
    const [sec, micro] = await client.time();
    const now = Number(sec) * 1000 + Math.floor(Number(micro) / 1000);
    const live = (await client.zrangebyscore(RUNS_KEY, now, '+inf')).filter((r) => RUN_ID.test(r));
    for (const run of live) {
      if (attached.has(run)) continue;
      const text = await client.get(runKey(run));
      if (text) attach(run, JSON.parse(text) as RunRecord);
    }
    for (const run of [...attached.keys()]) if (!live.includes(run)) await detach(run);
    return live;
  };

  const idle = async (): Promise<boolean> => {
    if (inflight.size > 0) return false;
    for (const a of attached.values()) {
      const c = await a.queue.getJobCounts('wait', 'prioritized', 'delayed');
      if (c.wait + c.prioritized + c.delayed > 0) return false;
    }
    return true;
  };

  try {
    while (!o.signal.aborted) {
      try {
        await discover();
        if (o.once && (await idle())) break;
      } catch (err) {
        emit({ type: 'redis-error', error: (err as Error).message });
      }
      await sleepUnless(o.signal, DISCOVER_MS);
    }
    res.stopped = o.signal.aborted ? 'signal' : 'idle';
    const closing = Promise.all([...attached.keys()].map(detach));
    const finished = await within(closing.then(() => true), o.graceMs ?? FINISH_GRACE_MS, () => new Error('grace over')).catch(() => false);
    if (!finished) {
      // Jobs still running are handed back to the queue (another worker takes them at once).
      handBack = true;
      await pools.close();
      await within(closing, 4_000, () => new Error('close timed out')).catch(() => undefined);
    }
  } finally {
    await pools.close();
    client.disconnect();
  }
  res.runs = [...runs].sort();
  return res;
}

function sleepUnless(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
