// Startup cost of the fast commands, as a ratio to `node -e 0` on the same machine (target <= 1.5x).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, figure, fmt, medianWall, wall } from './lib.js';

export async function run({ runs = 21 } = {}) {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-'));
  const template = path.join(tmp, 'template');
  wall(process.execPath, [BIN, 'init', '--home', template]);
  const home = path.join(tmp, 'home');
  const fresh = () => {
    fs.rmSync(home, { recursive: true, force: true });
    fs.cpSync(template, home, { recursive: true });
  };
  for (let i = 0; i < 3; i++) wall(process.execPath, ['-e', '0']);
  const node = medianWall(runs, process.execPath, ['-e', '0']);
  const version = medianWall(runs, process.execPath, [BIN, '--version']);
  const killOn = medianWall(runs, process.execPath, [BIN, 'kill', 'on', '--reason', 'bench', '--home', home], fresh);
  const killStatus = medianWall(runs, process.execPath, [BIN, 'kill', 'status', '--home', home]);
  fs.rmSync(tmp, { recursive: true, force: true });
  figure('node -e 0 (median ms)', fmt(node));
  figure('kobe --version (median ms)', fmt(version), `ratio ${fmt(version / node, 2)}x  (target <= 1.5x)`);
  figure('kobe kill on, fresh home (median ms)', fmt(killOn), `ratio ${fmt(killOn / node, 2)}x  (target <= 1.5x)`);
  figure('kobe kill status (median ms)', fmt(killStatus), `ratio ${fmt(killStatus / node, 2)}x`);
}
