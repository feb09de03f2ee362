// The coordinator's JobRunner: publishes the bars once, adds each round's jobs to the run's BullMQ
// queue under fixed ids (r<round>-<job id>, so --resume re-adds only what is missing), and polls for
// results, which it assembles by job id: the order workers finish in never reaches the summary.
// Redis unreachable for longer than `lostMs` ends the run with exit 4 and leaves its keys for
// --resume; success or a failed job removes them.
import { Queue } from 'bullmq';
import { ConnectivityError, KobeError } from '../../errors.js';
import type { WfJob, WfJobResult } from '../job.js';
import type { JobRunner, RunnerProgress } from '../runner.js';
import type { SharedBars } from '../shared-bars.js';
import { type BarsPublication, publishBars, releaseBars } from './bars.js';
import { decodeValue } from './codec.js';
import { within } from './connect.js';
import { HEARTBEAT_MS, JOB_ATTEMPTS, PREFIX, type QueueJobData, type QueueJobReturn, barsKey, barsRefsKey, jobIdOf, queueName } from './protocol.js';
import { type QueueSession, isConnectionError } from './runs.js';

/** How often the coordinator looks for finished jobs. */
export const POLL_MS = 100;
/** Default time Redis may be away before the run gives up. */
export const LOST_MS = 5_000;

/** What a queue run reports besides the summary. */
export interface QueueRunInfo {
  run_id: string;
  queue: string;
  bars: BarsPublication;
  /** Workers that returned results (host:pid). */
  workers: string[];
  jobs: number;
  /** Jobs whose results were already in Redis (a resumed run). */
  reused: number;
  /** Per job: time on the worker outside runJob (fetching bars, queue round trips), ms. */
  overhead_ms: number[];
}

/** The run's queue figures for the command's result. */
export type QueueReport = Omit<QueueRunInfo, 'overhead_ms'> & { overhead_ms_median: number | null };

type State = 'running' | 'failed' | 'lost';

/** Runs a walk-forward's jobs on `kobe worker` processes through Redis. */
export class QueueRunner implements JobRunner {
  private round = 0;
  private state: State = 'running';
  private beat: NodeJS.Timeout | undefined;
  private readonly workers = new Set<string>();
  readonly info: QueueRunInfo;

  private constructor(
    private readonly session: QueueSession,
    private readonly queue: Queue,
    private readonly run_: string,
    bars: BarsPublication,
    private readonly lostMs: number,
  ) {
    this.info = { run_id: run_, queue: session.display, bars, workers: [], jobs: 0, reused: 0, overhead_ms: [] };
  }

  /** Publish the bars, list the run for workers and start its heartbeat. */
  static async open(session: QueueSession, run: string, bars: SharedBars): Promise<QueueRunner> {
    let pub: BarsPublication;
    try {
      // Listed first: workers attach to the queue while the bars are being published.
      await session.renewLease(run, []);
      pub = await publishBars(session.client, bars, run);
      await session.setBars(run, pub.hash);
    } catch (err) {
      throw session.lost(run, err);
    }
    const queue = new Queue(queueName(run), { connection: session.client as never, prefix: PREFIX });
    queue.on('error', () => undefined); // connection trouble surfaces through the poll as exit 4
    const r = new QueueRunner(session, queue, run, pub, session.opts.lostMs ?? LOST_MS);
    await r.heartbeat().catch((err: unknown) => {
      void queue.close().catch(() => undefined);
      throw session.lost(run, err);
    });
    r.beat = setInterval(() => void r.heartbeat().catch(() => undefined), HEARTBEAT_MS);
    r.beat.unref();
    return r;
  }

  private async heartbeat(): Promise<void> {
    const h = this.info.bars.hash;
    await this.session.renewLease(this.run_, [barsKey(h), barsRefsKey(h)]);
    await this.session.expireQueueKeys(this.run_);
  }

  /** Add the jobs (those not already queued), wait for every result, return them in job order. */
  async run(jobs: readonly WfJob[], onDone?: (done: number, total: number, info?: RunnerProgress) => void): Promise<WfJobResult[]> {
    const round = this.round++;
    const ids = jobs.map((j) => jobIdOf(round, j));
    if (new Set(ids).size !== ids.length) throw new Error('walk-forward jobs must have distinct ids');
    const byId = new Map(ids.map((id, i) => [id, i]));
    const results = new Array<WfJobResult | undefined>(jobs.length);
    let done = 0;
    const earlier = new Set<string>();
    const guard = <T>(p: Promise<T>) => within(p, this.lostMs, () => new Error('Redis did not answer (connection timed out)'));
    try {
      const data = (job: WfJob): QueueJobData => ({ kobe: this.session.opts.version, run: this.run_, bars: this.info.bars.hash, job });
      await guard(
        this.queue.addBulk(jobs.map((job, i) => ({ name: `split-${job.split}`, data: data(job), opts: { jobId: ids[i], attempts: JOB_ATTEMPTS, backoff: { type: 'fixed', delay: 500 } } }))),
      );
      // A resumed run gives failed jobs another set of attempts: the operator fixed something.
      for (const id of await guard(this.queue.getRanges(['failed'], 0, -1))) {
        if (byId.has(id)) await guard(this.queue.getJob(id)).then((j) => j?.retry('failed'));
      }
      for (const id of await guard(this.queue.getRanges(['completed'], 0, -1))) if (byId.has(id)) earlier.add(id);
    } catch (err) {
      this.state = 'lost';
      throw this.session.lost(this.run_, err);
    }
    this.info.jobs += jobs.length;
    void this.heartbeat().catch(() => undefined); // the new jobs get their TTL now, not at the next beat
    let lastOk = Date.now();
    // A job taken (active) or finished is progress; with none for idleMs, no worker is listening.
    let lastProgress = Date.now();
    const idleMs = this.session.opts.idleMs ?? Infinity;
    for (;;) {
      try {
        const [completed, failed, active] = await guard(Promise.all([this.queue.getRanges(['completed'], 0, -1), this.queue.getRanges(['failed'], 0, -1), this.queue.getRanges(['active'], 0, -1)]));
        if (active.some((id) => byId.has(id))) lastProgress = Date.now();
        const mine = failed.find((id) => byId.has(id));
        if (mine) {
          const j = await guard(this.queue.getJob(mine));
          const job = jobs[byId.get(mine)!];
          this.state = 'failed';
          throw new KobeError(`walk-forward job ${mine} (split ${job.split}) failed after ${j?.attemptsMade ?? '?'} attempt(s)${j?.processedBy ? ` on worker ${j.processedBy}` : ''}: ${j?.failedReason ?? 'no reason recorded'}`, {
            hint: 'the error is the worker\'s; fix its cause and start the run again (the run\'s Redis keys were removed)',
            details: { run: this.run_, job: mine, split: job.split, attempts: j?.attemptsMade ?? null, error: j?.failedReason ?? null },
          });
        }
        const fresh = completed.filter((id) => byId.has(id) && results[byId.get(id)!] === undefined);
        for (const id of fresh) {
          const j = await guard(this.queue.getJob(id));
          if (!j) continue;
          const ret = j.returnvalue as QueueJobReturn;
          const r = decodeValue(ret.result) as WfJobResult;
          const i = byId.get(id)!;
          if (r.id !== jobs[i].id || r.split !== jobs[i].split) throw new KobeError(`walk-forward job ${id} returned the result of job ${r.id} (split ${r.split})`);
          results[i] = r;
          if (earlier.has(id)) this.info.reused++;
          else if (j.processedOn && j.finishedOn) this.info.overhead_ms.push(Math.max(0, j.finishedOn - j.processedOn - ret.ms));
          this.workers.add(ret.worker);
          done++;
          onDone?.(done, jobs.length, { workers: this.workers.size });
        }
        lastOk = Date.now();
        if (fresh.length) lastProgress = lastOk;
        if (done === jobs.length) break;
        if (lastOk - lastProgress > idleMs) {
          // Kept for --resume: the jobs wait in Redis for a worker.
          this.state = 'lost';
          throw new ConnectivityError(`no kobe worker took a job of walk-forward run ${this.run_} from ${this.session.display} in ${Math.round(idleMs / 1000)} s (${done} of ${jobs.length} done)`, {
            hint: `start one: kobe worker --queue ${this.session.display} (docs/scale-out.md), then: ${this.session.opts.resumeHint(this.run_).replace(/^when Redis is back: /, '')}`,
            details: { run: this.run_, done, total: jobs.length, waited_s: Math.round(idleMs / 1000) },
          });
        }
      } catch (err) {
        if (err instanceof KobeError || !isConnectionError(err)) throw err;
        if (Date.now() - lastOk < this.lostMs) {
          await sleep(POLL_MS * 5);
          continue;
        }
        this.state = 'lost';
        throw this.session.lost(this.run_, err);
      }
      await sleep(POLL_MS);
    }
    this.info.workers = [...this.workers].sort();
    return results as WfJobResult[];
  }

  /** The figures for the command's result (per-job overhead as its median). */
  report(): QueueReport {
    const { overhead_ms: xs, ...rest } = this.info;
    const sorted = [...xs].sort((a, b) => a - b);
    return { ...rest, overhead_ms_median: sorted.length ? sorted[Math.floor(sorted.length / 2)] : null };
  }

  /** Stop the heartbeat; remove the run's keys unless Redis was lost (they wait for --resume). */
  async close(): Promise<void> {
    clearInterval(this.beat);
    if (this.state !== 'lost') {
      try {
        await within(
          (async () => {
            await this.session.forgetRun(this.run_);
            await this.queue.obliterate({ force: true });
            await releaseBars(this.session.client, this.info.bars.hash, this.run_);
          })(),
          this.lostMs,
          () => new Error('timed out'),
        );
      } catch {
        // What is left expires with the keys' TTL.
      }
    }
    await within(this.queue.close(), 2_000, () => new Error('timed out')).catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
