import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext, type KobeContext } from '../../src/cli/context.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { createHome } from '../../src/core/home.js';
import { kobePaths } from '../../src/core/paths.js';

/** An in-memory stream with a settable isTTY. */
export class MemoryStream {
  data = '';
  constructor(public isTTY = false) {}
  write(chunk: string): boolean {
    this.data += chunk;
    return true;
  }
}

export interface TestContext {
  ctx: KobeContext;
  home: string;
  clock: FakeClock;
  stdout: MemoryStream;
  stderr: MemoryStream;
  cleanup: () => void;
}

/** A context on a fresh temp home (initialised unless `init: false`). */
export async function testContext(opts: { json?: boolean; init?: boolean; env?: Record<string, string>; clock?: FakeClock } = {}): Promise<TestContext> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-cmd-'));
  const clock = opts.clock ?? new FakeClock('2025-01-14T15:00:00Z');
  if (opts.init !== false) await createHome(kobePaths(home), 'test', false);
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const ctx = await createContext({ home, json: !!opts.json, clock, env: { USER: 'tester', ...opts.env }, streams: { stdout, stderr } });
  return { ctx, home, clock, stdout, stderr, cleanup: () => fs.rmSync(home, { recursive: true, force: true }) };
}
