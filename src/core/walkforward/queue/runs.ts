// A coordinator's side of the queue: one fail-fast connection, the run's record (claimed once,
// read back by --resume), the lease that lists the run for workers, and the clean-up at the end.
import type { Redis } from 'ioredis';
import { ConnectivityError, KobeError, UsageError, errorText } from '../../errors.js';
import { connectRedis } from './connect.js';
import { KEY_TTL_S, PREFIX, RUNS_KEY, RUN_ID, RUN_LEASE_MS, type RunRecord, queueName, runKey } from './protocol.js';
import { type QueueUrl, displayQueueUrl } from './url.js';

const EXPIRE_UNLESS_SHORT = "for _, k in ipairs(KEYS) do local t = redis.call('TTL', k) if t == -1 or t > tonumber(ARGV[2]) then redis.call('EXPIRE', k, ARGV[1]) end end return 1";

/** Whether an error is Redis going away (not a reply Redis gave). */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof KobeError) return err instanceof ConnectivityError;
  const name = (err as { name?: string })?.name;
  return name !== 'ReplyError' && /closed|writeable|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|max retries|connect/i.test(errorText(err));
}

/** Options of a coordinator's connection. */
export interface QueueSessionOptions {
  url: QueueUrl;
  /** kobe version: stored with the run and carried by every job. */
  version: string;
  /** Job lock and stall-check period the run's workers use. */
  lockMs: number;
  /** Redis may be unreachable this long mid-run before the run gives up (exit 4). */
  lostMs?: number;
  /** No worker may take a job this long before the run gives up (exit 4); default: wait forever. */
  idleMs?: number;
  /** The next command to run when Redis is lost mid-run (named in the error's hint). */
  resumeHint: (run: string) => string;
}

/** A coordinator's connection to the queue's Redis. */
export class QueueSession {
  private constructor(
    readonly client: Redis,
    readonly opts: QueueSessionOptions,
  ) {}

  /** Connect; ConnectivityError / AuthError (exit 4) when Redis cannot be used. */
  static async open(opts: QueueSessionOptions): Promise<QueueSession> {
    return new QueueSession(await connectRedis(opts.url), opts);
  }

  /** The URL without its password. */
  get display(): string {
    return displayQueueUrl(this.opts.url);
  }

  /** A connection error as exit 4 with the resume hint; anything else unchanged. */
  lost(run: string, err: unknown): unknown {
    if (!isConnectionError(err) || err instanceof ConnectivityError) return err;
    return new ConnectivityError(`lost Redis at ${this.display} during walk-forward run ${run} (${errorText(err)})`, { hint: this.opts.resumeHint(run) });
  }

  /** The record of a run to resume; UsageError when Redis has none or another kobe wrote it. */
  async loadRun(run: string): Promise<RunRecord> {
    if (!RUN_ID.test(run)) throw new UsageError(`--resume: "${run.slice(0, 80)}" is not a run id`, { hint: 'the run id is in the error of the interrupted run, and is its report folder name' });
    const text = await this.client.get(runKey(run));
    if (text === null) throw new UsageError(`no walk-forward run ${run} in Redis at ${this.display}: it finished, failed, or its keys expired`, { hint: 'start a new run without --resume' });
    const record = JSON.parse(text) as RunRecord;
    if (record.kobe !== this.opts.version) throw new UsageError(`run ${run} was started by kobe ${record.kobe}; this is kobe ${this.opts.version}`, { hint: `resume it with kobe ${record.kobe}, or start a new run` });
    return record;
  }

  /** Claim the first free id of `candidates` for a new run, storing the command's options with it. */
  async claimRun(candidates: Iterable<string>, input: unknown, now: Date): Promise<string> {
    const record: RunRecord = { version: 1, kobe: this.opts.version, created: now.toISOString(), lock_ms: this.opts.lockMs, bars: null, input };
    let tries = 0;
    for (const id of candidates) {
      if ((await this.client.set(runKey(id), JSON.stringify(record), 'EX', KEY_TTL_S, 'NX')) === 'OK') return id;
      if (++tries >= 100) break;
    }
    throw new KobeError('no free walk-forward run id in Redis after 100 tries');
  }

  /** Record the bars a run uses; a resumed run must use the bars it started with. */
  async setBars(run: string, hash: string): Promise<void> {
    const text = await this.client.get(runKey(run));
    if (text === null) throw new UsageError(`walk-forward run ${run} is no longer in Redis at ${this.display}`, { hint: 'start a new run' });
    const record = JSON.parse(text) as RunRecord;
    if (record.bars !== null && record.bars !== hash) {
      throw new UsageError(`the bars changed since run ${run} started (sha256 ${record.bars.slice(0, 12)} then, ${hash.slice(0, 12)} now): its results cannot be mixed`, { hint: 'start a new run without --resume' });
    }
    if (record.bars === null) await this.client.set(runKey(run), JSON.stringify({ ...record, bars: hash }), 'KEEPTTL');
  }

  /** List the run for workers until the lease ends; called every heartbeat. */
  async renewLease(run: string, extraKeys: string[]): Promise<void> {
    const [sec, micro] = await this.client.time();
    const until = Number(sec) * 1000 + Math.floor(Number(micro) / 1000) + RUN_LEASE_MS;
    const m = this.client.multi().zadd(RUNS_KEY, until, run).expire(RUNS_KEY, KEY_TTL_S).expire(runKey(run), KEY_TTL_S);
    for (const k of extraKeys) m.expire(k, KEY_TTL_S);
    await m.exec();
  }

  /**
   * TTL backstop on the run's BullMQ keys (kobe:wf-<run>:*), which BullMQ writes without one. Keys
   * that already expire within the hour are BullMQ's own locks and markers: left alone, since a
   * longer lock would hide a dead worker's job from stall detection.
   */
  async expireQueueKeys(run: string): Promise<void> {
    let cursor = '0';
    do {
      const [next, keys] = await this.client.scan(cursor, 'MATCH', `${PREFIX}:${queueName(run)}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) await this.client.eval(EXPIRE_UNLESS_SHORT, keys.length, ...keys, KEY_TTL_S, 3600);
    } while (cursor !== '0');
  }

  /** Take the run off the workers' list and drop its record. */
  async forgetRun(run: string): Promise<void> {
    await this.client.multi().zrem(RUNS_KEY, run).del(runKey(run)).exec();
  }

  /** Close the connection (never waits on a Redis that is gone). */
  async close(): Promise<void> {
    this.client.disconnect();
  }
}
