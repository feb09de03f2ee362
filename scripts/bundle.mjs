// Bundles kobe's own modules into dist/bundle/ (one entry plus lazily loaded chunks): Node's ESM
// loader costs about a millisecond per module, and the fast commands (`--version`, `kill on`) are measured
// against `node -e 0`. tsc's output in dist/ stays: tests, the walk-forward worker and the bench use it.
import fs from 'node:fs';
import { build } from 'esbuild';

fs.rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: { main: 'dist/cli/main.js' },
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  // The packages on the hot paths are bundled too; these load from node_modules as published
  // (vendor SDKs and the browser driver are loaded only by the commands that need them; yaml's
  // CommonJS build loses its named exports when bundled).
  external: ['yaml', 'bullmq', 'ioredis', '@polygon.io/client-js', '@alpacahq/alpaca-trade-api', 'playwright-core', 'prom-client', 'chalk', 'ora'],
  // CommonJS dependencies expect require, __filename and __dirname (write-file-atomic names its
  // temp files from __filename).
  banner: {
    js: "import { createRequire as __kobeRequire } from 'node:module'; import { fileURLToPath as __kobeFile } from 'node:url'; const require = __kobeRequire(import.meta.url); const __filename = __kobeFile(import.meta.url); const __dirname = __kobeFile(new URL('.', import.meta.url));",
  },
});
