// kobe diagnose: every playbook matched on a hand-built state (and only that one), printed as
// kobe commands with its evidence; exit 0 when nothing matches, 5 when something does.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { renderDiagnose, runDiagnose, type DiagnoseResult } from '../../src/commands/diagnose.js';
import { main } from '../../src/cli/main.js';
import type { NavState } from '../../src/core/brain/contracts.js';
import { publishTelemetry } from '../../src/core/brain/telemetry.js';
import { PLAYBOOK_IDS, type PlaybookId, type PlaybookMatch } from '../../src/core/diagnose/playbooks.js';
import { CheckFailed, ExitCode } from '../../src/core/errors.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { lastCompletedSession } from '../../src/core/market/sessions.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import {
  HeartbeatFile, IdempotencyFile, LastReconcileFile, PositionsFile, RiskVetoesFile, type IdempotencyRecord, type PositionEntry,
} from '../../src/core/state/schemas.js';
import { dayNumber, type BarSeries } from '../../src/core/strategy/bars.js';
import { kobe } from '../helpers/cli.js';
import { MemoryStream, testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const AFTER_CLOSE = '2025-01-14T22:00:00Z'; // Tuesday 17:00 ET: no exit scans due
const MARKET = '2025-01-14T16:00:00Z'; // Tuesday 11:00 ET
const ago = (s: number) => new Date(t.clock.now().getTime() - s * 1000).toISOString();

function series(symbol: string, to: string): BarSeries {
  const days = sessionsBetween('2024-12-02', to);
  const n = days.length;
  const s: BarSeries = { symbol, dates: new Int32Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), length: n };
  days.forEach((d, i) => {
    s.dates[i] = dayNumber(d);
    [s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]] = [50, 51, 49, 50.5, 1_000_000];
  });
  return s;
}

/** A home where nothing matches: a fresh heartbeat of a live pid, a clean recent reconcile, fresh bars. */
async function healthy(at = AFTER_CLOSE): Promise<void> {
  t = await testContext({ clock: new FakeClock(at) });
  const store = await t.ctx.state();
  await store.write(HeartbeatFile, { version: 1, ts: ago(10), pid: process.pid, phase: 'after_hours', last_task: 'reconcile', last_success: ago(10), cycles: 42, last_cycle_ok: true });
  fs.writeFileSync(t.ctx.paths.state('autonomous/kobe.pid'), `${process.pid}\n`);
  await store.write(LastReconcileFile, { version: 1, ts: ago(3600), clean: true, broker: 'sim', discrepancies: [], mismatch_notional: 0, fixed: false });
  fs.mkdirSync(path.join(t.home, 'data', 'universe'), { recursive: true });
  fs.writeFileSync(path.join(t.home, 'data', 'universe', 'demo.csv'), 'symbol\nAAPL\nMSFT\n');
  const last = lastCompletedSession(t.clock.now());
  await (await t.ctx.bars()).writeMany(['AAPL', 'MSFT'].map((s) => ({ series: series(s, last), meta: { source: 'import' as const } })));
}

/** Run diagnose; the result whether it matched (CheckFailed, exit 5) or not. */
async function diagnose(offline = true): Promise<{ r: DiagnoseResult; err: CheckFailed | null }> {
  try {
    return { r: await runDiagnose(t.ctx, { offline }), err: null };
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    return { r: err.result as DiagnoseResult, err };
  }
}

/** Exactly one playbook matches: `id`. */
async function only(id: PlaybookId): Promise<PlaybookMatch> {
  const { r, err } = await diagnose();
  expect(r.matches.map((m) => m.id)).toEqual([id]);
  expect(err?.message).toBe(`1 playbook(s) match: ${id}`);
  expect(r.clear).toEqual(PLAYBOOK_IDS.filter((x) => x !== id));
  return r.matches[0];
}
const runs = (m: PlaybookMatch) => m.steps.map((s) => s.run);

const pos = (p: Partial<PositionEntry> & { symbol: string }): PositionEntry => ({
  qty: 10, avg_price: 100, strategy: 'ibs_rsi', entry_date: '2025-01-13', stop: 95, target: null, time_stop_bars: 7, bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null, ...p,
});
const rec = (cid: string, o: Partial<IdempotencyRecord> = {}, symbol = 'AAPL'): IdempotencyRecord => ({
  client_order_id: cid, status: 'SUBMITTED', broker_order_id: `b-${cid}`, reason: null, attempts: 1, created_at: '2025-01-14T15:05:00Z', updated_at: '2025-01-14T15:05:00Z', filled_qty: 0, filled_avg_price: null, attempt: 1, broker_status: null, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
  intent: { session_date: '2025-01-14', symbol, side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind: 'entry', target_price: null },
  ...o,
});
const nav = (o: Partial<NavState>): NavState => ({
  version: 1, ts: ago(60), equity: 100_000, peak: 100_000, drawdown: 0, start_of_day: { date: '2025-01-14', equity: 100_000 }, week_peak: { week_start: '2025-01-13', equity: 100_000 }, anomalies_rejected: [], ...o,
});
const events = (rows: object[]) => fs.appendFileSync(t.ctx.paths.events, rows.map((r) => `${JSON.stringify(r)}\n`).join(''));
const logsState = () => path.join(t.ctx.paths.logsDir, 'state');

describe('kobe diagnose', () => {
  it('exit 0 and "no playbook matches" on a healthy home (the sim broker asked too)', async () => {
    await healthy();
    const { r, err } = await diagnose(false);
    expect(err).toBeNull();
    expect(r).toMatchObject({ matched: 0, matches: [], clear: [...PLAYBOOK_IDS], notes: [] });
    renderDiagnose(t.ctx.out, r);
    expect(t.stdout.data).toBe(`no playbook matches (${PLAYBOOK_IDS.length} checked)\n`);
  });

  it('brain down: a stale heartbeat and a dead pid', async () => {
    await healthy();
    const store = await t.ctx.state();
    await store.write(HeartbeatFile, { ...store.read(HeartbeatFile), ts: ago(121) });
    let m = await only('brain_down');
    expect(m.evidence).toEqual(['heartbeat 121 s old (limit 120 s; phase after_hours, last task reconcile)']);
    expect(runs(m)).toEqual(['kobe brain status', 'kobe incident new --sev SEV-1 --title "brain down"', 'kobe brain start', 'kobe brain health']);
    await store.write(HeartbeatFile, { ...store.read(HeartbeatFile), ts: ago(120) });
    fs.writeFileSync(t.ctx.paths.state('autonomous/kobe.pid'), '2147483646\n');
    m = await only('brain_down');
    expect(m.evidence).toEqual(['pid 2147483646 from state/autonomous/kobe.pid is not running']);
  });

  it('brain down: no heartbeat at all, or a failed last cycle', async () => {
    await healthy();
    fs.rmSync(t.ctx.paths.state('heartbeat.json'));
    expect((await only('brain_down')).evidence[0]).toMatch(/^no heartbeat/);
    const store = await t.ctx.state();
    await store.write(HeartbeatFile, { version: 1, ts: ago(5), pid: process.pid, phase: 'after_hours', last_task: 'reconcile', last_success: ago(900), cycles: 3, last_cycle_ok: false });
    expect((await only('brain_down')).evidence[0]).toMatch(/^the last cycle failed \(task reconcile/);
  });

  it('position discrepancy: a dirty reconcile gives the halt-fix-verify-resume playbook', async () => {
    await healthy();
    await (await t.ctx.state()).write(LastReconcileFile, {
      version: 1, ts: ago(600), clean: false, broker: 'sim', mismatch_notional: 1_500, fixed: false,
      discrepancies: [{ type: 'QUANTITY_MISMATCH', symbol: 'AAPL', severity: 'high', detail: 'broker 10, ledger 5', action: 'set the ledger', notional: 1_500 }],
    });
    const m = await only('position_discrepancy');
    expect(m.severity).toBe('SEV-0');
    expect(m.evidence).toEqual(['last reconcile at ' + ago(600) + ' found 1 discrepancies: QUANTITY_MISMATCH AAPL (broker 10, ledger 5)', 'mismatch notional $1,500.00 (K8 halts above $1,000.00)']);
    expect(runs(m)).toEqual([
      'kobe kill on --reason "position discrepancy"', 'kobe positions', 'kobe reconcile', 'kobe reconcile --fix --yes', 'kobe reconcile',
      'kobe kill off --yes --note "reconciled: ledger matches the broker"',
    ]);
    renderDiagnose(t.ctx.out, { ts: '', matched: 1, matches: [m], clear: [], notes: [] });
    expect(t.stdout.data).toMatch(/SEV-0 {2}Position discrepancy {2}\(position_discrepancy\)\n {2}evidence:\n {4}- last reconcile/);
    expect(t.stdout.data).toMatch(/ {4}1\. kobe kill on --reason "position discrepancy" +# halt first/);
  });

  it('position discrepancy: a reconcile older than 24 h asks for a reconcile first', async () => {
    await healthy();
    const store = await t.ctx.state();
    await store.write(LastReconcileFile, { ...store.read(LastReconcileFile), ts: ago(24 * 3600 + 60) });
    const m = await only('position_discrepancy');
    expect(m).toMatchObject({ severity: 'SEV-2', evidence: ['last reconcile is 24.0 h old (limit 24 h)'] });
    expect(runs(m)).toEqual(['kobe reconcile', 'kobe diagnose']);
    await store.write(LastReconcileFile, { ...store.read(LastReconcileFile), ts: ago(24 * 3600 - 60) });
    expect((await diagnose()).r.matched).toBe(0);
  });

  it('order rejected: events of the last 24 h and REJECTED records of today', async () => {
    await healthy();
    events([
      { level: 'warn', ts: ago(25 * 3600), event: 'order_rejected', client_order_id: 'old', symbol: 'OLD', reason: 'too old to count' },
      { level: 'warn', ts: ago(600), event: 'order_rejected', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry', symbol: 'AAPL', reason: 'insufficient buying power' },
    ]);
    await (await t.ctx.state()).write(IdempotencyFile, {
      version: 1,
      orders: {
        'kobe-20250114-AAPL-buy-ibsrsi-entry': rec('kobe-20250114-AAPL-buy-ibsrsi-entry', { status: 'REJECTED', reason: 'insufficient buying power' }),
        'kobe-20250114-MSFT-buy-ibsrsi-entry': rec('kobe-20250114-MSFT-buy-ibsrsi-entry', { status: 'REJECTED', reason: 'market closed', updated_at: '2025-01-14T21:00:00Z' }, 'MSFT'),
      },
    });
    const m = await only('order_rejected');
    expect(m.evidence).toEqual([
      `${ago(600)} AAPL kobe-20250114-AAPL-buy-ibsrsi-entry rejected: insufficient buying power`,
      '2025-01-14T21:00:00Z MSFT kobe-20250114-MSFT-buy-ibsrsi-entry REJECTED in the store: market closed',
    ]);
    expect(runs(m)).toContain('kobe orders --client-id kobe-20250114-AAPL-buy-ibsrsi-entry');
    expect(runs(m)).toEqual(expect.arrayContaining(['kobe orders --recent 20', 'kobe account', 'kobe market']));
  });

  it('data source failure: a symbol behind the last completed session, and a stopped prefetch', async () => {
    await healthy();
    await (await t.ctx.bars()).writeMany([{ series: series('MSFT', '2025-01-10'), meta: { source: 'import' } }]);
    events([{ level: 'error', ts: ago(60), event: 'data_prefetch_stopped', code: 'CONNECTIVITY', message: 'api.polygon.io unreachable' }]);
    const m = await only('data_source_failure');
    expect(m.evidence).toEqual([`${ago(60)} data prefetch stopped: CONNECTIVITY api.polygon.io unreachable`, '1 of 2 symbols have no bar for the last completed session 2025-01-14: MSFT (last 2025-01-10)']);
    expect(runs(m)).toContain('kobe data prefetch --universe data/universe/demo.csv');
    expect(runs(m).at(-1)).toBe('kobe kill on --reason "data source failure"');
  });

  it('high drawdown: beyond half of a K1 limit, not at it', async () => {
    await healthy();
    await publishTelemetry(logsState(), { nav: nav({ equity: 97_500, drawdown: 0.05, start_of_day: { date: '2025-01-14', equity: 100_000 } }) });
    expect((await diagnose()).r.matched).toBe(0);
    await publishTelemetry(logsState(), { nav: nav({ equity: 97_400, drawdown: 0.026, start_of_day: { date: '2025-01-14', equity: 100_000 } }) });
    const m = await only('high_drawdown');
    expect(m.evidence).toEqual(['daily loss 2.60% of start-of-day equity $100,000.00 > half the K1 daily limit (2.50%)']);
    await publishTelemetry(logsState(), { nav: nav({ equity: 94_000, peak: 100_000, drawdown: 0.06, start_of_day: { date: '2025-01-13', equity: 50_000 } }) });
    expect((await only('high_drawdown')).evidence).toEqual(['drawdown 6.00% from the peak $100,000.00 (equity $94,000.00) > half the K1 weekly limit (5.00%)']);
    expect(runs(m)).toEqual(expect.arrayContaining(['kobe positions', 'kobe kill on --reason "high drawdown"', 'kobe close-all --yes']));
  });

  it('duplicate orders: two live store records for one symbol, side and session; the later open one is cancelled', async () => {
    await healthy();
    await (await t.ctx.state()).write(IdempotencyFile, {
      version: 1,
      orders: {
        'kobe-20250114-AAPL-buy-ibsrsi-entry': rec('kobe-20250114-AAPL-buy-ibsrsi-entry', { status: 'FILLED', filled_qty: 10 }),
        'kobe-20250114-AAPL-buy-turtle-entry': rec('kobe-20250114-AAPL-buy-turtle-entry', { created_at: '2025-01-14T15:06:00Z' }),
        'kobe-20250114-AAPL-buy-x-entry': rec('kobe-20250114-AAPL-buy-x-entry', { status: 'CANCELED' }),
      },
    });
    const m = await only('duplicate_orders');
    expect(m.evidence).toEqual(['2 buy orders for AAPL on 2025-01-14: kobe-20250114-AAPL-buy-ibsrsi-entry (FILLED), kobe-20250114-AAPL-buy-turtle-entry (SUBMITTED)']);
    expect(runs(m)).toEqual([
      'kobe kill on --reason "duplicate orders"', 'kobe orders --recent 20', 'kobe orders cancel --client-id kobe-20250114-AAPL-buy-turtle-entry',
      'kobe reconcile', 'kobe reconcile --fix --yes', 'kobe kill off --yes --note "duplicates cancelled and reconciled"',
    ]);
  });

  it('positions stuck: held past the time stop', async () => {
    await healthy();
    await (await t.ctx.state()).write(PositionsFile, { version: 1, updated_at: null, applied_fills: [], positions: [pos({ symbol: 'AAPL', entry_date: '2025-01-07', time_stop_bars: 3 }), pos({ symbol: 'MSFT', entry_date: '2025-01-08', time_stop_bars: 3 })] });
    const m = await only('positions_stuck');
    expect(m.evidence).toEqual(['AAPL held 4 sessions since 2025-01-07, past its time stop of 3']);
    expect(runs(m)).toEqual(['kobe positions', 'kobe reconcile', 'kobe trade --once', 'kobe brain status', 'kobe brain stop', 'kobe brain start']);
  });

  it('NAV spikes: readings rejected in the last day', async () => {
    await healthy();
    const a = (ts: string, equity: number) => ({ ts, equity, previous: 100_000, reason: 'rise of 80.00% ($80,000.00) over trusted equity $100,000.00 exceeds nav_max_jump_pct 25.00%' });
    await publishTelemetry(logsState(), { nav: nav({ anomalies_rejected: [a(ago(2 * 86_400), 150_000)] }) });
    expect((await diagnose()).r.matched).toBe(0);
    await publishTelemetry(logsState(), { nav: nav({ anomalies_rejected: [a(ago(2 * 86_400), 150_000), a(ago(300), 180_000)] }) });
    const m = await only('nav_spikes');
    expect(m.evidence[0]).toMatch(/^1 equity reading\(s\) rejected as anomalies in the last 24 h; latest .*: \$180,000\.00 against trusted \$100,000\.00/);
    expect(runs(m)).toContain('kobe account');
  });

  it('stalled exits: a position without a stop', async () => {
    await healthy();
    await (await t.ctx.state()).write(PositionsFile, { version: 1, updated_at: null, applied_fills: [], positions: [pos({ symbol: 'AAPL', stop: null, time_stop_bars: null })] });
    const m = await only('stalled_exits');
    expect(m.evidence).toEqual(['1 position(s) without a stop: AAPL']);
    expect(runs(m)).toEqual(expect.arrayContaining(['kobe reconcile --fix --yes', 'kobe trade --once']));
  });

  it('stalled exits: no exit scan for 30 min of market hours, and underwater positions without a plan', async () => {
    await healthy(MARKET);
    await (await t.ctx.state()).write(PositionsFile, { version: 1, updated_at: null, applied_fills: [], positions: [pos({ symbol: 'AAPL' })] });
    const d = (scan: string | null, underwater = 0) => ({
      version: 1 as const, ts: ago(30), veto_counters: { today: {}, total: {} },
      exit_pipeline: { last_exit_scan_ts: scan, last_exit_trigger_ts: null, positions: 1, positions_without_stop: 0, positions_without_target: 1, underwater_without_exit_plan: underwater },
      liveness: { last_signal_ts: null, last_order_ts: null, last_exit_ts: null, idle_signals: false, idle_orders: false, idle_exits: false, details: {} },
    });
    await publishTelemetry(logsState(), { diagnostics: d(ago(1800)) });
    expect((await diagnose()).r.matched).toBe(0);
    await publishTelemetry(logsState(), { diagnostics: d(ago(1801), 1) });
    const m = await only('stalled_exits');
    expect(m.evidence).toEqual(['diagnostics: 1 underwater position(s) without an exit plan', `no exit scan in the last 30 min of market hours (last ${ago(1801)})`]);
  });

  it('screener -> risk -> router stall: idle liveness flags, or a veto-heavy day without orders', async () => {
    await healthy();
    const store = await t.ctx.state();
    await store.write(RiskVetoesFile, { version: 1, date: '2025-01-14', today: { max_open_positions: 3, daily_notional: 1 }, total: {} });
    expect((await diagnose()).r.matched).toBe(0);
    await store.write(RiskVetoesFile, { version: 1, date: '2025-01-14', today: { max_open_positions: 4, daily_notional: 1 }, total: {} });
    let m = await only('pipeline_stall');
    expect(m.evidence).toEqual(['5 risk vetoes today and no order; dominant: max_open_positions (4)']);
    expect(runs(m)).toEqual(expect.arrayContaining(['kobe scan', 'kobe budget']));
    await store.write(RiskVetoesFile, { version: 1, date: '2025-01-13', today: { max_open_positions: 9 }, total: {} });
    await publishTelemetry(logsState(), {
      diagnostics: {
        version: 1, ts: ago(30), veto_counters: { today: {}, total: {} },
        exit_pipeline: { last_exit_scan_ts: null, last_exit_trigger_ts: null, positions: 0, positions_without_stop: 0, positions_without_target: 0, underwater_without_exit_plan: 0 },
        liveness: { last_signal_ts: '2025-01-09T21:10:00.000Z', last_order_ts: null, last_exit_ts: null, idle_signals: true, idle_orders: true, idle_exits: false, details: { signal_idle_sessions: 3, order_idle_sessions: 4, unserved_picks: 2 } },
      },
    });
    m = await only('pipeline_stall');
    expect(m.evidence).toEqual(['no signal for 3 sessions (last 2025-01-09T21:10:00.000Z)', '2 pick(s) without an entry order for 4 sessions']);
  });

  it('telemetry corruption: a damaged telemetry file, then a corrupt state file (SEV-0, restore playbook)', async () => {
    await healthy();
    fs.mkdirSync(logsState(), { recursive: true });
    fs.writeFileSync(path.join(logsState(), 'diagnostics.json'), '{"version":1,');
    let m = await only('telemetry_corruption');
    expect(m.severity).toBe('SEV-1');
    expect(m.evidence).toEqual([expect.stringMatching(/^logs\/state\/diagnostics\.json: not valid JSON/)]);
    expect(runs(m)).toEqual(['kobe brain status', 'mv logs/state/diagnostics.json logs/state/diagnostics.json.corrupt', 'kobe diagnose']);
    fs.rmSync(path.join(logsState(), 'diagnostics.json'));
    fs.writeFileSync(t.ctx.paths.state('daily_budget.json'), '{"version":1,"date":null,"notional_used":-5,"entries":0}');
    m = await only('telemetry_corruption');
    expect(m).toMatchObject({ severity: 'SEV-0', evidence: [expect.stringMatching(/^state\/daily_budget\.json field notional_used: /)] });
    expect(runs(m).slice(0, 2)).toEqual(['kobe kill on --reason "state files corrupt"', 'kobe state check']);
  });

  it('broker unreachable: a broker that cannot be asked is evidence, not a crash', async () => {
    await healthy();
    const cfg = path.join(t.home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca'));
    const { r } = await diagnose(false);
    expect(r.matches.map((m) => m.id)).toEqual(['broker_unreachable']);
    expect(r.matches[0].evidence[0]).toMatch(/^the broker did not answer a list of orders: /);
  });

  it('--json: one document with ok:false, the matches and the error, exit 5; exit 0 and ok:true when clear', async () => {
    await healthy();
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const run = (args: string[]) => main(['diagnose', '--json', '--offline', '--home', t.home, ...args], { streams: { stdout, stderr }, env: { USER: 'tester' }, context: { clock: t.clock } });
    expect(await run([])).toBe(0);
    expect(JSON.parse(stdout.data)).toMatchObject({ ok: true, matched: 0, matches: [] });
    stdout.data = '';
    fs.rmSync(t.ctx.paths.state('heartbeat.json'));
    expect(await run([])).toBe(5);
    const doc = JSON.parse(stdout.data);
    expect(doc).toMatchObject({ ok: false, matched: 1, matches: [{ id: 'brain_down', steps: expect.any(Array) }], error: { code: 'CHECK_FAILED', hint: 'start with brain_down: kobe brain status' } });
  });

  it('the built binary: exit 5 on a new home, with the playbooks as commands on stdout', async () => {
    t = await testContext();
    const r = kobe(['diagnose', '--offline', '--home', t.home]);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/SEV-1 {2}Brain not running {2}\(brain_down\)/);
    expect(r.stdout).toMatch(/\d\. kobe brain start +# restart/);
    expect(r.stderr).toMatch(/^error: \d playbook\(s\) match: .*brain_down/m);
  });
});
