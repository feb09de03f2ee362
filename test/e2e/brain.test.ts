// The brain as an operator runs it: the built binary in the background and the foreground,
// signals, a second start, and a SIGKILL mid-replay followed by crash-only restarts.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { addSessions } from '../../src/core/market/calendar.js';
import { etDate, formatEt } from '../../src/core/market/time.js';
import { IdempotencyFile, PositionsFile } from '../../src/core/state/schemas.js';
import { cliEnv, json, kobe, kobeAsync } from '../helpers/cli.js';
import { fastTempDir, jsonl, seededHome, simOrders } from '../unit/brain-runtime/helpers.js';

let home = '';
let cleanup: (() => void) | null = null;
const children: Array<{ kill: (s: NodeJS.Signals) => boolean; exitCode: number | null }> = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  const running = readJson(path.join(home, 'state', 'kobe_runner.lock'));
  if (running?.pid) {
    try {
      process.kill(running.pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  cleanup?.();
  cleanup = null;
});

function readJson(file: string): Record<string, any> | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}

async function until<T>(what: string, fn: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function initSeeded(): void {
  home = fastTempDir();
  cleanup = () => fs.rmSync(home, { recursive: true, force: true });
  expect(kobe(['init', '--home', home]).code).toBe(0);
  expect(kobe(['data', 'seed', '--symbols', '30', '--years', '2', '--home', home]).code).toBe(0);
}

describe('kobe brain (binary)', () => {
  it('schedule prints a day plan as JSON; a bad date is a usage error (2)', () => {
    initSeeded();
    const r = kobe(['brain', 'schedule', '--date', '2024-11-29', '--json', '--home', home]);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ date: '2024-11-29', type: 'early_close', close: '13:00' });
    expect(json(r).tasks.filter((t: { kind: string }) => t.kind === 'trade_cycle').map((t: { at: string }) => t.at)).toEqual(['10:05']);
    expect(kobe(['brain', 'schedule', '--date', '2024-02-30', '--home', home]).code).toBe(2);
  });

  it('start in the background returns on the first heartbeat; health follows a touched kill switch; a second start is refused (6); stop waits for it', async () => {
    initSeeded();
    const started = kobe(['brain', 'start', '--port', '0', '--json', '--home', home]);
    expect(started.code).toBe(0);
    const pid = json(started).pid as number;
    expect(readJson(path.join(home, 'state', 'heartbeat.json'))?.pid).toBe(pid);
    expect(fs.readFileSync(path.join(home, 'state', 'autonomous', 'kobe.pid'), 'utf8').trim()).toBe(String(pid));
    const status = kobe(['brain', 'status', '--json', '--home', home]);
    expect(status.code).toBe(0);
    expect(json(status)).toMatchObject({ running: true, pid, health: { source: 'http', pid } });
    const health = kobe(['brain', 'health', '--json', '--home', home]);
    expect(health.code).toBe(json(health).healthy ? 0 : 5);
    expect(json(health).trading_state).toBe('ACTIVE');
    fs.writeFileSync(path.join(home, 'state', 'KILL_SWITCH'), '');
    const halted = kobe(['brain', 'health', '--json', '--home', home]);
    expect(halted.code).toBe(5);
    expect(json(halted)).toMatchObject({ healthy: false, trading_state: 'HALTED', reasons: expect.arrayContaining(['halted: (empty kill switch file)']) });
    // Liveness ignores the halt: a watchdog must not restart a halted brain.
    expect(kobe(['brain', 'health', '--live', '--home', home]).code).toBe(0);
    const again = kobe(['brain', 'start', '--port', '0', '--json', '--home', home]);
    expect(again.code).toBe(6);
    expect(json(again).error.message).toContain(`pid ${pid}`);
    const stop = kobe(['brain', 'stop', '--json', '--home', home]);
    expect(stop.code).toBe(0);
    expect(json(stop)).toMatchObject({ stopped: true, pid });
    expect(json(stop).waited_ms).toBeLessThan(15_000);
    expect(fs.existsSync(path.join(home, 'state', 'kobe_runner.lock'))).toBe(false);
    expect(fs.existsSync(path.join(home, 'state', 'autonomous', 'kobe.pid'))).toBe(false);
    expect(readJson(path.join(home, 'state', 'heartbeat.json'))).toMatchObject({ pid, phase: 'stopping' });
    expect(fs.readFileSync(path.join(home, 'logs', 'brain_output.log'), 'utf8')).toBeDefined();
    const down = kobe(['brain', 'health', '--json', '--home', home]);
    expect(down.code).toBe(5);
    expect(json(down).reasons[0]).toMatch(/^not running/);
  });

  it('a background brain that dies at start is reported with the tail of its output', () => {
    initSeeded();
    const cfg = path.join(home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, `${fs.readFileSync(cfg, 'utf8')}\nbogus_key: 1\n`);
    const r = kobe(['brain', 'start', '--port', '0', '--json', '--home', home]);
    expect(r.code).toBe(1);
    expect(json(r).error.message).toMatch(/the brain exited at start \(code 3\); last lines of logs\/brain_output.log:[\s\S]*bogus_key/);
    expect(fs.existsSync(path.join(home, 'state', 'kobe_runner.lock'))).toBe(false);
  });

  it('--foreground: SIGTERM stops it within 10 s with exit 143, a final heartbeat and the lock released', async () => {
    initSeeded();
    const run = kobeAsync(['brain', 'start', '--foreground', '--port', '0', '--home', home], cliEnv());
    children.push(run.child);
    await until('the first heartbeat', () => readJson(path.join(home, 'state', 'heartbeat.json'))?.pid === run.child.pid);
    const t0 = Date.now();
    run.child.kill('SIGTERM');
    const r = await run.done;
    expect(r.code).toBe(143);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(readJson(path.join(home, 'state', 'heartbeat.json'))).toMatchObject({ pid: run.child.pid, phase: expect.stringMatching(/^stop/) });
    expect(fs.existsSync(path.join(home, 'state', 'kobe_runner.lock'))).toBe(false);
  });

  it('SIGKILL mid-replay, then crash-only restarts: the stale lock is cleaned, no order is duplicated, exits missed while down are caught up at the first slot', async () => {
    const h = await seededHome();
    home = h.home;
    cleanup = h.cleanup;
    const first = kobeAsync(['brain', 'start', '--foreground', '--replay', '2024-10-01..2024-12-31', '--replay-in-place', '--port', '0', '--home', home], cliEnv());
    children.push(first.child);
    const ledgerFile = path.join(home, 'state', 'positions.json');
    await until('a position in the ledger', () => (readJson(ledgerFile)?.positions?.length ?? 0) > 0, 40_000);
    first.child.kill('SIGKILL');
    expect((await first.done).signal).toBe('SIGKILL');
    expect(readJson(path.join(home, 'state', 'kobe_runner.lock'))?.pid).toBe(first.child.pid);
    const store = await h.ctx.state();
    const kill = Object.values(store.read(IdempotencyFile).orders).map((r) => r.intent.session_date).sort().pop()!;
    // Restart on the day it died: the same day's cycles run again under the same client ids.
    const again = kobe(['brain', 'start', '--foreground', '--replay', `${kill}..${kill}`, '--replay-in-place', '--port', '0', '--json', '--home', home]);
    expect(again.code).toBe(0);
    expect(json(again).replay.stale_lock_cleaned).toContain(`pid ${first.child.pid} is not running`);
    const orders = await simOrders(h.ctx);
    // An intent (client id without its attempt) fills at most once; an OCO's legs are intents of their own.
    const filled = orders.filter((o) => Number(o.filled_qty) > 0).map((o) => o.client_order_id.replace(/-a\d+/, ''));
    expect(filled.length).toBeGreaterThan(0);
    expect(new Set(filled).size).toBe(filled.length);
    // The restart may have closed what was held when it died (how far the replay got before the kill
    // depends on the machine's load): replay on, a session at a time, until something is held.
    let held = store.read(PositionsFile).positions;
    let day = kill;
    for (let i = 0; held.length === 0 && i < 20; i++) {
      day = addSessions(day, 1);
      expect(kobe(['brain', 'start', '--foreground', '--replay', `${day}..${day}`, '--replay-in-place', '--port', '0', '--json', '--home', home]).code).toBe(0);
      held = store.read(PositionsFile).positions;
    }
    expect(held.length).toBeGreaterThan(0);
    const back = addSessions(day, 10);
    const late = kobe(['brain', 'start', '--foreground', '--replay', `${back}..${back}`, '--replay-in-place', '--port', '0', '--json', '--home', home]);
    expect(late.code).toBe(0);
    // Down for ten sessions: every held position is closed by the first exit slot of the day back, either
    // by its stop resting at the broker (filled while the brain was down, booked by the first sync) or
    // by the exit caught up at 09:35.
    const closed = jsonl(path.join(home, 'logs', 'events.jsonl')).filter((e) => e.event === 'position_closed' && etDate(new Date(e.ts)) === back);
    const byOpen = closed.filter((e) => formatEt(new Date(e.ts)).slice(11, 16) <= '09:35');
    expect(byOpen.map((e) => e.symbol).sort()).toEqual(held.map((p) => p.symbol).sort());
    for (const e of byOpen) {
      if (formatEt(new Date(e.ts)).slice(11, 16) === '09:35') expect(e.reason === 'time' || e.caught_up === true).toBe(true);
      else expect(e.reason).toMatch(/^(stop|target)$/);
    }
    expect(store.read(PositionsFile).positions.filter((p) => p.entry_date! < back)).toEqual([]);
  });

  it('a replay runs in a scratch home (state kept in memory there): the home is untouched; --keep-replay-home leaves the scratch home with its state files written and valid', async () => {
    const h = await seededHome();
    home = h.home;
    cleanup = h.cleanup;
    const stateFiles = () => fs.readdirSync(path.join(home, 'state')).sort();
    const before = stateFiles();
    const r = kobe(['brain', 'start', '--foreground', '--replay', '2024-11-04..2024-11-22', '--keep-replay-home', '--port', '0', '--json', '--home', home]);
    expect(r.code).toBe(0);
    const doc = json(r).replay;
    expect(stateFiles()).toEqual(before);
    expect(doc.ran_in).toMatchObject({ scratch: true, kept: true });
    const kept = doc.ran_in.home as string;
    try {
      expect(doc.orders).toBeGreaterThan(0);
      const store = JSON.parse(fs.readFileSync(path.join(kept, 'state', IdempotencyFile.name), 'utf8'));
      expect(Object.keys(store.orders).length).toBe(doc.orders);
      expect(fs.existsSync(path.join(kept, 'state', PositionsFile.name))).toBe(true);
      const check = kobe(['state', 'check', '--json', '--home', kept]);
      expect(check.code).toBe(0);
    } finally {
      fs.rmSync(kept, { recursive: true, force: true });
    }
  });
});
