// The automatic kill-switch triggers (SPEC section 4): each fires at its threshold as the SPEC
// words it ("> 5%" strict, "3 consecutive" at the 3rd) and not below; firing halts idempotently.
import fs from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TriggerInput } from '../../../src/core/brain/contracts.js';
import type { AlertKind } from '../../../src/core/ports/alerts.js';
import { evaluateTriggers, fireTriggers, type FireDeps } from '../../../src/core/brain/triggers.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import type { Level } from '../../../src/core/log/logger.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { activateKillSwitch, readKillHistory } from '../../../src/core/risk/kill-switch.js';
import { tradingState } from '../../../src/core/risk/trading-state.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

const cfg = ConfigSchema.shape.kill_switch.parse(undefined);
const NOW = new Date('2025-01-14T15:00:00Z');
const quiet: TriggerInput = {
  now: NOW, equity: 100_000, startOfDayEquity: 100_000, weekPeakEquity: 100_000,
  consecutiveCriticalFailures: 0, dataDownSince: null, consecutiveBrokerRejections: 0, reconcileMismatchUsd: 0,
};
const ids = (i: Partial<TriggerInput>) => evaluateTriggers({ ...quiet, ...i }, cfg).map((f) => f.id);

describe('evaluateTriggers', () => {
  it('fires nothing on a quiet input, and the defaults are the SPEC numbers', () => {
    expect(ids({})).toEqual([]);
    expect(cfg).toMatchObject({ daily_loss_pct: 0.05, weekly_drawdown_pct: 0.1, critical_task_failures: 3, data_down_minutes: 30, broker_rejections: 3, reconcile_mismatch_usd: 1000 });
  });

  it('K1 daily: a loss of exactly 5% does not fire, one cent more does (strict >)', () => {
    expect(ids({ equity: 95_000.01 })).toEqual([]);
    expect(ids({ equity: 95_000 })).toEqual([]);
    expect(ids({ equity: 94_999.99 })).toEqual(['K1']);
    // An awkward base where 5% is not exact in binary floating point.
    expect(ids({ startOfDayEquity: 123_456.78, weekPeakEquity: 123_456.78, equity: 123_456.78 - 6_172.84 })).toEqual([]);
    expect(ids({ startOfDayEquity: 123_456.78, weekPeakEquity: 123_456.78, equity: 123_456.78 - 6_172.85 })).toEqual(['K1']);
  });

  it('K1 weekly: a drawdown of exactly 10% from the week peak does not fire, one cent more does', () => {
    const base = { startOfDayEquity: 90_000, weekPeakEquity: 100_000 };
    expect(ids({ ...base, equity: 90_000 })).toEqual([]);
    expect(ids({ ...base, equity: 89_999.99 })).toEqual(['K1']);
    const [k1] = evaluateTriggers({ ...quiet, ...base, equity: 89_000 }, cfg);
    expect(k1.reason).toBe("K1 weekly drawdown $11,000.00 = 11.00% from the week's peak $100,000.00 > limit 10.00% (equity $89,000.00)");
  });

  it('K1 names the numbers, both measures when both are breached, and ignores an unusable base', () => {
    const [k1] = evaluateTriggers({ ...quiet, equity: 80_000 }, cfg);
    expect(k1.reason).toMatch(/^K1 daily loss \$20,000\.00 = 20\.00% of start-of-day equity \$100,000\.00 > limit 5\.00% and weekly drawdown \$20,000\.00 = 20\.00%/);
    expect(ids({ startOfDayEquity: 0, weekPeakEquity: 0, equity: -5 })).toEqual([]);
    expect(ids({ equity: Number.NaN })).toEqual([]);
  });

  it('K2 fires at the 3rd consecutive critical failure, not the 2nd', () => {
    expect(ids({ consecutiveCriticalFailures: 2 })).toEqual([]);
    expect(ids({ consecutiveCriticalFailures: 3 })).toEqual(['K2']);
    expect(ids({ consecutiveCriticalFailures: 4 })).toEqual(['K2']);
  });

  it('K5 fires when the provider has been down more than 30 min (strict), and fails closed on an unreadable time', () => {
    const ago = (ms: number) => new Date(NOW.getTime() - ms).toISOString();
    expect(ids({ dataDownSince: ago(29 * 60_000) })).toEqual([]);
    expect(ids({ dataDownSince: ago(30 * 60_000) })).toEqual([]);
    expect(ids({ dataDownSince: ago(30 * 60_000 + 1_000) })).toEqual(['K5']);
    expect(ids({ dataDownSince: 'yesterday-ish' })).toEqual(['K5']);
    expect(evaluateTriggers({ ...quiet, dataDownSince: ago(45 * 60_000) }, cfg)[0].reason).toMatch(/^K5 data provider down for 45\.0 min since .* > limit 30 min$/);
  });

  it('K7 fires at the 3rd consecutive broker rejection, not the 2nd', () => {
    expect(ids({ consecutiveBrokerRejections: 2 })).toEqual([]);
    expect(ids({ consecutiveBrokerRejections: 3 })).toEqual(['K7']);
  });

  it('K8 fires above $1,000 of mismatch notional, not at it', () => {
    expect(ids({ reconcileMismatchUsd: 999.99 })).toEqual([]);
    expect(ids({ reconcileMismatchUsd: 1_000 })).toEqual([]);
    expect(ids({ reconcileMismatchUsd: 1_000.01 })).toEqual(['K8']);
  });

  it('reports every trigger that fires, in policy order, and follows the configured thresholds', () => {
    expect(ids({ equity: 90_000, consecutiveCriticalFailures: 9, dataDownSince: '2025-01-14T00:00:00Z', consecutiveBrokerRejections: 9, reconcileMismatchUsd: 5_000 })).toEqual(['K1', 'K2', 'K5', 'K7', 'K8']);
    const tight = { ...cfg, critical_task_failures: 1, reconcile_mismatch_usd: 10 };
    expect(evaluateTriggers({ ...quiet, consecutiveCriticalFailures: 1, reconcileMismatchUsd: 10.01 }, tight).map((f) => f.id)).toEqual(['K2', 'K8']);
  });
});

describe('fireTriggers', () => {
  let home: TempHome;
  let deps: FireDeps;
  const audit: Array<{ type: string; data?: Record<string, unknown> }> = [];
  const events: Array<{ event: string; fields?: Record<string, unknown>; level?: Level }> = [];
  const alerts: Array<{ kind: AlertKind; text: string }> = [];
  beforeEach(() => {
    home = tempStateHome();
    audit.length = events.length = alerts.length = 0;
    deps = {
      killFile: home.paths.killSwitch, stateDir: home.paths.stateDir, historyFile: home.paths.killHistory, clock: new FakeClock(NOW),
      audit: { append: async (type, data) => audit.push({ type, data }) },
      events: { emit: (event, fields, level) => void events.push({ event, fields, level }) },
      alerts: { send: (kind, text) => void alerts.push({ kind, text }), flush: async () => undefined },
    };
  });
  afterEach(() => home.cleanup());

  it('does nothing when nothing fired', async () => {
    const r = await fireTriggers([], deps);
    expect(r).toMatchObject({ activated: false, alreadyActive: false });
    expect(fs.existsSync(home.paths.killSwitch)).toBe(false);
    expect(audit.length + events.length + alerts.length).toBe(0);
  });

  it('halts with by brain, mode halt and the trigger; history, audit kill_on, event and alert follow', async () => {
    const fired = evaluateTriggers({ ...quiet, consecutiveBrokerRejections: 3 }, cfg);
    const r = await fireTriggers(fired, deps);
    expect(r).toMatchObject({ activated: true, alreadyActive: false, warnings: [] });
    expect(tradingState(home.paths.killSwitch, home.paths.stateDir).state).toBe('HALTED');
    const rec = JSON.parse(fs.readFileSync(home.paths.killSwitch, 'utf8'));
    expect(rec).toEqual({ reason: 'K7 3 consecutive broker rejections (limit 3)', activated_at: NOW.toISOString(), activated_by: 'brain', mode: 'halt', trigger: 'K7' });
    expect(readKillHistory(home.paths.killHistory).entries).toEqual([{ event: 'on', reason: rec.reason, mode: 'halt', activated_at: NOW.toISOString(), activated_by: 'brain', trigger: 'K7' }]);
    expect(audit).toEqual([{ type: 'kill_on', data: { reason: rec.reason, mode: 'halt', by: 'brain', trigger: 'K7' } }]);
    expect(events).toEqual([{ event: 'kill_switch_auto', fields: { trigger: 'K7', reason: rec.reason, mode: 'halt', state: 'HALTED' }, level: 'error' }]);
    expect(alerts).toHaveLength(1);
    expect(alerts[0].kind).toBe('kill_switch_on');
    expect(alerts[0].text).toMatch(/K7 3 consecutive broker rejections/);
  });

  it('names every fired trigger in one record', async () => {
    const fired = evaluateTriggers({ ...quiet, equity: 94_000, reconcileMismatchUsd: 2_000 }, cfg);
    await fireTriggers(fired, deps);
    const rec = JSON.parse(fs.readFileSync(home.paths.killSwitch, 'utf8'));
    expect(rec.trigger).toBe('K1,K8');
    expect(rec.reason).toMatch(/^K1 daily loss .*; K8 reconcile mismatch \$2,000\.00/);
  });

  it('leaves an already-active switch as it is (even a human reduce) and only reports it', async () => {
    activateKillSwitch(home.paths.killSwitch, home.paths.stateDir, deps.clock, { reason: 'operator trim', by: 'ann', mode: 'reduce' });
    const before = fs.readFileSync(home.paths.killSwitch, 'utf8');
    const r = await fireTriggers(evaluateTriggers({ ...quiet, consecutiveCriticalFailures: 5 }, cfg), deps);
    expect(r).toMatchObject({ activated: false, alreadyActive: true });
    expect(r.state?.record?.reason).toBe('operator trim');
    expect(fs.readFileSync(home.paths.killSwitch, 'utf8')).toBe(before);
    expect(readKillHistory(home.paths.killHistory).entries).toEqual([]);
    expect(audit.length + events.length + alerts.length).toBe(0);
  });

  it('keeps the halt when a follow-up record fails, and says what was not written', async () => {
    deps.audit = { append: async () => { throw new Error('chain damaged'); } };
    const r = await fireTriggers(evaluateTriggers({ ...quiet, consecutiveCriticalFailures: 3 }, cfg), deps);
    expect(r.activated).toBe(true);
    expect(r.warnings).toEqual(['audit record not written: chain damaged']);
    expect(tradingState(home.paths.killSwitch, home.paths.stateDir).state).toBe('HALTED');
    expect(alerts.map((a) => a.kind)).toEqual(['kill_switch_on']);
  });

  it('throws, after an event and an alert, when the switch itself cannot be written', async () => {
    deps.stateDir = `${home.paths.killSwitch}.d/not-a-dir`;
    fs.writeFileSync(`${home.paths.killSwitch}.d`, 'a file where a directory should be');
    await expect(fireTriggers(evaluateTriggers({ ...quiet, consecutiveCriticalFailures: 3 }, cfg), deps)).rejects.toThrow();
    expect(events.map((e) => [e.event, e.level])).toEqual([['kill_switch_auto_failed', 'fatal']]);
    expect(alerts[0]).toMatchObject({ kind: 'error' });
    expect(alerts[0].text).toMatch(/could NOT be written.*kobe kill on/);
  });
});
