// Seeded sim homes for the brain's tests: `kobe init` + `kobe data seed` through the run
// functions, on tmpfs when the machine has one (the brain's behaviour is under test, not fsync).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, type KobeContext } from '../../../src/cli/context.js';
import { runDataSeed } from '../../../src/commands/data/seed.js';
import { runInit } from '../../../src/commands/init.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import type { Alerts, AlertKind } from '../../../src/core/ports/alerts.js';
import { SimBookFile, type SimOrder } from '../../../src/core/broker/sim/book.js';

/** A directory for a temp home: /dev/shm when writable, else the OS temp dir. */
export function fastTempDir(prefix = 'kobe-brain-'): string {
  const base = fs.existsSync('/dev/shm') && fs.statSync('/dev/shm').isDirectory() ? '/dev/shm' : os.tmpdir();
  try {
    return fs.mkdtempSync(path.join(base, prefix));
  } catch {
    return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  }
}

const quiet = { write: () => true };

/** A seeded paper sim home (30 symbols x 2 years by default, through the session before `now`) and its context. */
export async function seededHome(opts: { now?: string; symbols?: number; years?: number; fomc?: string[] } = {}): Promise<{ ctx: KobeContext; home: string; cleanup: () => void }> {
  const home = fastTempDir();
  const clock = new FakeClock(opts.now ?? '2025-01-14T15:00:00Z');
  const ctx = await createContext({ home, json: true, clock, env: { USER: 'tester', PATH: process.env.PATH }, streams: { stdout: quiet, stderr: quiet } });
  await runInit(ctx, { force: false });
  await runDataSeed(ctx, { symbols: opts.symbols ?? 30, years: opts.years ?? 2, seed: 42, withFaults: false });
  if (opts.fomc) {
    const cfg = path.join(home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('fomc_dates: []', `fomc_dates: [${opts.fomc.map((d) => `"${d}"`).join(', ')}]`));
  }
  // A context as a command would get it: config is read once, after any edit above.
  const fresh = await createContext({ home, json: true, clock, env: { USER: 'tester', PATH: process.env.PATH }, streams: { stdout: quiet, stderr: quiet } });
  return { ctx: fresh, home, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}

/** Every order in the sim broker's book. */
export async function simOrders(ctx: KobeContext): Promise<SimOrder[]> {
  return (await ctx.state()).read(SimBookFile).orders;
}

/** An Alerts that records what the brain sends. */
export class RecordingAlerts implements Alerts {
  sent: Array<{ kind: AlertKind; text: string }> = [];
  send(kind: AlertKind, text: string): void {
    this.sent.push({ kind, text });
  }
  async flush(): Promise<void> {}
}

/** Lines of a JSON-lines file. */
export function jsonl(file: string): Array<Record<string, any>> {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}
