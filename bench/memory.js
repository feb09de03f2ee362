// Peak resident memory (VmHWM: the process and its worker threads) of the research commands from the
// binary on the seeded 900-symbol x 10-year SYNTHETIC home, and of brain replays of growing length
// on 100 symbols: a longer replay must not need more memory. Figures only, no target yet.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, figure, fmt, peakRss, seededHome } from './lib.js';

const mb = (r) => (r.rssMb === null ? 'n/a' : `${fmt(r.rssMb, 0)} MB`);

export async function run() {
  const home = seededHome(900, 10);
  const last = JSON.parse(spawnSync(process.execPath, [BIN, 'data', 'list', '--json', '--home', home], { encoding: 'utf8' }).stdout).symbols[0].last;
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-mem-'));
  const runs = [
    ['kobe scan --date (900 x 10 y)', ['scan', '--date', last, '--json', '--home', home]],
    ['kobe backtest (900 x 10 y, portfolio)', ['backtest', '--json', '--out', path.join(out, 'bt'), '--home', home]],
    ['kobe walk-forward --workers 2 (900 x 10 y)', ['walk-forward', '--workers', '2', '--json', '--out', path.join(out, 'wf'), '--home', home]],
  ];
  for (const [name, args] of runs) {
    const r = await peakRss(process.execPath, [BIN, ...args]);
    figure(`peak RSS, ${name}`, mb(r), `${fmt(r.ms / 1000, 1)} s wall`);
  }
  const brain = seededHome(100, 2, 'kobe-bench-home-brain');
  const to = JSON.parse(spawnSync(process.execPath, [BIN, 'data', 'list', '--json', '--home', brain], { encoding: 'utf8' }).stdout).symbols[0].last;
  for (const months of [1, 3, 12]) {
    const d = new Date(`${to}T12:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() - months);
    const from = d.toISOString().slice(0, 10);
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-mem-brain-'));
    fs.cpSync(brain, copy, { recursive: true });
    const r = await peakRss(process.execPath, [BIN, 'brain', 'start', '--foreground', '--replay', `${from}..${to}`, '--port', '0', '--json', '--home', copy]);
    fs.rmSync(copy, { recursive: true, force: true });
    figure(`peak RSS, brain replay of ${months} month(s), 100 symbols`, mb(r), `${fmt(r.ms / 1000, 1)} s wall`);
  }
  fs.rmSync(out, { recursive: true, force: true });
}
