// Helpers for `npm run bench`: figures and ratios only, never pass/fail on time.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const BIN = path.join(ROOT, 'bin', 'kobe');

/** Median of numbers. */
export function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time (ms) of one spawned command. */
export function wall(cmd, args, opts = {}) {
  const t = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: 'ignore', ...opts });
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  if (r.status !== 0 && !opts.allowFail) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}`);
  return ms;
}

/**
 * Wall time and peak resident memory of one spawned command: the kernel's high-water mark (VmHWM,
 * threads included) read from /proc every 10 ms while it runs. Linux only: elsewhere rssMb is null.
 */
export async function peakRss(cmd, args) {
  const t = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => {
    err = (err + d).slice(-800);
  });
  let kb = null;
  const read = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) kb = Math.max(kb ?? 0, Number(m[1]));
    } catch {
      /* gone, or no /proc */
    }
  };
  const timer = setInterval(read, 10);
  const code = await new Promise((resolve) => child.on('exit', (c) => resolve(c)));
  clearInterval(timer);
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${err}`);
  return { ms: performance.now() - t, rssMb: kb === null ? null : kb / 1024 };
}

/** Median wall time over n runs, with an optional setup before each (not timed). */
export function medianWall(n, cmd, args, setup, opts) {
  const xs = [];
  for (let i = 0; i < n; i++) {
    setup?.(i);
    xs.push(wall(cmd, args, opts));
  }
  return median(xs);
}

/** Time a function in-process (ms). */
export async function time(fn) {
  const t = process.hrtime.bigint();
  const v = await fn();
  return { ms: Number(process.hrtime.bigint() - t) / 1e6, value: v };
}

/** Print one figure line: name, value, and an optional target note. */
export function figure(name, value, note = '') {
  process.stdout.write(`${name.padEnd(52)} ${String(value).padStart(14)}  ${note}\n`);
}

export const fmt = (x, d = 1) => x.toFixed(d);

/** A seeded sim home (kept between runs in the temp dir): `kobe init` + `kobe data seed`. */
export function seededHome(symbols, years, name = `kobe-bench-home-${symbols}x${years}`) {
  const home = path.join(os.tmpdir(), name);
  const marker = path.join(home, '.bench-ready');
  if (!fs.existsSync(marker)) {
    fs.rmSync(home, { recursive: true, force: true });
    wall(process.execPath, [BIN, 'init', '--home', home]);
    wall(process.execPath, [BIN, 'data', 'seed', '--symbols', String(symbols), '--years', String(years), '--home', home]);
    fs.writeFileSync(marker, 'ok');
  }
  return home;
}

/** The reference loop: touch every bar of every series once (bench/limit), in ms. */
export function limitLoop(series) {
  const t = performance.now();
  let acc = 0;
  for (const s of series) {
    const c = s.close;
    const v = s.volume;
    for (let i = 0; i < s.length; i++) acc += c[i] * 0.5 + v[i] * 1e-9;
  }
  const ms = performance.now() - t;
  if (acc === 42) process.stdout.write('');
  return ms;
}
