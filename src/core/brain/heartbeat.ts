// state/heartbeat.json, rewritten by the brain on every cycle and every 30 s. The brain is its
// single writer (the runner lock guarantees one brain), so it skips the state-file lock; it is
// replaced by rename (readers never see a torn file) without an fsync: after a power cut a
// heartbeat is stale anyway, and liveness is all it says.
import { StateError } from '../errors.js';
import type { KobePaths } from '../paths.js';
import { atomicReplace } from '../state/atomic.js';
import { HeartbeatFile } from '../state/schemas.js';

/** The heartbeat document. */
export type Heartbeat = ReturnType<typeof HeartbeatFile.initial>;

/** Validate and replace state/heartbeat.json. */
export function writeHeartbeat(paths: KobePaths, hb: Heartbeat): void {
  const r = HeartbeatFile.schema.safeParse(hb);
  if (!r.success) throw new StateError('state/heartbeat.json', r.error.issues[0].path.join('.'), `refusing to write an invalid heartbeat: ${r.error.issues[0].message}`);
  atomicReplace(paths.state(HeartbeatFile.name), `${JSON.stringify(r.data, null, 2)}\n`);
}
