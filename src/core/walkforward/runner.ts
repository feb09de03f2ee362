// Where a run's jobs execute: the local worker-thread pool, or workers on other machines through a
// queue. Both return each job's result in job order, so the run (and its files) cannot tell which.
import type { WfJob, WfJobResult } from './job.js';
import type { SharedBars } from './shared-bars.js';

/** What a runner knows about its progress besides counts (the queue: distinct workers seen). */
export interface RunnerProgress {
  workers?: number;
}

/** Runs walk-forward jobs; the i-th result belongs to jobs[i]. */
export interface JobRunner {
  run(jobs: readonly WfJob[], onDone?: (done: number, total: number, info?: RunnerProgress) => void): Promise<WfJobResult[]>;
  close(): Promise<void>;
}

/** Starts a runner for a run's bars; `maxJobs` is the size of the run's largest round of jobs. */
export type JobRunnerFactory = (bars: SharedBars, maxJobs: number) => Promise<JobRunner>;
