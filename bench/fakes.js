// The test fakes for benches: test/fakes/*.ts compiled with esbuild into a temp dir for this run.
// kobe's own modules they import (../../src/...) are rewritten to the compiled ones in dist/, so a
// fake and the bench share one copy of kobe (one FakeClock, one ConfigSchema, one error class set).
// The temp dir sits under node_modules/.cache so that the fakes' own require('ws') resolves.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { ROOT } from './lib.js';

/** Import a test fake (e.g. 'alpaca-server'); the compiled copy is removed when the process exits. */
export async function loadFake(name) {
  const cache = path.join(ROOT, 'node_modules', '.cache');
  fs.mkdirSync(cache, { recursive: true });
  const dir = fs.mkdtempSync(path.join(cache, 'kobe-bench-fakes-'));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  const src = path.join(ROOT, 'src') + path.sep;
  await build({
    entryPoints: [path.join(ROOT, 'test', 'fakes', `${name}.ts`)],
    outfile: path.join(dir, `${name}.mjs`),
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
    plugins: [
      {
        name: 'kobe-src-to-dist',
        setup(b) {
          b.onResolve({ filter: /\/src\// }, (args) => {
            const abs = path.resolve(args.resolveDir, args.path);
            if (!abs.startsWith(src)) return undefined;
            const out = path.join(ROOT, 'dist', abs.slice(src.length)).replace(/\.ts$/, '.js');
            return { path: pathToFileURL(out).href, external: true };
          });
        },
      },
    ],
  });
  return import(pathToFileURL(path.join(dir, `${name}.mjs`)).href);
}
