import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { parseIncidentNew, renderIncidentNew, runIncidentNew } from '../../src/commands/incident.js';
import { runKillOn } from '../../src/commands/kill/on.js';
import { UsageError } from '../../src/core/errors.js';
import { IdempotencyFile, PositionsFile, type IdempotencyRecord } from '../../src/core/state/schemas.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const SECTIONS = ['## Description', '## Timeline (last 6 h', '## Kill switch', '## Positions', '### Ledger', '### Broker', '## Unresolved orders', '## Actions taken', '## Resolution time', '## Root cause', '## Prevention measures'];

describe('kobe incident new', () => {
  it('writes the report with every section and a timeline holding the kill_on we made', async () => {
    t = await testContext();
    t.clock.set('2025-01-14T12:00:00Z');
    await runKillOn(t.ctx, { reason: 'dup order on AAPL', mode: 'halt' });
    const store = await t.ctx.state();
    await store.write(PositionsFile, { version: 1, updated_at: '2025-01-14T12:00:00Z', applied_fills: [], positions: [{ symbol: 'AAPL', qty: 10, avg_price: 100, strategy: 'ibs_rsi', entry_date: '2025-01-13', stop: 95, target: null, time_stop_bars: 7, bars_held: 1, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null }] });
    const unknown: IdempotencyRecord = {
      client_order_id: 'kobe-x', intent: { session_date: '2025-01-14', symbol: 'MSFT', side: 'buy', qty: 5, type: 'limit', time_in_force: 'ioc', limit_price: 200, stop_price: null, strategy: 'ibs_rsi', kind: 'entry', target_price: null },
      status: 'UNKNOWN', broker_order_id: null, reason: null, attempts: 1, created_at: '2025-01-14T12:00:00Z', updated_at: '2025-01-14T12:00:00Z', filled_qty: 0, filled_avg_price: null, attempt: 1, broker_status: null, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
    };
    await store.update(IdempotencyFile, (f) => ({ ...f, orders: { 'kobe-x': unknown } }));
    t.clock.set('2025-01-14T15:00:00Z');
    const r = await runIncidentNew(t.ctx, parseIncidentNew({ sev: 'SEV-1', title: 'duplicate | order' }));
    expect(r.file).toBe('logs/incidents/INCIDENT_2025-01-14_10-00.md');
    expect(r.warnings).toEqual([]);
    const md = fs.readFileSync(r.path, 'utf8');
    for (const s of SECTIONS) expect(md).toContain(s);
    expect(md).toContain('| Detected | 2025-01-14 10:00:00 ET (2025-01-14T15:00:00.000Z) |');
    expect(md).toContain('SEV-1: Major performance degradation / Bad fills (response: < 15 min)');
    expect(md).toMatch(/US Eastern \(America\/New_York\)/);
    expect(md).toMatch(/\| 2025-01-14 07:00:00 ET \| event \| kill_on \| warn \| reason=dup order on AAPL/);
    expect(md).toMatch(/\| 2025-01-14 07:00:00 ET \| audit \| kill_on \| #\d+ \|/);
    expect(md).toContain('State: **HALTED** (reason: dup order on AAPL');
    expect(md).toMatch(/- ON {2}2025-01-14 07:00:00 ET by tester: dup order on AAPL/);
    expect(md).toMatch(/\| AAPL \| 10 \| 100\.00 \| ibs_rsi \| 2025-01-13 \| 95\.00 \| - \|/);
    expect(md).toContain('| kobe-x | UNKNOWN | MSFT | buy | 5 |');
    expect(md).toMatch(/## Actions taken\n\n- 2025-01-14 07:00:00 ET kill_on \(audit #\d+\): /);
    expect(md).toMatch(/sim: no positions \(equity 100000\.00\)/);
    const events = fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'incident_opened', severity: 'SEV-1', file: r.file, level: 'error' });
    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
    expect(chain.at(-1)).toMatchObject({ type: 'incident_opened', severity: 'SEV-1', title: 'duplicate | order', by: 'tester' });
    renderIncidentNew(t.ctx.out, r);
    expect(t.stdout.data.trim()).toBe(r.path);
  });

  it('only the last H hours, a -2 suffix for a second report, and a report even with broken state and no broker', async () => {
    t = await testContext();
    t.clock.set('2025-01-14T12:00:00Z');
    await runKillOn(t.ctx, { reason: 'old', mode: 'halt' });
    t.clock.set('2025-01-14T15:00:00Z');
    fs.writeFileSync((await t.ctx.state()).file(PositionsFile), '{ torn');
    fs.writeFileSync(t.ctx.paths.config, fs.readFileSync(t.ctx.paths.config, 'utf8').replace(/name: sim\b/, 'name: alpaca'));
    const a = await runIncidentNew(t.ctx, { severity: 'SEV-2', title: 'first', hours: 2 });
    const b = await runIncidentNew(t.ctx, { severity: 'SEV-2', title: 'second', hours: 6 });
    expect(b.file).toBe('logs/incidents/INCIDENT_2025-01-14_10-00-2.md');
    const first = fs.readFileSync(a.path, 'utf8');
    expect(first).toContain('## Timeline (last 2 h');
    expect(first).not.toMatch(/\| kill_on \|/);
    expect(first).toMatch(/### Ledger \(state\/positions\.json\)\n\nCould not be read: .*positions\.json/);
    expect(first).toMatch(/The broker could not be reached: .*ALPACA_API_KEY_ID/);
    expect(a.broker_reached).toBe(false);
    expect(fs.readFileSync(b.path, 'utf8')).toMatch(/\| kill_on \|/);
    expect(fs.readFileSync(a.path, 'utf8')).toBe(first);
  });

  it('rejects a bad --sev, an empty title and bad --hours as usage errors', () => {
    expect(parseIncidentNew({ sev: 'sev-0', title: ' a\nb ' })).toEqual({ severity: 'SEV-0', title: 'a b', hours: 6 });
    expect(parseIncidentNew({ sev: '2', title: 't', hours: '1.5' })).toEqual({ severity: 'SEV-2', title: 't', hours: 1.5 });
    expect(() => parseIncidentNew({ sev: 'SEV-3', title: 't' })).toThrow(UsageError);
    expect(() => parseIncidentNew({ sev: 'critical', title: 't' })).toThrow(/SEV-0, SEV-1 or SEV-2/);
    expect(() => parseIncidentNew({ sev: 'SEV-1', title: '  ' })).toThrow(/--title/);
    expect(() => parseIncidentNew({ sev: 'SEV-1', title: 't', hours: '0' })).toThrow(/--hours/);
  });
});
