import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The kobe package's root folder (bin/, config/, dist/), from wherever this module was loaded. */
export function packageRoot(): string {
  if (root) return root;
  // Walk up: the module may run from src/ (tests), dist/ (tsc) or dist/bundle/ (the binary).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === 'kobe') return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error('cannot find the kobe package root');
    dir = up;
  }
}
