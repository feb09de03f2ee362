import { afterEach, describe, expect, it } from '@jest/globals';
import type { AddressInfo } from 'node:net';
import { assessHealth, startHealthServer, type HealthInput, type HealthServer } from '../../../src/core/brain/health.js';
import { BrainMetrics, prometheusExporter, type MetricsSnapshot } from '../../../src/core/brain/metrics.js';

const now = new Date('2025-01-14T15:00:00Z');
const hb = (ageS: number, ok = true) => ({ ts: new Date(now.getTime() - ageS * 1000).toISOString(), phase: 'morning', last_task: 'exits@10:05', last_success: now.toISOString(), cycles: 7, last_cycle_ok: ok });
const base: HealthInput = { now, running: true, pid: 42, heartbeat: hb(5), tradingState: { state: 'ACTIVE', source: 'absent' }, tradingRefused: null };

describe('assessHealth', () => {
  it('healthy only with a fresh heartbeat, a good last cycle, trading not halted and entries not refused', () => {
    expect(assessHealth(base)).toMatchObject({ healthy: true, live: true, reasons: [], trading_state: 'ACTIVE', heartbeat_age_s: 5 });
    expect(assessHealth({ ...base, heartbeat: hb(61) })).toMatchObject({ healthy: false, live: false, reasons: ['heartbeat stale: 61 s old (fresh < 60 s)'] });
    expect(assessHealth({ ...base, heartbeat: hb(5, false) }).reasons).toEqual(['last cycle failed (last task exits@10:05)']);
    expect(assessHealth({ ...base, running: false, heartbeat: null }).reasons).toEqual(['not running: no live brain process for this home', 'no heartbeat: state/heartbeat.json is missing']);
    const halted = assessHealth({ ...base, tradingState: { state: 'HALTED', source: 'empty', record: { reason: '(empty kill switch file)', mode: 'halt' } } });
    // Halted is not alive-or-dead: a watchdog must not restart on it.
    expect(halted).toMatchObject({ healthy: false, live: true, trading_state: 'HALTED', kill_reason: '(empty kill switch file)', reasons: ['halted: (empty kill switch file)'] });
    expect(assessHealth({ ...base, tradingRefused: 'reconcile found 1 discrepancy' }).reasons).toEqual(['trading refused: reconcile found 1 discrepancy']);
  });
});

describe('health server', () => {
  let srv: HealthServer | null = null;
  afterEach(async () => {
    await srv?.close();
    srv = null;
  });

  it('binds the configured loopback host only and serves /health, /health/live, /metrics and /metrics/prometheus', async () => {
    let input = base;
    const m = new BrainMetrics();
    m.order('FILLED');
    m.order('REJECTED');
    m.task('exits', 0.25, 'ok');
    m.task('exits', 0.5, 'failed');
    const snap = (): MetricsSnapshot => ({ orders: { ...m.orders }, exits: 1, vetoes_total: { trading_window: 3 }, vetoes_today: {}, kill_switch: { state: input.tradingState.state, on: input.tradingState.state !== 'ACTIVE', reason: null }, heartbeat_age_s: 5, equity: 100_000, drawdown: 0.01, cycles: 7, tasks: m.tasks });
    const prom = await prometheusExporter(snap);
    srv = await startHealthServer('127.0.0.1', 0, { health: () => assessHealth(input), metrics: snap, prometheus: async () => ({ contentType: prom.contentType, body: await prom.scrape() }) });
    const a = srv.server.address() as AddressInfo;
    expect(a.address).toBe('127.0.0.1');
    expect(a.port).toBeGreaterThan(0);
    const get = async (p: string) => {
      const r = await fetch(`${srv!.url}${p}`);
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    };
    const ok = await get('/health');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.text)).toMatchObject({ healthy: true, trading_state: 'ACTIVE' });
    input = { ...base, tradingState: { state: 'HALTED', source: 'text', record: { reason: 'maintenance', mode: 'halt' } } };
    const halted = await get('/health');
    expect(halted.status).toBe(503);
    expect(JSON.parse(halted.text)).toMatchObject({ trading_state: 'HALTED', reasons: ['halted: maintenance'] });
    expect((await get('/health/live')).status).toBe(200);
    input = { ...base, heartbeat: hb(300) };
    expect((await get('/health/live')).status).toBe(503);
    const metrics = JSON.parse((await get('/metrics')).text);
    expect(metrics.orders).toMatchObject({ submitted: 1, filled: 1, rejected: 1 });
    expect(metrics.tasks.exits).toMatchObject({ runs: 2, failures: 1 });
    const p = await get('/metrics/prometheus');
    expect(p.type).toMatch(/^text\/plain/);
    expect(p.text).toContain('kobe_orders_filled_total 1');
    expect(p.text).toContain('kobe_orders_rejected_total 1');
    expect(p.text).toContain('kobe_risk_vetoes_total{reason="trading_window"} 3');
    expect(p.text).toContain('kobe_task_failures_total{task="exits"} 1');
    expect(p.text).toContain('kobe_task_duration_seconds_total{task="exits"} 0.75');
    expect(p.text).toContain('kobe_equity_usd 100000');
    expect(p.text).toContain('kobe_kill_switch 0');
    expect((await get('/nope')).status).toBe(404);
  });
});
