// One brain per home: state/kobe_runner.lock (exclusive create, holds the owner's pid) and
// state/autonomous/kobe.pid. A lock whose owner is dead (SIGKILL, power cut) is stale: it is
// removed and reported, because crash-only restart must not need a human to delete files. A pid
// that is alive but, on Linux, not a kobe brain (the pid was reused) is stale too.
import fs from 'node:fs';
import path from 'node:path';
import { SafetyRefusal, errnoCode } from '../errors.js';
import type { KobePaths } from '../paths.js';

/** What the lock file holds. */
export interface RunnerLockInfo {
  pid: number;
  started_at: string;
  mode: 'live' | 'replay';
}

/** A held runner lock. */
export interface RunnerLock {
  info: RunnerLockInfo;
  /** A stale lock that was cleaned up to take this one, when there was one. */
  cleaned: { pid: number | null; reason: string } | null;
  release(): void;
}

/** Paths of the lock and the pid file. */
export function runnerFiles(paths: KobePaths): { lock: string; pid: string } {
  return { lock: paths.state('kobe_runner.lock'), pid: paths.state(path.join('autonomous', 'kobe.pid')) };
}

/** Whether a pid belongs to a live process that is a kobe brain (as far as this OS can tell). */
export function brainAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false;
  }
  try {
    const cmd = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    // The test runner and in-process callers hold the lock from their own pid.
    return pid === process.pid || cmd.includes('brain');
  } catch {
    return true;
  }
}

/** The lock's content, or null when absent or unreadable. */
export function readRunnerLock(paths: KobePaths): RunnerLockInfo | null {
  try {
    const o = JSON.parse(fs.readFileSync(runnerFiles(paths).lock, 'utf8')) as RunnerLockInfo;
    return Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}

/** The pid of the running brain, or null when none runs (a stale pid file does not count). */
export function runningBrainPid(paths: KobePaths): number | null {
  const info = readRunnerLock(paths);
  if (info && brainAlive(info.pid)) return info.pid;
  try {
    const pid = Number.parseInt(fs.readFileSync(runnerFiles(paths).pid, 'utf8'), 10);
    return brainAlive(pid) ? pid : null;
  } catch {
    return null;
  }
}

/** Take the runner lock or refuse (exit 6) naming the running pid. */
export function acquireRunnerLock(paths: KobePaths, info: RunnerLockInfo): RunnerLock {
  const files = runnerFiles(paths);
  fs.mkdirSync(path.dirname(files.pid), { recursive: true });
  let cleaned: RunnerLock['cleaned'] = null;
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(files.lock, 'wx', 0o644);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      const held = readRunnerLock(paths);
      let age = 0;
      try {
        age = Date.now() - fs.statSync(files.lock).mtimeMs;
      } catch {
        continue;
      }
      if (held && brainAlive(held.pid)) {
        throw new SafetyRefusal(`the brain is already running (pid ${held.pid}, started ${held.started_at})`, { hint: '`kobe brain status`; stop it first with `kobe brain stop`', details: { pid: held.pid } });
      }
      // A lock without a readable owner may be one being written right now.
      if (!held && age < 5_000) throw new SafetyRefusal(`${files.lock} is being taken by another process`, { hint: 'retry in a few seconds' });
      fs.rmSync(files.lock, { force: true });
      cleaned = { pid: held?.pid ?? null, reason: held ? `pid ${held.pid} is not running` : 'unreadable lock file' };
      continue;
    }
    try {
      fs.writeSync(fd, `${JSON.stringify(info)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.writeFileSync(files.pid, `${info.pid}\n`);
    let released = false;
    return {
      info,
      cleaned,
      release() {
        if (released) return;
        released = true;
        // Only remove what is still ours: a new owner may have cleaned a lock we lost.
        if (readRunnerLock(paths)?.pid === info.pid) fs.rmSync(files.lock, { force: true });
        try {
          if (Number.parseInt(fs.readFileSync(files.pid, 'utf8'), 10) === info.pid) fs.rmSync(files.pid, { force: true });
        } catch {
          /* already gone */
        }
      },
    };
  }
  throw new SafetyRefusal(`could not take ${files.lock}`, { hint: 'another brain is starting; retry' });
}
