// Temp kobe homes for tests: a fresh directory under the OS temp dir and its paths.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { kobePaths, type KobePaths } from '../../src/core/paths.js';

export interface TempHome {
  dir: string;
  paths: KobePaths;
  cleanup(): void;
}

/** A new empty temp directory as a kobe home (nothing created inside it). */
export function tempHome(): TempHome {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-test-'));
  return { dir, paths: kobePaths(dir), cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A temp home with an empty state/ directory. */
export function tempStateHome(): TempHome {
  const h = tempHome();
  fs.mkdirSync(h.paths.stateDir, { recursive: true });
  return h;
}
