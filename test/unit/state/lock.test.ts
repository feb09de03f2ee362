// withLock: mutual exclusion, immediate takeover of a lock whose owner is dead, and a refusal
// (exit 6) while a live process holds it.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { withLock } from '../../../src/core/state/lock.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';
import { deadPid } from '../../helpers/proc.js';

let home: TempHome;
let file: string;
let lockDir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  home = tempStateHome();
  file = path.join(home.paths.stateDir, 'positions.json');
  lockDir = `${file}.lock`;
});
afterEach(() => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  home.cleanup();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Make the lock directory look as if process `pid` holds it. */
function fakeLock(pid: number | null): void {
  fs.mkdirSync(lockDir);
  if (pid !== null) fs.writeFileSync(path.join(lockDir, 'owner'), String(pid));
}

async function refusal(p: Promise<unknown>): Promise<SafetyRefusal> {
  try {
    await p;
  } catch (err) {
    if (err instanceof SafetyRefusal) return err;
    throw err;
  }
  throw new Error('expected a SafetyRefusal');
}

/** A live child process that sleeps until killed. */
function sleeper(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    c.on('error', reject);
    c.on('spawn', () => resolve(c));
  });
}

describe('withLock', () => {
  it('excludes concurrent holders in one process: no two critical sections interleave', async () => {
    let inside = 0;
    let maxInside = 0;
    const log: string[] = [];
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        withLock(file, async () => {
          inside++;
          maxInside = Math.max(maxInside, inside);
          log.push(`enter ${i}`);
          await sleep(1 + (i % 3));
          log.push(`exit ${i}`);
          inside--;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(log).toHaveLength(20);
    for (let k = 0; k < 20; k += 2) expect(log[k + 1]).toBe(log[k].replace('enter', 'exit'));
  });

  it('writes the owner pid while held and removes the lock afterwards, returning fn’s value', async () => {
    const v = await withLock(file, () => {
      expect(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')).toBe(String(process.pid));
      return 42;
    });
    expect(v).toBe(42);
    expect(fs.existsSync(lockDir)).toBe(false);
  });

  it('releases the lock when fn throws and rethrows the same error', async () => {
    const boom = new Error('boom');
    await expect(
      withLock(file, () => {
        throw boom;
      }),
    ).rejects.toBe(boom);
    expect(fs.existsSync(lockDir)).toBe(false);
    await expect(withLock(file, () => 'again', { timeoutMs: 200 })).resolves.toBe('again');
  });

  it('locks different files independently', async () => {
    const other = path.join(home.paths.stateDir, 'daily_budget.json');
    const r = await withLock(file, () => withLock(other, () => 'nested', { timeoutMs: 300 }));
    expect(r).toBe('nested');
  });

  it('takes over a lock left by a dead process at once', async () => {
    const pid = await deadPid();
    fakeLock(pid);
    const t0 = Date.now();
    const owner = await withLock(file, () => fs.readFileSync(path.join(lockDir, 'owner'), 'utf8'), { timeoutMs: 5000 });
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(owner).toBe(String(process.pid));
    expect(fs.existsSync(lockDir)).toBe(false);
    expect(fs.existsSync(`${lockDir}.takeover`)).toBe(false);
  });

  it('refuses with SafetyRefusal (exit 6) after the timeout while a live process holds the lock, and leaves its lock alone', async () => {
    fakeLock(process.ppid);
    const t0 = Date.now();
    let ran = false;
    const err = await refusal(
      withLock(
        file,
        () => {
          ran = true;
        },
        { timeoutMs: 300 },
      ),
    );
    const took = Date.now() - t0;
    expect(ran).toBe(false);
    expect(err.exitCode).toBe(6);
    expect(err.code).toBe('REFUSED');
    expect(err.message).toBe(`lock held: ${lockDir}`);
    expect(err.hint).toMatch(/another kobe process/);
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(3000);
    expect(fs.readFileSync(path.join(lockDir, 'owner'), 'utf8')).toBe(String(process.ppid));
  });

  it('never takes over a lock that names this process (another holder in the same process)', async () => {
    fakeLock(process.pid);
    await refusal(withLock(file, () => undefined, { timeoutMs: 300 }));
    expect(fs.existsSync(lockDir)).toBe(true);
  });

  it('never takes over a young lock whose owner is not written yet', async () => {
    fakeLock(null);
    await refusal(withLock(file, () => undefined, { timeoutMs: 300 }));
    expect(fs.existsSync(lockDir)).toBe(true);
  });

  it('takes over an ownerless lock once it is older than 5 s', async () => {
    fakeLock(null);
    const old = new Date(Date.now() - 6000);
    fs.utimesSync(lockDir, old, old);
    await expect(withLock(file, () => 'ok', { timeoutMs: 1000 })).resolves.toBe('ok');
  });

  it('waits for a live holder and takes the lock promptly once that process dies', async () => {
    child = await sleeper();
    fakeLock(child.pid!);
    let acquiredAt = 0;
    const p = withLock(file, () => {
      acquiredAt = Date.now();
    }, { timeoutMs: 10_000 });
    await sleep(300);
    expect(acquiredAt).toBe(0);
    const killedAt = Date.now();
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    await p;
    expect(acquiredAt).toBeGreaterThanOrEqual(killedAt);
    expect(acquiredAt - killedAt).toBeLessThan(1000);
  });
});
