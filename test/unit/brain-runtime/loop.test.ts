import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { BrainLoop, ReplayWaiter, type CycleRecord, type LoopHooks, type TaskResult } from '../../../src/core/brain/loop.js';
import type { Task } from '../../../src/core/brain/schedule.js';
import { etToUtc } from '../../../src/core/market/time.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { fastTempDir } from './helpers.js';

const task = (date: string, id: string, at: string, until: string, critical = false): Task => ({ id, kind: 'exits', date, at, at_utc: etToUtc(date, at).toISOString(), until, trading: false, critical, note: '' });

function hooks(clock: FakeClock, plan: (d: string) => Task[], results: Record<string, TaskResult['status']> = {}) {
  const ran: string[] = [];
  const cycles: CycleRecord[] = [];
  const beats: string[] = [];
  const h: LoopHooks = {
    clock,
    plan,
    async runTask(t) {
      ran.push(`${clock.now().toISOString()} ${t.id}`);
      if (results[t.id] === 'failed') throw new Error(`${t.id} broke`);
      return { status: results[t.id] ?? 'ok', detail: t.id };
    },
    async afterCycle(c) {
      cycles.push(c);
    },
    tick: () => undefined,
    async writeHeartbeat(s, now) {
      beats.push(`${now.toISOString()} ${s.cycles} ${s.last_cycle_ok}`);
    },
    onError: (where, err) => {
      throw new Error(`${where}: ${String(err)}`);
    },
  };
  return { h, ran, cycles, beats };
}

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('BrainLoop', () => {
  it('replay: jumps from task to task, runs same-time tasks in plan order, beats after every cycle, stops at the end', async () => {
    dir = fastTempDir();
    const clock = new FakeClock(etToUtc('2024-11-12', '00:00'));
    const plan = (d: string) => [task(d, 'a', '09:35', '09:50'), task(d, 'b', '10:05', '10:20'), task(d, 'c', '10:05', '11:30')];
    const { h, ran, cycles, beats } = hooks(clock, plan, { b: 'failed' });
    const loop = new BrainLoop(h, new ReplayWaiter(clock), { ledgerFile: path.join(dir, 'l.json'), freshLedger: true, end: etToUtc('2024-11-14', '00:00') });
    const s = await loop.run();
    expect(ran).toEqual([
      '2024-11-12T14:35:00.000Z a', '2024-11-12T15:05:00.000Z b', '2024-11-12T15:05:00.000Z c',
      '2024-11-13T14:35:00.000Z a', '2024-11-13T15:05:00.000Z b', '2024-11-13T15:05:00.000Z c',
    ]);
    expect(cycles.map((c) => [c.tasks.map((t) => t.id).join('+'), c.ok])).toEqual([['a', true], ['b+c', false], ['a', true], ['b+c', false]]);
    expect(cycles[1].tasks[0]).toMatchObject({ status: 'failed', detail: 'b broke' });
    expect(s.cycles).toBe(4);
    // One heartbeat at start, one per cycle on simulated time, and the final one.
    expect(beats).toHaveLength(6);
    expect(beats.slice(0, 5)).toEqual(['2024-11-12T05:00:00.000Z 0 true', '2024-11-12T14:35:00.000Z 1 true', '2024-11-12T15:05:00.000Z 2 false', '2024-11-13T14:35:00.000Z 3 true', '2024-11-13T15:05:00.000Z 4 false']);
    expect(clock.now() < etToUtc('2024-11-14', '00:00')).toBe(true);
    expect(fs.existsSync(path.join(dir, 'l.json'))).toBe(false);
  });

  it('a restart inside a window runs the missed task once; a task whose window passed is recorded as missed; completions survive restarts', async () => {
    dir = fastTempDir();
    const ledger = path.join(dir, 'brain_state.json');
    const plan = (d: string) => [task(d, 'pre', '08:00', '09:30'), task(d, 'cycle', '10:05', '11:30'), task(d, 'late', '16:05', '23:59')];
    const clock = new FakeClock(etToUtc('2024-11-12', '10:40'));
    const first = hooks(clock, plan);
    await new BrainLoop(first.h, new ReplayWaiter(clock), { ledgerFile: ledger, once: true }).run();
    expect(first.ran).toEqual(['2024-11-12T15:40:00.000Z cycle']);
    expect(first.cycles[0].tasks.map((t) => [t.id, t.status, t.detail.startsWith('missed') ? 'missed' : ''])).toEqual([['pre', 'skipped', 'missed'], ['cycle', 'ok', '']]);
    // Restarted a minute later: nothing is repeated; the next task is the post-close one.
    clock.set(etToUtc('2024-11-12', '10:41'));
    const second = hooks(clock, plan);
    const loop = new BrainLoop(second.h, new ReplayWaiter(clock), { ledgerFile: ledger, end: etToUtc('2024-11-12', '23:00') });
    await loop.run();
    expect(second.ran).toEqual(['2024-11-12T21:05:00.000Z late']);
  });

  it('stop() ends the loop after the running task', async () => {
    dir = fastTempDir();
    const clock = new FakeClock(etToUtc('2024-11-12', '00:00'));
    const plan = (d: string) => [task(d, 'x', '09:35', '09:50'), task(d, 'y', '09:35', '09:50')];
    const { h, ran } = hooks(clock, plan);
    let loop: BrainLoop;
    h.runTask = async (t) => {
      ran.push(t.id);
      loop.stop('SIGTERM');
      return { status: 'ok', detail: '' };
    };
    loop = new BrainLoop(h, new ReplayWaiter(clock), { ledgerFile: path.join(dir, 'l.json'), freshLedger: true });
    const s = await loop.run();
    expect(ran).toEqual(['x']);
    expect(loop.stopping).toBe('SIGTERM');
    expect(s.phase).toBe('stopping');
  });
});
