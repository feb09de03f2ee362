// Inter-process locks for state files: a `<file>.lock` directory (mkdir is atomic on every local
// filesystem) holding its owner's pid, its mtime refreshed while held. A SIGKILLed writer is the
// normal crash here, so a lock whose owner is dead is taken over at once, and one untouched for
// STALE_MS whatever its owner, under a second "takeover" lock so that only one waiter removes it
// and never a lock that a live process has just taken.
import fs from 'node:fs';
import path from 'node:path';
import { SafetyRefusal, StateError, errnoCode } from '../errors.js';

const STALE_MS = 30_000;
const YOUNG_MS = 5_000;

export interface LockOptions {
  /** Give up after this long (ms); default 15 s. */
  timeoutMs?: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

function lockIsDead(lockDir: string): boolean {
  let st: fs.Stats;
  try {
    st = fs.statSync(lockDir);
  } catch {
    return false;
  }
  const age = Date.now() - st.mtimeMs;
  if (age > STALE_MS) return true;
  let owner: number;
  try {
    owner = Number.parseInt(fs.readFileSync(`${lockDir}/owner`, 'utf8'), 10);
  } catch {
    return age > YOUNG_MS;
  }
  return Number.isFinite(owner) && owner > 0 && owner !== process.pid && !pidAlive(owner);
}

function tryTakeover(lockDir: string): void {
  const guard = `${lockDir}.takeover`;
  try {
    fs.mkdirSync(guard);
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
    try {
      if (Date.now() - fs.statSync(guard).mtimeMs > YOUNG_MS) fs.rmSync(guard, { recursive: true, force: true });
    } catch {
      /* someone else is cleaning up */
    }
    return;
  }
  try {
    if (lockIsDead(lockDir)) fs.rmSync(lockDir, { recursive: true, force: true });
  } finally {
    fs.rmSync(guard, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let processOnly = false;
const chains = new Map<string, Promise<unknown>>();

/**
 * From now on, locks serialise callers inside this process only (no lock directories): for a replay
 * in its own scratch home, which no other process writes. Orders of writes stay exactly the same.
 */
export function useProcessLocks(): void {
  processOnly = true;
}

function withProcessLock<T>(file: string, fn: () => Promise<T> | T): Promise<T> {
  const prev = chains.get(file) ?? Promise.resolve();
  const run = prev.then(() => fn(), () => fn());
  const tail = run.then(() => undefined, () => undefined);
  chains.set(file, tail);
  void tail.then(() => {
    if (chains.get(file) === tail) chains.delete(file);
  });
  return run;
}

/** Run `fn` holding the lock of `file` (a `<file>.lock` directory); refuses with exit 6 on timeout. */
export async function withLock<T>(file: string, fn: () => Promise<T> | T, opts: LockOptions = {}): Promise<T> {
  if (processOnly) return withProcessLock(file, fn);
  const lockDir = `${file}.lock`;
  const deadline = Date.now() + (opts.timeoutMs ?? 15_000);
  let refresh: ReturnType<typeof setInterval> | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      // Synchronous acquisition: no thread-pool round trips on the hot path (waits stay async).
      fs.mkdirSync(lockDir);
      fs.writeFileSync(`${lockDir}/owner`, String(process.pid));
      refresh = setInterval(() => touch(lockDir), STALE_MS / 3);
      refresh.unref();
      break;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        // The folder is gone: never recreate state/ behind the operator's back (fail closed).
        throw new StateError(path.dirname(file), '', 'directory is missing; cannot lock or write here', { hint: 'restore the kobe home (`kobe state restore`) or re-run `kobe init` for a new one' });
      }
      if (errnoCode(err) !== 'EEXIST') throw err;
      if (lockIsDead(lockDir)) tryTakeover(lockDir);
      if (Date.now() > deadline) {
        throw new SafetyRefusal(`lock held: ${lockDir}`, {
          hint: 'another kobe process is writing this file; wait for it, or remove the lock if no kobe process runs',
        });
      }
      await sleep(Math.min(50, 2 + attempt * 2) + Math.random() * 5);
    }
  }
  try {
    return await fn();
  } finally {
    clearInterval(refresh);
    release(lockDir);
  }
}

function touch(lockDir: string): void {
  try {
    const now = new Date();
    fs.utimesSync(lockDir, now, now);
  } catch {
    /* taken over or removed: release() finds out */
  }
}

/** Remove our lock; one that is no longer ours (taken over after STALE_MS) is left to its new owner. */
function release(lockDir: string): void {
  try {
    if (fs.readFileSync(`${lockDir}/owner`, 'utf8') !== String(process.pid)) return;
  } catch {
    return;
  }
  fs.rmSync(lockDir, { recursive: true, force: true });
}
