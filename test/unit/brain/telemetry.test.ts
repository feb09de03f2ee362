// The brain's telemetry (SPEC section 10): diagnostics (vetoes, exit pipeline, liveness), the risk
// snapshot, atomic publishing and a reader that reports each corrupt file.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { TriggerInput } from '../../../src/core/brain/contracts.js';
import { updateNav } from '../../../src/core/brain/nav.js';
import {
  IDLE_ORDER_SESSIONS, IDLE_SIGNAL_SESSIONS, TELEMETRY_FILES, buildDiagnostics, buildRiskSnapshot, publishTelemetry, readTelemetry, sessionsSince,
} from '../../../src/core/brain/telemetry.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import { IdempotencyFile, PositionsFile, RiskVetoesFile, type IdempotencyRecord, type PositionEntry } from '../../../src/core/state/schemas.js';
import { StateStore } from '../../../src/core/state/store.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

const cfg = ConfigSchema.shape.kill_switch.parse(undefined);
const NOW = new Date('2025-01-16T16:00:00Z'); // Thursday 11:00 ET; last completed session 2025-01-15
let home: TempHome;
let store: StateStore;
beforeEach(() => {
  home = tempStateHome();
  store = new StateStore(home.paths);
});
afterEach(() => home.cleanup());

const pos = (p: Partial<PositionEntry> & { symbol: string }): PositionEntry => ({
  qty: 10, avg_price: 100, strategy: 'ibs_rsi', entry_date: '2025-01-14', stop: 95, target: null, time_stop_bars: 7, bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null, ...p,
});
const order = (cid: string, created: string, kind: 'entry' | 'exit' = 'entry'): IdempotencyRecord => ({
  client_order_id: cid, status: 'FILLED', broker_order_id: 'b1', reason: null, attempts: 1, created_at: created, updated_at: created, filled_qty: 10, filled_avg_price: 100, attempt: 1, broker_status: null, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
  intent: { session_date: created.slice(0, 10), symbol: 'AAPL', side: kind === 'entry' ? 'buy' : 'sell', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind, target_price: null },
});
const jsonl = (file: string, rows: object[]) => {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
};
const diag = (over: Partial<Parameters<typeof buildDiagnostics>[0]> = {}) =>
  buildDiagnostics({ store, logsDir: home.paths.logsDir, now: NOW, prices: {}, lastExitScanTs: null, lastExitTriggerTs: null, ...over });

describe('buildDiagnostics', () => {
  it('on a new home: no counters, no positions, nothing idle', () => {
    const d = diag();
    expect(d.veto_counters).toEqual({ today: {}, total: {} });
    expect(d.exit_pipeline).toEqual({ last_exit_scan_ts: null, last_exit_trigger_ts: null, positions: 0, positions_without_stop: 0, positions_without_target: 0, underwater_without_exit_plan: 0 });
    expect(d.liveness).toMatchObject({ last_signal_ts: null, last_order_ts: null, last_exit_ts: null, idle_signals: false, idle_orders: false, idle_exits: false });
  });

  it('counts vetoes, exit coverage and underwater positions without a plan, and flags each idle pipeline', async () => {
    await store.write(RiskVetoesFile, { version: 1, date: '2025-01-16', today: { max_open_positions: 3 }, total: { max_open_positions: 10, daily_notional: 2 } });
    await store.write(PositionsFile, {
      version: 1, updated_at: null,
      positions: [
        pos({ symbol: 'AAPL' }), // underwater with a plan
        pos({ symbol: 'MSFT', avg_price: 200, stop: null, time_stop_bars: null, target: 220 }), // underwater without a plan
        pos({ symbol: 'NVDA', avg_price: 50, stop: 45, entry_date: '2025-01-10', time_stop_bars: 2 }), // past its time stop, unpriced
        pos({ symbol: 'GONE', qty: 0 }),
      ],
    });
    await store.write(IdempotencyFile, { version: 1, orders: { a: order('a', '2025-01-08T15:00:00Z'), b: order('b', '2025-01-13T15:30:00Z', 'exit') } });
    jsonl(path.join(home.paths.logsDir, 'signals.jsonl'), [
      { ts: '2025-01-09T21:10:00.000Z', scan_date: '2025-01-09', picked: true, symbol: 'AAPL' },
      { ts: '2025-01-13T21:10:00.000Z', scan_date: '2025-01-13', picked: false, symbol: 'TSLA' },
    ]);
    fs.appendFileSync(path.join(home.paths.logsDir, 'signals.jsonl'), '{"torn line');
    jsonl(path.join(home.paths.logsDir, 'trades.jsonl'), [{ ts: '2025-01-10T20:00:00.000Z', event: 'close', symbol: 'X' }, { ts: '2025-01-13T15:30:00.000Z', event: 'fill', symbol: 'Y' }]);
    const d = diag({ prices: { AAPL: 98, MSFT: 190 }, lastExitScanTs: '2025-01-16T15:00:00.000Z', lastExitTriggerTs: '2025-01-10T20:00:00.000Z' });
    expect(d.veto_counters).toEqual({ today: { max_open_positions: 3 }, total: { max_open_positions: 10, daily_notional: 2 } });
    expect(d.exit_pipeline).toEqual({
      last_exit_scan_ts: '2025-01-16T15:00:00.000Z', last_exit_trigger_ts: '2025-01-10T20:00:00.000Z',
      positions: 3, positions_without_stop: 1, positions_without_target: 2, underwater_without_exit_plan: 1,
    });
    expect(d.liveness).toEqual({
      last_signal_ts: '2025-01-13T21:10:00.000Z', last_order_ts: '2025-01-13T15:30:00Z', last_exit_ts: '2025-01-10T20:00:00.000Z',
      idle_signals: true, idle_orders: true, idle_exits: true,
      details: {
        signal_idle_sessions: 2, order_idle_sessions: 4, unserved_picks: 1, positions_past_time_stop: 1, positions_unpriced: 1,
        exit_scan_age_s: 3600, last_signal_age_s: 240_600, last_order_age_s: 261_000, last_exit_age_s: 504_000,
      },
    });
  });

  it('yesterday\'s veto counters are not today\'s', async () => {
    await store.write(RiskVetoesFile, { version: 1, date: '2025-01-15', today: { max_open_positions: 3 }, total: { max_open_positions: 3 } });
    expect(diag().veto_counters).toEqual({ today: {}, total: { max_open_positions: 3 } });
  });

  it(`idle thresholds: signals after more than ${IDLE_SIGNAL_SESSIONS} session, orders after more than ${IDLE_ORDER_SESSIONS}`, () => {
    jsonl(path.join(home.paths.logsDir, 'signals.jsonl'), [{ ts: '2025-01-14T21:10:00.000Z', picked: false }]);
    expect(diag().liveness).toMatchObject({ idle_signals: false, details: { signal_idle_sessions: 1 } });
    jsonl(path.join(home.paths.logsDir, 'signals.jsonl'), [{ ts: '2025-01-10T21:10:00.000Z', picked: true }, { ts: '2025-01-15T21:10:00.000Z', picked: false }]);
    expect(diag().liveness).toMatchObject({ idle_signals: false, idle_orders: false, details: { order_idle_sessions: 3 } });
    jsonl(path.join(home.paths.logsDir, 'signals.jsonl'), [{ ts: '2025-01-09T21:10:00.000Z', picked: true }, { ts: '2025-01-15T21:10:00.000Z', picked: false }]);
    expect(diag().liveness).toMatchObject({ idle_orders: true, details: { order_idle_sessions: 4 } });
  });

  it('exit scan: fresh within 30 min is not idle; before 10:00 ET nothing is due yet', async () => {
    await store.write(PositionsFile, { version: 1, updated_at: null, applied_fills: [], positions: [pos({ symbol: 'AAPL' })] });
    expect(diag({ lastExitScanTs: '2025-01-16T15:30:00.000Z' }).liveness.idle_exits).toBe(false);
    expect(diag({ lastExitScanTs: '2025-01-16T15:29:59.000Z' }).liveness.idle_exits).toBe(true);
    expect(diag({ now: new Date('2025-01-16T14:59:00Z') }).liveness.idle_exits).toBe(false);
    expect(diag({ now: new Date('2025-01-18T16:00:00Z') }).liveness.idle_exits).toBe(false); // Saturday
  });

  it('sessionsSince counts completed sessions over weekends and holidays', () => {
    expect(sessionsSince('2025-01-15T21:00:00Z', NOW)).toBe(0);
    expect(sessionsSince('2025-01-10T21:00:00Z', NOW)).toBe(3);
    expect(sessionsSince('2025-01-17T21:00:00Z', new Date('2025-01-22T22:00:00Z'))).toBe(2); // MLK day 2025-01-20
    expect(sessionsSince('2025-01-09T21:00:00Z', NOW)).toBe(4); // 2025-01-09 was closed (national day of mourning): 10, 13, 14, 15
    expect(sessionsSince('2025-01-12T15:00:00Z', NOW)).toBe(3); // a Sunday
  });
});

describe('buildRiskSnapshot', () => {
  const input: TriggerInput = { now: NOW, equity: 100_000, startOfDayEquity: 100_000, weekPeakEquity: 100_000, consecutiveCriticalFailures: 1, dataDownSince: null, consecutiveBrokerRejections: 0, reconcileMismatchUsd: 12.346 };
  const snap = (i: Partial<TriggerInput>) => buildRiskSnapshot({ now: NOW, tradingState: { state: 'ACTIVE', source: 'absent' }, input: { ...input, ...i }, cfg });

  it('normal, with each circuit against its threshold', () => {
    expect(snap({})).toEqual({
      version: 1, ts: NOW.toISOString(), trading_state: 'ACTIVE', kill_reason: null, drawdown_state: 'normal',
      circuits: {
        K1: { value: 0, threshold: 0.05, tripped: false }, K2: { value: 1, threshold: 3, tripped: false }, K5: { value: null, threshold: 30, tripped: false },
        K7: { value: 0, threshold: 3, tripped: false }, K8: { value: 12.35, threshold: 1000, tripped: false },
      },
    });
  });

  it('elevated past half a K1 limit (daily 2.5%, weekly 5%), breached when K1 fires; K1 shows the binding measure', () => {
    expect(snap({ equity: 97_500 }).drawdown_state).toBe('normal');
    expect(snap({ equity: 97_499 }).drawdown_state).toBe('elevated');
    expect(snap({ startOfDayEquity: 95_000, equity: 94_999 }).drawdown_state).toBe('elevated'); // weekly 5.001%
    const b = snap({ equity: 94_000, dataDownSince: '2025-01-16T15:00:00Z', consecutiveBrokerRejections: 3 });
    expect(b.drawdown_state).toBe('breached');
    expect(b.circuits.K1).toEqual({ value: 0.06, threshold: 0.05, tripped: true });
    expect(b.circuits.K5).toEqual({ value: 60, threshold: 30, tripped: true });
    expect(b.circuits.K7.tripped).toBe(true);
    expect(snap({ startOfDayEquity: 89_000, equity: 89_000 }).circuits.K1).toEqual({ value: 0.11, threshold: 0.1, tripped: true });
  });

  it('carries the kill switch state and reason', () => {
    const s = buildRiskSnapshot({ now: NOW, tradingState: { state: 'HALTED', source: 'json', record: { reason: 'K7 ...', mode: 'halt' } }, input, cfg });
    expect(s).toMatchObject({ trading_state: 'HALTED', kill_reason: 'K7 ...' });
  });
});

describe('publishTelemetry / readTelemetry', () => {
  const dir = () => path.join(home.paths.logsDir, 'state');
  const docs = () => {
    const nav = updateNav(null, 100_000, NOW, cfg).nav;
    const risk = buildRiskSnapshot({ now: NOW, tradingState: { state: 'ACTIVE', source: 'absent' }, input: { now: NOW, equity: 1, startOfDayEquity: 1, weekPeakEquity: 1, consecutiveCriticalFailures: 0, dataDownSince: null, consecutiveBrokerRejections: 0, reconcileMismatchUsd: 0 }, cfg });
    return { nav, risk, diagnostics: diag() };
  };

  it('round-trips every file; missing files are null without a problem', async () => {
    expect(readTelemetry(dir())).toEqual({ risk: null, nav: null, diagnostics: null, problems: [] });
    const d = docs();
    const written = await publishTelemetry(dir(), d);
    expect(written.map((f) => path.basename(f)).sort()).toEqual(Object.values(TELEMETRY_FILES).sort());
    expect(readTelemetry(dir())).toEqual({ ...d, problems: [] });
    expect(fs.readdirSync(dir()).sort()).toEqual(Object.values(TELEMETRY_FILES).sort()); // no temp files left
  });

  it('publishes only the documents given', async () => {
    await publishTelemetry(dir(), { nav: docs().nav });
    expect(fs.readdirSync(dir())).toEqual(['nav_state.json']);
  });

  it('reports corruption per file: bad JSON, empty, a failing field; the good file still reads', async () => {
    const d = docs();
    await publishTelemetry(dir(), d);
    fs.writeFileSync(path.join(dir(), 'nav_state.json'), '{"version":1,"ts":');
    fs.writeFileSync(path.join(dir(), 'risk_snapshot.json'), '');
    const r = readTelemetry(dir());
    expect(r.nav).toBeNull();
    expect(r.risk).toBeNull();
    expect(r.diagnostics).toEqual(d.diagnostics);
    expect(r.problems).toEqual([{ file: 'risk_snapshot.json', problem: 'empty file' }, { file: 'nav_state.json', problem: expect.stringMatching(/^not valid JSON/) }]);
    fs.writeFileSync(path.join(dir(), 'diagnostics.json'), JSON.stringify({ ...d.diagnostics, exit_pipeline: { ...d.diagnostics.exit_pipeline, positions: -1 } }));
    expect(readTelemetry(dir()).problems[2]).toEqual({ file: 'diagnostics.json', problem: expect.stringMatching(/^exit_pipeline\.positions: /) });
  });

  it('refuses to publish a document its readers would reject', async () => {
    const bad = { ...docs().nav, drawdown: -0.5 };
    await expect(publishTelemetry(dir(), { nav: bad })).rejects.toThrow(/invalid nav_state\.json: drawdown/);
    expect(fs.existsSync(path.join(dir(), 'nav_state.json'))).toBe(false);
  });
});
