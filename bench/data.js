// Issue: data. On a seeded 900-symbol x 10-year store (about 2.3 million bars): load the whole
// universe (target <= 100 ms warm; ratio to reading the same bytes with fs alone), `data verify`
// over all of it (target <= 2 s), and the import of the shared S&P CSVs (rows/s) when present.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BarStore } from '../dist/core/data/store.js';
import { BIN, ROOT, figure, fmt, median, seededHome, wall } from './lib.js';

export async function run() {
  const home = seededHome(900, 10);
  const store = new BarStore(path.join(home, 'data', 'cache'), () => new Date());
  const symbols = store.list().map((e) => e.symbol);
  store.loadMany(symbols);
  const loads = [];
  let bars = 0;
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    const { series } = store.loadMany(symbols);
    loads.push(performance.now() - t);
    bars = series.reduce((a, s) => a + s.length, 0);
  }
  const files = symbols.map((s) => store.fileOf(s));
  const reads = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    for (const f of files) fs.readFileSync(f);
    reads.push(performance.now() - t);
  }
  figure(`load universe: ${symbols.length} symbols, ${bars.toLocaleString('en-US')} bars (warm, median ms)`, fmt(median(loads)), `target <= 100 ms; ratio to fs.readFileSync of the same files ${fmt(median(loads) / median(reads), 2)}x`);
  const verify = [];
  for (let i = 0; i < 3; i++) verify.push(wall(process.execPath, [BIN, 'data', 'verify', '--home', home], { allowFail: true }));
  figure('kobe data verify, whole store (median wall ms)', fmt(median(verify), 0), 'target <= 2000 ms (includes process start)');
  const sp = path.resolve(ROOT, '..', 'shared', 'data', 'sp500-2013-2018', 'daily');
  if (!fs.existsSync(sp)) {
    figure('import of the shared S&P CSVs', 'skipped', `(${sp} absent)`);
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-import-'));
  wall(process.execPath, [BIN, 'init', '--home', tmp]);
  const t = performance.now();
  wall(process.execPath, [BIN, 'data', 'import', sp, '--home', tmp], { allowFail: true });
  const ms = performance.now() - t;
  const rows = fs.readdirSync(sp).reduce((a, f) => a + fs.readFileSync(path.join(sp, f), 'utf8').split('\n').filter((l) => l.trim()).length - 1, 0);
  figure(`kobe data import, shared S&P (${rows.toLocaleString('en-US')} rows) wall ms`, fmt(ms, 0), `${fmt(rows / (ms / 1000), 0)} rows/s (process start and store writes included)`);
  fs.rmSync(tmp, { recursive: true, force: true });
}
