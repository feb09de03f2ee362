import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { CompletedBarStore } from '../../../src/core/brain/bars-view.js';
import { acquireRunnerLock, readRunnerLock, runnerFiles, runningBrainPid } from '../../../src/core/brain/runner-lock.js';
import { rotateLogs } from '../../../src/core/brain/rotate.js';
import { renderDailyReport } from '../../../src/core/brain/report.js';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { kobePaths } from '../../../src/core/paths.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { BarStore } from '../../../src/core/data/store.js';
import { isoDay, seriesFromRows } from '../../../src/core/strategy/bars.js';
import { deadPid } from '../../helpers/proc.js';
import { fastTempDir } from './helpers.js';

let dir = '';
afterEach(() => {
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

describe('runner lock', () => {
  it('one brain per home: a second taker is refused with exit 6 naming the pid; release removes only its own files', () => {
    dir = fastTempDir();
    const paths = kobePaths(dir);
    fs.mkdirSync(paths.stateDir);
    const lock = acquireRunnerLock(paths, { pid: process.pid, started_at: '2025-01-14T15:00:00Z', mode: 'live' });
    expect(lock.cleaned).toBeNull();
    expect(fs.readFileSync(runnerFiles(paths).pid, 'utf8').trim()).toBe(String(process.pid));
    expect(runningBrainPid(paths)).toBe(process.pid);
    let err: unknown;
    try {
      acquireRunnerLock(paths, { pid: process.pid, started_at: 'x', mode: 'replay' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect((err as SafetyRefusal).exitCode).toBe(6);
    expect((err as Error).message).toContain(`pid ${process.pid}`);
    lock.release();
    expect(fs.existsSync(runnerFiles(paths).lock)).toBe(false);
    expect(fs.existsSync(runnerFiles(paths).pid)).toBe(false);
    expect(runningBrainPid(paths)).toBeNull();
  });

  it('a lock left by a dead process is stale: cleaned, reported, and taken', async () => {
    dir = fastTempDir();
    const paths = kobePaths(dir);
    fs.mkdirSync(path.join(paths.stateDir, 'autonomous'), { recursive: true });
    const dead = await deadPid();
    fs.writeFileSync(runnerFiles(paths).lock, JSON.stringify({ pid: dead, started_at: 'then', mode: 'live' }));
    fs.writeFileSync(runnerFiles(paths).pid, String(dead));
    expect(runningBrainPid(paths)).toBeNull();
    const lock = acquireRunnerLock(paths, { pid: process.pid, started_at: 'now', mode: 'live' });
    expect(lock.cleaned).toEqual({ pid: dead, reason: `pid ${dead} is not running` });
    expect(readRunnerLock(paths)?.pid).toBe(process.pid);
    lock.release();
  });
});

describe('CompletedBarStore', () => {
  it('shows only bars of sessions completed at the clock, with a consistent index, and sees a rewrite of the store', async () => {
    dir = fastTempDir();
    const days = sessionsBetween('2024-11-01', '2024-11-29');
    const store = new BarStore(path.join(dir, 'cache'), () => new Date());
    const write = (p: number) => store.writeMany([{ series: seriesFromRows('AAA', days.map((date) => ({ date, open: p, high: p + 1, low: p - 1, close: p, volume: 1e6 }))), meta: { source: 'synthetic' } }]);
    await write(10);
    const clock = new FakeClock('2024-11-13T15:00:00Z'); // Wednesday 10:00 ET: the 12th is the last completed session
    const view = new CompletedBarStore(path.join(dir, 'cache'), clock);
    const s = view.load('AAA');
    expect(isoDay(s.dates[s.length - 1])).toBe('2024-11-12');
    expect(view.index().symbols.AAA).toMatchObject({ last: '2024-11-12', bars: s.length });
    clock.set('2024-11-13T21:05:00Z'); // after the close: the 13th is complete
    expect(isoDay(view.load('AAA').dates[view.load('AAA').length - 1])).toBe('2024-11-13');
    expect(view.load('AAA').close[0]).toBe(10);
    await write(20);
    expect(view.load('AAA').close[0]).toBe(20);
  });
});

describe('rotateLogs', () => {
  it('rotates events.jsonl and kobe.log by size or age into logs/archive/, never trades.jsonl', () => {
    dir = fastTempDir();
    const now = new Date('2024-11-16T14:00:00Z');
    fs.writeFileSync(path.join(dir, 'events.jsonl'), `{"ts":"2024-11-01T10:00:00.000Z","event":"x"}\n`);
    fs.writeFileSync(path.join(dir, 'kobe.log'), `{"ts":"2024-11-15T10:00:00.000Z","msg":"y"}\n`);
    fs.writeFileSync(path.join(dir, 'trades.jsonl'), `{"ts":"2020-01-01T00:00:00.000Z"}\n`.repeat(1000));
    const rows = rotateLogs(dir, now, { maxBytes: 10_000, maxAgeDays: 7 });
    expect(rows.map((r) => [r.file, r.rotated_to])).toEqual([['events.jsonl', 'archive/events-20241116T140000Z.jsonl'], ['kobe.log', null]]);
    expect(fs.existsSync(path.join(dir, 'events.jsonl'))).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'archive', 'events-20241116T140000Z.jsonl'), 'utf8')).toContain('"event":"x"');
    expect(fs.statSync(path.join(dir, 'trades.jsonl')).size).toBeGreaterThan(10_000);
    fs.writeFileSync(path.join(dir, 'kobe.log'), 'z'.repeat(20_000));
    expect(rotateLogs(dir, now, { maxBytes: 10_000, maxAgeDays: 7 }).find((r) => r.file === 'kobe.log')?.rotated_to).toBe('archive/kobe-20241116T140000Z.log');
    expect(fs.readdirSync(path.join(dir, 'archive')).sort()).toEqual(['events-20241116T140000Z.jsonl', 'kobe-20241116T140000Z.log']);
  });
});

describe('renderDailyReport', () => {
  it('P&L against the start of the day, trades, positions with their exit plan, vetoes and tasks', () => {
    const md = renderDailyReport({
      date: '2024-11-12', generated_at: '2024-11-12T21:30:00.000Z', mode: 'paper', broker: 'sim', synthetic: true, trading_state: 'ACTIVE', kill_reason: null,
      account: { id: 'a', status: 'ACTIVE', currency: 'USD', cash: 90_000, equity: 101_000, buying_power: 90_000, last_equity: 100_000, pattern_day_trader: false, trading_blocked: false, account_blocked: false, daytrade_count: 0 },
      start_of_day_equity: 100_000, peak_equity: 102_000,
      trades: [{ ts: '2024-11-12T15:05:00.000Z', event: 'close', symbol: 'AAA', side: 'sell', qty: 10, price: 12, strategy: 'ibs_rsi', client_order_id: 'c', session_date: '2024-11-12', pnl: 20, reason: 'stop' }],
      positions: [{ symbol: 'BBB', qty: 5, avg_entry_price: 50, current_price: 52, market_value: 260, unrealized_pl: 10 }],
      ledger: [{ symbol: 'BBB', qty: 5, avg_price: 50, strategy: 'turtle_soup', entry_date: '2024-11-11', stop: 48, target: 55, time_stop_bars: 3, bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null }],
      vetoes_today: { trading_window: 2, entries_per_day: 1 }, tasks: [],
    });
    expect(md).toContain('# kobe daily report 2024-11-12 (SYNTHETIC DATA)');
    expect(md).toContain('- P&L today: +1000.00 (+1.00%) against start-of-day equity 100000.00');
    expect(md).toContain('- Realized today: +20.00 from 1 closed position(s)');
    expect(md).toContain('| 10:05:00 | close | AAA | sell | 10 | 12.00 | ibs_rsi | stop | +20.00 |');
    expect(md).toContain('| BBB | 5 | 50.00 | 52.00 | 10.00 | turtle_soup | 48.00 | 55.00 | 2024-11-11 | 3 bars |');
    expect(md).toContain('## Vetoes today (3)');
    expect(md.indexOf('trading_window')).toBeLessThan(md.indexOf('entries_per_day'));
  });
});
