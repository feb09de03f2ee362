// Worker-thread entry of the walk-forward pool (compiled to dist/core/walkforward/worker.js). The
// shared bars arrive in workerData (and again in a `{ bars }` message when a kept pool starts its
// next run); every other message is a WfJob, each reply its result or error.
import { parentPort, workerData } from 'node:worker_threads';
import { type WfJob, runJob } from './job.js';
import type { SharedBars } from './shared-bars.js';

/** A worker's reply to one job. */
export type WorkerReply = { id: number; result: ReturnType<typeof runJob> } | { id: number; error: { message: string; stack?: string } };

let bars = (workerData as { bars: SharedBars }).bars;
const port = parentPort;
if (!port) throw new Error('walk-forward worker must run in a worker thread');
port.on('message', (msg: WfJob | { bars: SharedBars }) => {
  if ('bars' in msg) {
    bars = msg.bars;
    return;
  }
  const job = msg;
  let reply: WorkerReply;
  try {
    reply = { id: job.id, result: runJob(bars, job) };
  } catch (err) {
    reply = { id: job.id, error: { message: err instanceof Error ? err.message : String(err), stack: err instanceof Error ? err.stack : undefined } };
  }
  port.postMessage(reply);
});
