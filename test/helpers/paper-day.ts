// A paper day from the binary against the fake Alpaca: each step runs bin/kobe under libfaketime
// (`faketime -f <offset> node bin/kobe ...`), because the product has no clock override, while
// the fake venue's clock follows the same instant and its market runs (ticks) during the step.
// Bars are designed so that the pinned strategies pick on the entry day and exit on the next.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import type { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import type { OhlcSetting } from '../fakes/alpaca/market.js';
import { BIN, cliEnv, type RunResult } from './cli.js';

/** The faketime launcher on PATH, or null (the paper-day test is skipped, saying why). */
export const FAKETIME: string | null =
  (process.env.PATH ?? '')
    .split(path.delimiter)
    .filter(Boolean)
    .map((d) => path.join(d, 'faketime'))
    .find((f) => {
      try {
        fs.accessSync(f, fs.constants.X_OK);
        return true;
      } catch {
        return false;
      }
    }) ?? null;

/**
 * One clock for the step and the venue: real time shifted by a whole number of seconds, so that a
 * step starts at `iso` (within a second after it). kobe runs under `faketime -f <offset>`, which
 * shifts the process's clock by the same offset: kobe and the venue read the same shifted real
 * clock, however long the process takes to start (an absolute `faketime '<instant>'` starts the
 * process's clock at its own start, behind a venue that started counting at the spawn; preflight's
 * broker clock check allows 2 s).
 */
export class VenueTime {
  private offsetMs = 0;
  constructor(iso: string) {
    this.set(iso);
  }
  /** Move to `iso`; the offset faketime takes (seconds, signed). */
  set(iso: string): string {
    const s = Math.ceil((Date.parse(iso) - Date.now()) / 1000);
    this.offsetMs = s * 1000;
    return s < 0 ? String(s) : `+${s}`;
  }
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

/** Run `kobe args` at the UTC instant `iso` under faketime, the venue on that instant and ticking meanwhile. */
export async function kobeAt(iso: string, args: string[], w: { server: FakeAlpacaServer; time: VenueTime; tickMs?: number }): Promise<RunResult> {
  if (!FAKETIME) throw new Error('faketime is not installed');
  const offset = w.time.set(iso);
  w.server.tick();
  const ticker = setInterval(() => w.server.tick(), w.tickMs ?? 20);
  try {
    const child = spawn(FAKETIME, ['-f', offset, process.execPath, BIN, ...args], { env: cliEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const killer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(killer);
    return { code, signal, stdout, stderr };
  } finally {
    clearInterval(ticker);
    w.server.tick();
  }
}

/** How a designed symbol behaves: a dip on the signal day that exits on the next close, a dip that holds, or a quiet uptrend. */
export type BarDesign = 'dip_then_exit' | 'dip_then_hold' | 'quiet';

const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/** Sessions of the uptrend that ends in the signal (the history before it is flat). */
const TREND_SESSIONS = 300;

/**
 * Daily bars from `from` through the session after `signal`: flat, then a steady uptrend over the
 * last 300 sessions (IBS about 0.6, RSI(2) 100); a dip ends it with three 2% down closes at the low
 * (IBS 0, RSI(2) near 0, still above the 200-day SMA: an IBS+RSI entry at the signal close). The
 * next session closes at its high (IBS 1: the strategy's exit) or mid-range (held), or the trend
 * simply goes on.
 */
export function designBars(design: BarDesign, base: number, from: string, signal: string, next: string): Record<string, OhlcSetting> {
  const days = sessionsBetween(from, signal);
  const out: Record<string, OhlcSetting> = {};
  let prev = base;
  days.forEach((d, i) => {
    const left = days.length - i;
    const dip = design !== 'quiet' && left <= 3;
    const o = prev;
    const c = dip ? prev * 0.98 : left <= TREND_SESSIONS ? prev * 1.0015 : base * (i % 2 ? 1.001 : 0.999);
    out[d] = dip ? { o: r4(o), h: r4(o * 1.002), l: r4(c), c: r4(c), v: 2_000_000 } : { o: r4(o), h: r4(Math.max(o, c) * 1.004), l: r4(Math.min(o, c) * 0.996), c: r4(c), v: 2_000_000 };
    prev = out[d].c;
  });
  const o = prev;
  if (design === 'dip_then_exit') out[next] = { o: r4(o), h: r4(o * 1.03), l: r4(o * 0.998), c: r4(o * 1.03), v: 2_000_000 };
  else if (design === 'dip_then_hold') out[next] = { o: r4(o), h: r4(o * 1.01), l: r4(o * 0.99), c: r4(o * 1.002), v: 2_000_000 };
  else out[next] = { o: r4(o), h: r4(o * 1.0015 * 1.004), l: r4(o * 0.996), c: r4(o * 1.0015), v: 2_000_000 };
  return out;
}

/** The close a design has on `date`. */
export const closeOn = (bars: Record<string, OhlcSetting>, date: string): number => bars[date].c;

/** Parse the one JSON document a --json run printed, naming the step when it is not one. */
export function doc(step: string, r: RunResult): Record<string, any> {
  try {
    return JSON.parse(r.stdout);
  } catch {
    throw new Error(`${step}: stdout is not one JSON document (exit ${r.code})\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
}
