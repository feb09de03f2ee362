// Issue: operator commands. `kobe status` and `kobe preflight --mode paper` wall time on a seeded
// sim home (targets <= 300 ms and <= 1 s), with the ratio to `kobe --version`.
import { BIN, figure, fmt, medianWall, seededHome, wall } from './lib.js';

export async function run({ runs = 9 } = {}) {
  const home = seededHome(100, 10, 'kobe-bench-home-ops');
  wall(process.execPath, [BIN, 'reconcile', '--home', home], { allowFail: true });
  const version = medianWall(runs, process.execPath, [BIN, '--version']);
  const status = medianWall(runs, process.execPath, [BIN, 'status', '--home', home], null, { allowFail: true });
  const preflight = medianWall(runs, process.execPath, [BIN, 'preflight', '--mode', 'paper', '--home', home], null, { allowFail: true });
  figure('kobe --version (median ms)', fmt(version));
  figure('kobe status, seeded sim home (median ms)', fmt(status), `target <= 300 ms; ${fmt(status / version, 2)}x --version`);
  figure('kobe preflight --mode paper (median ms)', fmt(preflight), `target <= 1000 ms; ${fmt(preflight / version, 2)}x --version`);
}
