import { spawn, spawnSync, type SpawnSyncOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'kobe');

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Environment for spawned kobe processes: no colour, no CI prompts, no inherited home. */
export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_OPTIONS: '', ...extra };
  return env;
}

/** Run the built binary synchronously. */
export function kobe(args: string[], opts: SpawnSyncOptions & { env?: NodeJS.ProcessEnv } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: cliEnv(), timeout: 60_000, ...opts });
  return { code: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '') };
}

/** Run the built binary asynchronously (for concurrency and signal tests). */
export function kobeAsync(args: string[], env: NodeJS.ProcessEnv = cliEnv()): { child: ReturnType<typeof spawn>; done: Promise<RunResult> } {
  const child = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<RunResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  return { child, done };
}

/** A fresh temporary directory; remove it with the returned function. */
export function tempDir(prefix = 'kobe-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A temp directory with `kobe init` run in it. */
export function initHome(): { home: string; cleanup: () => void } {
  const { dir, cleanup } = tempDir();
  const r = kobe(['init', '--home', dir]);
  if (r.code !== 0) throw new Error(`kobe init failed: ${r.stderr}`);
  return { home: dir, cleanup };
}

/** Parse the one JSON document a --json run printed. */
export function json(r: RunResult): Record<string, any> {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`stdout is not one JSON document:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
