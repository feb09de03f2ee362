import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { runBrainStart } from '../../../src/commands/brain/start.js';
import { runReplay } from '../../../src/commands/brain/replay.js';
import { createContext } from '../../../src/cli/context.js';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { closeTimeEt, isTradingDay, sessionsBetween } from '../../../src/core/market/calendar.js';
import { lastCompletedSession } from '../../../src/core/market/sessions.js';
import { etDate, etMinutes, formatEt } from '../../../src/core/market/time.js';
import { submitIntent } from '../../../src/core/oms/submit.js';
import { barsHeld } from '../../../src/core/trade/exits.js';
import { PositionsFile } from '../../../src/core/state/schemas.js';
import { jsonl, RecordingAlerts, seededHome, simOrders } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

const hhmm = (iso: string) => formatEt(new Date(iso)).slice(11, 16);

describe('brain replay against the sim broker', () => {
  it('a replayed month: entries only in trading windows (reduced on FOMC/OpEx, clipped on the early close), none on holidays, exits on time, no lookahead, heartbeat and telemetry advance', async () => {
    const h = await seededHome({ fomc: ['2024-11-07'] });
    cleanup = h.cleanup;
    const beats: string[] = [];
    const summary = await runReplay(h.ctx, {
      from: '2024-11-01', to: '2024-11-30',
      onCycle: () => {
        const f = path.join(h.home, 'state', 'heartbeat.json');
        if (fs.existsSync(f)) beats.push(JSON.parse(fs.readFileSync(f, 'utf8')).ts);
      },
    });
    expect(summary.failed_tasks).toEqual([]);
    expect(summary.sessions).toBe(20);
    expect(summary.days).toBe(30);
    const orders = await simOrders(h.ctx);
    const buys = orders.filter((o) => o.side === 'buy');
    const sells = orders.filter((o) => o.side === 'sell');
    expect(buys.length).toBeGreaterThan(3);
    expect(sells.length).toBeGreaterThan(0);
    for (const o of buys) {
      const d = etDate(new Date(o.submitted_at!));
      const reduced = d === '2024-11-07' || d === '2024-11-15' || d === '2024-11-29';
      expect([isTradingDay(d), reduced ? ['10:05'] : ['10:05', '14:05']]).toEqual([true, expect.arrayContaining([hhmm(o.submitted_at!)])]);
    }
    for (const o of sells) {
      const d = etDate(new Date(o.submitted_at!));
      const m = etMinutes(new Date(o.submitted_at!));
      expect([isTradingDay(d), m >= 570, m < (closeTimeEt(d) === '13:00' ? 780 : 960)]).toEqual([true, true, true]);
    }
    expect(orders.filter((o) => ['2024-11-28', '2024-11-02', '2024-11-03'].includes(etDate(new Date(o.submitted_at!))))).toEqual([]);
    // Exits on time: a time stop closes at the first exit slot of the session it falls due.
    const trades = jsonl(path.join(h.home, 'logs', 'trades.jsonl'));
    const closes = trades.filter((t) => t.event === 'close');
    expect(closes.length).toBeGreaterThan(0);
    const timed = closes.filter((c) => c.reason === 'time');
    expect(timed.length).toBeGreaterThan(0);
    for (const c of timed) {
      const fill = trades.filter((t) => t.event === 'fill' && t.symbol === c.symbol && t.ts < c.ts).pop()!;
      expect([c.symbol, c.bars_held, hhmm(c.ts)]).toEqual([c.symbol, fill.time_stop_bars, '09:35']);
    }
    const ledger = (await h.ctx.state()).read(PositionsFile).positions;
    for (const p of ledger) expect(barsHeld(p.entry_date!, '2024-11-29')).toBeLessThanOrEqual(p.time_stop_bars!);
    // No lookahead: every scan of the replay used a date that had closed when it ran.
    const signals = jsonl(path.join(h.home, 'logs', 'signals.jsonl'));
    expect(signals.length).toBeGreaterThan(0);
    for (const s of signals) expect(s.scan_date <= lastCompletedSession(new Date(s.ts))).toBe(true);
    // Heartbeat and telemetry advance on simulated time.
    // A replay rewrites it on each new simulated day, each new phase, and at most every 250 ms of wall
    // time in between: never backwards, and on every replayed day.
    expect(beats.length).toBe(summary.cycles);
    expect(beats.every((b, i) => i === 0 || b >= beats[i - 1])).toBe(true);
    expect(new Set(beats.map((b) => etDate(new Date(b)))).size).toBe(summary.days);
    const hb = JSON.parse(fs.readFileSync(path.join(h.home, 'state', 'heartbeat.json'), 'utf8'));
    expect(hb).toMatchObject({ pid: process.pid, cycles: summary.cycles, last_cycle_ok: true, last_task: 'log_rotation' });
    expect(hb.ts).toBe('2024-11-30T15:00:00.000Z');
    expect(summary.heartbeats).toBeGreaterThan(summary.cycles);
    for (const f of ['nav_state.json', 'risk_snapshot.json', 'diagnostics.json']) {
      expect(JSON.parse(fs.readFileSync(path.join(h.home, 'logs', 'state', f), 'utf8')).ts >= '2024-11-29').toBe(true);
    }
    const reports = fs.readdirSync(path.join(h.home, 'reports')).filter((f) => f.startsWith('daily_')).sort();
    expect(reports).toEqual(sessionsBetween('2024-11-01', '2024-11-30').map((d) => `daily_${d}.md`));
    expect(fs.readFileSync(path.join(h.home, 'reports', 'daily_2024-11-29.md'), 'utf8')).toContain('P&L today:');
    expect(fs.readdirSync(path.join(h.home, 'reports', 'backtest'))).toContain('weekly-2024-11-02');
    // Research on the holiday night saw bars through the session before it, and no later.
    const wf = JSON.parse(fs.readFileSync(path.join(h.home, 'reports', 'walkforward', 'nightly-2024-11-28', 'wf_summary.json'), 'utf8'));
    expect(wf.walk_forward.axis.last).toBe('2024-11-27');
    expect(fs.existsSync(path.join(h.home, 'state', 'kobe_runner.lock'))).toBe(false);
  });

  it('touching state/KILL_SWITCH mid-replay: /health says halted at once, the next submit is refused, no order follows; a second start refuses with exit 6', async () => {
    const h = await seededHome();
    cleanup = h.cleanup;
    const alerts = new RecordingAlerts();
    let touchedAt: string | null = null;
    const seen: Record<string, unknown> = {};
    const summary = await runReplay(h.ctx, {
      from: '2024-11-04', to: '2024-11-08', serve: true, port: 0, alerts,
      onCycle: async (c, b) => {
        if (!seen.second) {
          seen.second = await runBrainStart(h.ctx, { foreground: true, once: true }).catch((e) => e);
          seen.address = b.server!.server.address();
        }
        if (touchedAt || !c.tasks.some((t) => t.id === 'exits@09:50') || !c.at.startsWith('2024-11-06')) return;
        fs.writeFileSync(h.ctx.paths.killSwitch, '');
        touchedAt = c.at;
        const r = await fetch(`${b.server!.url}/health`);
        seen.health = { status: r.status, body: await r.json() };
        seen.prom = await (await fetch(`${b.server!.url}/metrics/prometheus`)).text();
        seen.submit = await submitIntent(await b.env.ctx.submitDeps(), { session_date: '2024-11-06', symbol: 'XMO1', side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind: 'entry' });
      },
    });
    expect(seen.second).toBeInstanceOf(SafetyRefusal);
    expect((seen.second as SafetyRefusal).exitCode).toBe(6);
    expect((seen.second as Error).message).toContain(`pid ${process.pid}`);
    expect((seen.address as AddressInfo).address).toBe('127.0.0.1');
    expect(touchedAt).not.toBeNull();
    expect(seen.health).toMatchObject({ status: 503, body: { trading_state: 'HALTED', reasons: expect.arrayContaining(['halted: (empty kill switch file)']) } });
    expect(seen.prom).toContain('kobe_kill_switch 2');
    expect(seen.submit).toMatchObject({ status: 'REFUSED', veto: 'trading_state' });
    expect((await simOrders(h.ctx)).filter((o) => o.submitted_at! > touchedAt!)).toEqual([]);
    const events = jsonl(h.ctx.paths.events);
    const skipped = events.filter((e) => e.event === 'brain_task' && e.kind === 'trade_cycle' && e.ts > touchedAt!);
    expect(skipped.length).toBeGreaterThan(0);
    expect(skipped.every((e) => e.status === 'skipped' && /^halted: /.test(e.detail))).toBe(true);
    expect(events.some((e) => e.event === 'kill_switch_seen' && e.to === 'HALTED')).toBe(true);
    expect(alerts.sent.filter((a) => a.kind === 'kill_switch_on')).toHaveLength(1);
    expect(summary.health).toMatchObject({ healthy: false, trading_state: 'HALTED' });
  });
  it('refuses a replay (exit 6) on anything but a paper home with the sim broker, and before orders already in the books', async () => {
    const h = await seededHome();
    cleanup = h.cleanup;
    const cfg = path.join(h.home, 'config', 'base.yaml');
    const text = fs.readFileSync(cfg, 'utf8');
    fs.writeFileSync(cfg, text.replace(/broker:\n  name: sim/, 'broker:\n  name: alpaca'));
    const { createContext } = await import('../../../src/cli/context.js');
    const alpaca = await createContext({ home: h.home, json: true, clock: h.ctx.clock, env: { USER: 'tester' }, streams: { stdout: { write: () => true }, stderr: { write: () => true } } });
    const err = await runReplay(alpaca, { from: '2024-11-04', to: '2024-11-05' }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect([err.exitCode, err.message]).toEqual([6, expect.stringContaining('paper home with the sim broker (this one: paper, alpaca)')]);
    expect(fs.existsSync(path.join(h.home, 'state', 'kobe_runner.lock'))).toBe(false);
    fs.writeFileSync(cfg, text);
    const done = await runReplay(h.ctx, { from: '2024-11-04', to: '2024-11-06' });
    expect(done.orders).toBeGreaterThan(0);
    const before = await runReplay(h.ctx, { from: '2024-11-01', to: '2024-11-01' }).catch((e) => e);
    expect(before).toBeInstanceOf(SafetyRefusal);
    expect(before.message).toMatch(/order\(s\) after 2024-11-01/);
  });
  it('nightly research falls back to a quarter backtest when the history is too short for a walk-forward split; research: false skips it', async () => {
    const h = await seededHome({ years: 1 });
    cleanup = h.cleanup;
    await runReplay(h.ctx, { from: '2024-11-12', to: '2024-11-12' });
    await runReplay(h.ctx, { from: '2024-11-13', to: '2024-11-13', research: false });
    const nightly = jsonl(h.ctx.paths.events).filter((e) => e.event === 'brain_task' && e.kind === 'nightly_research');
    expect(nightly.map((e) => [e.status, e.detail.slice(0, 44)])).toEqual([['ok', 'history too short for a walk-forward split: '], ['skipped', 'research tasks are off for this run (researc']]);
    expect(fs.existsSync(path.join(h.home, 'reports', 'backtest', 'nightly-2024-11-12', 'summary.json'))).toBe(true);
    expect(fs.existsSync(path.join(h.home, 'reports', 'walkforward'))).toBe(false);
  });

  it('nightly research with research.queue set but no Redis there runs on the brain\'s host and says why (research never stalls trading)', async () => {
    const h = await seededHome();
    cleanup = h.cleanup;
    const cfg = path.join(h.home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('  # queue: redis://127.0.0.1:6379/0', '  queue: redis://127.0.0.1:1/0'));
    const ctx = await createContext({ home: h.home, json: true, clock: h.ctx.clock, env: { USER: 'tester', PATH: process.env.PATH }, streams: { stdout: { write: () => true }, stderr: { write: () => true } } });
    expect((await ctx.config()).config.research.queue).toBe('redis://127.0.0.1:1/0');
    await runReplay(ctx, { from: '2024-11-12', to: '2024-11-12' });
    const nightly = jsonl(ctx.paths.events).filter((e) => e.event === 'brain_task' && e.kind === 'nightly_research');
    expect(nightly.map((e) => e.status)).toEqual(['ok']);
    expect(nightly[0].detail).toMatch(/^walk-forward \S+ \(train 126, test 21, rolling\) locally: the queue could not be used \(.*127\.0\.0\.1:1.*\): \d+ splits/);
    expect(fs.existsSync(path.join(h.home, 'reports', 'walkforward', 'nightly-2024-11-12', 'wf_summary.json'))).toBe(true);
  });
});
