// Issue: the brain. Replay throughput (sessions per second of the full brain loop against the sim
// broker on a 100-symbol universe; target >= 20) and kill switch latency (from `touch
// state/KILL_SWITCH` to the brain refusing; target <= 1 s).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BIN, figure, fmt, seededHome } from './lib.js';

function copyHome(src) {
  const dst = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-brain-'));
  fs.cpSync(src, dst, { recursive: true });
  return dst;
}

async function health(url) {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(500) });
    return { status: r.status, body: await r.text() };
  } catch {
    return null;
  }
}

let replayed = null;

/**
 * `kobe brain start --foreground --replay FROM..TO` over the last year of the seeded 100-symbol
 * home, in a copy of it; run once per bench process (the brain and oms suites both report it).
 */
export function replayYear() {
  replayed ??= (async () => {
    const base = seededHome(100, 2, 'kobe-bench-home-brain');
    const to = JSON.parse(spawnSync(process.execPath, [BIN, 'data', 'list', '--json', '--home', base], { encoding: 'utf8' }).stdout).symbols[0].last;
    const from = `${Number(to.slice(0, 4)) - 1}${to.slice(4, 7)}-01`;
    const home = copyHome(base);
    const args = ['brain', 'start', '--foreground', '--replay', `${from}..${to}`, '--port', '0', '--json', '--home', home];
    const t = performance.now();
    const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8' });
    const ms = performance.now() - t;
    fs.rmSync(home, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`kobe ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
    return { base, from, to, ms, command: `kobe ${args.slice(0, 5).join(' ')}`, s: JSON.parse(r.stdout).replay };
  })();
  return replayed;
}

/** The replay figure line. */
export async function replayFigure() {
  const { from, to, ms, s } = await replayYear();
  figure(`replay ${from}..${to}, 100 symbols: ${s.sessions} sessions (all tasks)`, `${s.sessions_per_s} /s`, `target >= 20 (${fmt(s.sessions_per_s / 20, 2)}x); ${fmt(ms / 1000, 1)} s wall incl. start; ${s.orders} orders, ${s.cycles} cycles`);
}

export async function run() {
  await replayFigure();
  const { base } = await replayYear();
  // Kill switch latency: a live brain on the real clock, its health server on an ephemeral port.
  const home = copyHome(base);
  const child = spawn(process.execPath, [BIN, 'brain', 'start', '--foreground', '--port', '0', '--home', home], { stdio: 'ignore' });
  let url = null;
  for (let i = 0; i < 100 && !url; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      url = JSON.parse(fs.readFileSync(path.join(home, 'state', 'autonomous', 'brain.json'), 'utf8')).health_url;
    } catch {
      /* not up yet */
    }
  }
  if (!url) {
    child.kill('SIGTERM');
    figure('kill switch latency', 'n/a', 'the brain did not publish a health URL');
    return;
  }
  const samples = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    fs.writeFileSync(path.join(home, 'state', 'KILL_SWITCH'), '');
    for (;;) {
      const h = await health(`${url}/health`);
      if (h && /HALTED/.test(h.body)) break;
      if (performance.now() - t0 > 5000) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    samples.push(performance.now() - t0);
    fs.rmSync(path.join(home, 'state', 'KILL_SWITCH'));
    await new Promise((r) => setTimeout(r, 1200));
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.on('close', r));
  fs.rmSync(home, { recursive: true, force: true });
  samples.sort((a, b) => a - b);
  figure('kill switch: touch -> brain reports HALTED (median ms)', fmt(samples[2], 0), `target <= 1000 ms; max ${fmt(samples[4], 0)} ms; every order path reads the file itself on each submit`);
}
