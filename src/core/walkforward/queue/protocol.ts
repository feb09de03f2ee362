// What coordinator and workers agree on: key names, TTLs, and the shapes of a run's record, a job's
// data and a job's return value. Nothing here holds a secret: jobs carry windows, params and a bars
// hash, never a URL or a password.
import type { WfJob } from '../job.js';

/** Prefix of every key kobe writes, BullMQ's included (kobe:wf-<run>:...). */
export const PREFIX = 'kobe';
/** Sorted set of live runs: member run id, score the end of its lease (Redis time, ms). */
export const RUNS_KEY = `${PREFIX}:wf:runs`;
/** A run's record (RunRecord as JSON). */
export const runKey = (run: string): string => `${PREFIX}:wf:run:${run}`;
/** A run's BullMQ queue name; its keys are kobe:wf-<run>:*. */
export const queueName = (run: string): string => `wf-${run}`;
/** Compressed bars by the sha256 of their serialised bytes. */
export const barsKey = (hash: string): string => `${PREFIX}:bars:${hash}`;
/** Runs using a bars blob; the blob goes when the last one is cleaned up. */
export const barsRefsKey = (hash: string): string => `${PREFIX}:bars:${hash}:runs`;

/** Backstop TTL of every key kobe writes (refreshed while the coordinator lives). */
export const KEY_TTL_S = 24 * 3600;
/** A run stays listed for workers this long after the coordinator's last heartbeat. */
export const RUN_LEASE_MS = 30_000;
/** Coordinator heartbeat period. */
export const HEARTBEAT_MS = 5_000;
/** Tries per job before it fails the run. */
export const JOB_ATTEMPTS = 3;

/** Run ids: the report folder's name (a UTC stamp, maybe with -N). */
export const RUN_ID = /^[0-9A-Za-z][0-9A-Za-z_.-]{0,63}$/;

/** A run's record in Redis: what a worker needs to join, and what --resume needs to go on. */
export interface RunRecord {
  version: 1;
  /** kobe version of the coordinator; jobs carry it too. */
  kobe: string;
  created: string;
  /** Job lock (and stall check) period for the workers, ms. */
  lock_ms: number;
  /** sha256 of the run's bars, once published. */
  bars: string | null;
  /** The command's options, so `--resume RUN_ID` needs nothing else. */
  input: unknown;
}

/** A queued job's data. */
export interface QueueJobData {
  /** kobe version that published the job; a worker of another version refuses it. */
  kobe: string;
  run: string;
  /** sha256 of the serialised bars the job runs on. */
  bars: string;
  job: WfJob;
}

/** A completed job's return value. */
export interface QueueJobReturn {
  /** Worker name (host:pid). */
  worker: string;
  /** Time inside runJob, ms (the rest of the job's time is queue overhead). */
  ms: number;
  /** The WfJobResult, lossless (see codec.ts). */
  result: string;
}

/** The BullMQ job id of a job of round `round` (0 the splits, 1 the --propose evaluations). */
export const jobIdOf = (round: number, job: WfJob): string => `r${round}-${job.id}`;
