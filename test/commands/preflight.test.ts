// Preflight: a seeded sim home is GO in paper mode; every check fails on its own with the fault
// that breaks it; a throwing or hanging check is a fail row; the result is stored for the live gate.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { runDataSeed } from '../../src/commands/data/seed.js';
import { runKillOn } from '../../src/commands/kill/on.js';
import { runPreflight } from '../../src/commands/preflight.js';
import { CheckFailed } from '../../src/core/errors.js';
import { CHECKS, type PreflightInput } from '../../src/core/preflight/checks.js';
import type { PreflightCheck } from '../../src/core/preflight/run.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { LastPreflightFile, LastReconcileFile } from '../../src/core/state/schemas.js';
import { loadUniverse } from '../../src/core/data/universe.js';
import { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import { MemoryStream, testContext, type TestContext } from '../helpers/context.js';
import { createContext } from '../../src/cli/context.js';

let t: TestContext;
let server: FakeAlpacaServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  t?.cleanup();
});

// Tuesday 2025-06-03 09:00 ET: a weekday, before the open; the last completed session is 06-02.
const AT = '2025-06-03T13:00:00Z';
type Result = Awaited<ReturnType<typeof runPreflight>>;
const rowsOf = async (tc: TestContext, o: Parameters<typeof runPreflight>[1] = { timeoutMs: 5000 }, checks?: Array<PreflightCheck<PreflightInput>>): Promise<Result> =>
  runPreflight(tc.ctx, o, checks).catch((e) => (e instanceof CheckFailed ? (e.result as Result) : Promise.reject(e)));
const row = (r: Result, name: string) => r.rows.find((x) => x.name === name)!;
// A new context on the same home and clock: a context reads config and secrets once.
const reopened = async (tc: TestContext): Promise<TestContext> => ({ ...tc, ctx: await createContext({ home: tc.home, json: true, clock: tc.clock, env: { USER: 'tester' }, streams: { stdout: new MemoryStream(), stderr: new MemoryStream() } }) });

async function seeded(): Promise<TestContext> {
  const tc = await testContext({ clock: new FakeClock(AT) });
  await runDataSeed(tc.ctx, { symbols: 20, years: 2, seed: 3, withFaults: false });
  await (await tc.ctx.state()).write(LastReconcileFile, { version: 1, ts: '2025-06-03T12:30:00.000Z', clean: true, broker: 'sim', discrepancies: [], mismatch_notional: 0, fixed: false });
  return tc;
}

function useAlpaca(tc: TestContext, baseUrl: string, keys: boolean): void {
  const cfg = path.join(tc.home, 'config', 'base.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca').replace('base_url: https://paper-api.alpaca.markets', `base_url: ${baseUrl}`).replace('data_url: https://data.alpaca.markets', `data_url: ${baseUrl}`));
  fs.writeFileSync(path.join(tc.home, '.env'), keys ? `ALPACA_API_KEY_ID=${server!.keyId}\nALPACA_API_SECRET_KEY=${server!.secret}\n` : '', { mode: 0o600 });
}

describe('kobe preflight', () => {
  it('a freshly seeded sim home is GO in paper mode, and the result is stored', async () => {
    t = await seeded();
    const r = await rowsOf(t);
    expect(r.rows.filter((x) => x.status === 'fail')).toEqual([]);
    expect(r.go).toBe(true);
    expect(r.rows.map((x) => x.name)).toEqual(CHECKS.map((c) => c.name));
    expect((await t.ctx.state()).read(LastPreflightFile)).toMatchObject({ mode: 'paper', go: true, ts: new Date(AT).toISOString() });
  });

  it('--mode live on it is NO-GO (exit 5) naming the mode mismatch and every missing live gate', async () => {
    t = await seeded();
    const err = await runPreflight(t.ctx, { mode: 'live', timeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.exitCode).toBe(5);
    const r = err.result as Result;
    expect(row(r, 'mode_match').status).toBe('fail');
    expect(row(r, 'live_gates')).toMatchObject({ status: 'fail', blocking: true });
    expect(row(r, 'live_gates').detail).toBe('missing live gates: mode_live, env_live_enabled, live_approval, live_host');
    expect((await t.ctx.state()).read(LastPreflightFile)).toMatchObject({ mode: 'live', go: false });
  });

  const BREAKS: Array<[string, string, (tc: TestContext) => Promise<unknown>]> = [
    ['kill switch on', 'kill_switch', async (tc: TestContext) => void (await runKillOn(tc.ctx, { reason: 'test', mode: 'halt' }))],
    ['broken chain', 'audit_chain', async (tc: TestContext) => {
      const f = tc.ctx.paths.chain;
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"type":"', '"type":"x'));
    }],
    ['dirty reconcile', 'reconcile', async (tc: TestContext) => (await tc.ctx.state()).write(LastReconcileFile, { version: 1, ts: '2025-06-03T12:30:00.000Z', clean: false, broker: 'sim', discrepancies: [{ type: 'QUANTITY_MISMATCH', symbol: 'X', severity: 'critical', detail: 'd', action: 'a', notional: 10 }], mismatch_notional: 10, fixed: false })],
    ['pin mismatch', 'params_pin', async (tc: TestContext) => {
      const f = tc.ctx.paths.frozenParams;
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"rsi_entry": 5.0', '"rsi_entry": 6.0'));
    }],
    // The config says paper; asking for live is the mismatch (the live gates fail with it).
    ['mode mismatch', 'mode_match', async () => undefined],
    ['stale data', 'data_fresh', async (tc: TestContext) => tc.clock.set('2025-06-10T13:00:00Z')],
    ['invalid state file', 'state_files', async (tc: TestContext) => fs.writeFileSync(tc.ctx.paths.state('positions.json'), '{"version":1,"positions":"none"}')],
    ['.env readable by others', 'env_permissions', async (tc: TestContext) => fs.chmodSync(tc.ctx.paths.env, 0o644)],
  ];
  it.each(BREAKS)('%s fails the %s row, and only the rows it breaks', async (_what, name, breakIt) => {
    t = await seeded();
    const before = await rowsOf(t);
    await breakIt(t);
    const r = await rowsOf(await reopened(t), { mode: name === 'mode_match' ? 'live' : 'paper', timeoutMs: 5000 });
    expect(row(r, name).status).toBe('fail');
    expect(row(r, name).hint).not.toBe('');
    const newlyFailed = r.rows.filter((x) => x.status === 'fail' && row(before, x.name).status !== 'fail').map((x) => x.name);
    expect(newlyFailed).toContain(name);
    // A week later the reconcile is stale too; with a pin mismatch the config does not load, so no
    // broker can be built either.
    const alsoExpected: Record<string, string[]> = { data_fresh: ['reconcile'], params_pin: ['broker_account', 'broker_clock', 'broker_calendar', 'open_orders'], mode_match: ['live_gates'] };
    expect(newlyFailed.filter((n) => n !== name && !(alsoExpected[name] ?? []).includes(n))).toEqual([]);
  });

  it('missing keys and an unreachable broker (the fake Alpaca server stopped) fail their rows; exit 5', async () => {
    t = await seeded();
    server = await new FakeAlpacaServer({ now: () => new Date(AT) }).start();
    useAlpaca(t, server.baseUrl, false);
    const noKeys = await rowsOf(t);
    expect(row(noKeys, 'keys_present')).toMatchObject({ status: 'fail', blocking: true });
    expect(row(noKeys, 'keys_present').detail).toMatch(/ALPACA_API_KEY_ID, ALPACA_API_SECRET_KEY/);
    expect(noKeys.go).toBe(false);
    useAlpaca(t, server.baseUrl, true);
    await server.stop();
    server = undefined;
    const err = await runPreflight((await reopened(t)).ctx, { timeoutMs: 5000 }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    const down = err.result as Result;
    expect(row(down, 'keys_present').status).toBe('ok');
    expect(row(down, 'broker_account')).toMatchObject({ status: 'fail', blocking: true });
    expect(row(down, 'broker_account').detail).toMatch(/unreachable|ECONNREFUSED|connect/i);
  });

  it('a wide clock skew with the broker fails broker_clock', async () => {
    t = await seeded();
    server = await new FakeAlpacaServer({ now: () => new Date(Date.now() + 10_000) }).start();
    useAlpaca(t, server.baseUrl, true);
    const r = await rowsOf(t);
    expect(row(r, 'broker_clock').status).toBe('fail');
    const skew = Number(/clock skew (\d+\.\d) s/.exec(row(r, 'broker_clock').detail)![1]);
    expect(skew).toBeGreaterThan(5);
  });

  // Wednesday 2025-07-02 11:00 ET: market hours; 07-03 closes early (13:00), 07-04 is a holiday.
  const OPEN = '2025-07-02T15:00:00Z';
  async function alpacaAt(at: string): Promise<{ tc: TestContext; s: FakeAlpacaServer; symbol: string }> {
    const tc = await seeded();
    tc.clock.set(at);
    const s = (server = await new FakeAlpacaServer({ now: () => tc.clock.now() }).start());
    useAlpaca(tc, s.baseUrl, true);
    const c = (await tc.ctx.config()).config;
    return { tc, s, symbol: loadUniverse(path.join(tc.home, c.data.universe)).symbols[0] };
  }

  it('quotes: a fresh quote for the first universe symbol is ok; a stale one fails naming its age; none fails', async () => {
    const { tc, s, symbol } = await alpacaAt(OPEN);
    t = tc;
    s.setQuote(symbol, { bid: 49.9, ask: 50.1, ts: new Date(Date.parse(OPEN) - 4_000) });
    expect(row(await rowsOf(t, { mode: 'paper', timeoutMs: 5000 }), 'quotes')).toMatchObject({ status: 'ok', detail: `${symbol} 49.9/50.1 from Alpaca market data, feed iex, 4 s old (limit 60 s)` });
    s.setQuote(symbol, { bid: 49.9, ask: 50.1, ts: new Date(Date.parse(OPEN) - 600_000) });
    const stale = row(await rowsOf(await reopened(t)), 'quotes');
    expect(stale).toMatchObject({ status: 'fail', blocking: true });
    expect(stale.detail).toMatch(new RegExp(`^${symbol} quote from Alpaca market data, feed iex is 600 s old \\(observed 2025-07-02T14:50:00.000Z; limit trading.max_quote_age_s 60 s\\)$`));
    s.setQuote(symbol, { bid: 0, ask: 50.1 });
    expect(row(await rowsOf(await reopened(t)), 'quotes')).toMatchObject({ status: 'fail', detail: `no quote for ${symbol} from Alpaca market data, feed iex` });
  });

  it('quotes: outside market hours the row is skipped with the reason, and nothing is asked', async () => {
    const { tc, s } = await alpacaAt('2025-07-02T21:00:00Z');
    t = tc;
    expect(row(await rowsOf(t), 'quotes')).toMatchObject({ status: 'skip', detail: 'market closed at 2025-07-02 17:00:00 ET (session 09:30-16:00 ET); quotes are checked during market hours' });
    t.clock.set('2025-07-04T15:00:00Z');
    expect(row(await rowsOf(await reopened(t)), 'quotes').detail).toMatch(/^market closed \(2025-07-04 is not a session: Independence Day\)/);
    expect(s.requests.filter((r) => r.path === '/v2/stocks/quotes/latest')).toEqual([]);
  });

  it('quotes: the sim broker is checked on its own quote the same way (fresh on a seeded day, stale without the day\'s bar)', async () => {
    t = await seeded();
    // The seed runs through today: today's bar is the sim's market, so its quote is fresh.
    t.clock.set('2025-06-03T15:00:00Z');
    expect(row(await rowsOf(t), 'quotes')).toMatchObject({ status: 'ok' });
    // A session the store has no bar for: the last close, stamped at that close, is stale.
    t.clock.set('2025-06-04T15:00:00Z');
    const r = row(await rowsOf(t), 'quotes');
    expect(r).toMatchObject({ status: 'fail', blocking: true });
    expect(r.detail).toMatch(/quote from the sim's quotes is \d+ s old \(observed 2025-06-03T20:00:00.000Z; limit trading.max_quote_age_s 60 s\)/);
  });

  it('broker_calendar: agreement is ok; a changed close, a missing session or a different next close fails naming both values', async () => {
    const { tc, s } = await alpacaAt(OPEN);
    t = tc;
    expect(row(await rowsOf(t), 'broker_calendar')).toMatchObject({ status: 'ok', detail: '6 sessions 2025-07-02..2025-07-10, next open and next close agree with kobe\'s calendar' });
    s.calendarOverride('2025-07-03', { open: '09:30', close: '16:00' }).calendarOverride('2025-07-07', null);
    const r = row(await rowsOf(await reopened(t)), 'broker_calendar');
    expect(r).toMatchObject({ status: 'fail', blocking: true });
    expect(r.detail).toBe('calendar disagreement: 2025-07-03 close: broker 16:00, kobe 13:00; 2025-07-07: broker has no session, kobe 09:30-16:00');
    s.calendarOverride('2025-07-03', { open: '09:30', close: '13:00' }).calendarOverride('2025-07-07', { open: '09:30', close: '16:00' });
    s.clockOverride({ next_close: '2025-07-02T13:00:00-04:00' });
    expect(row(await rowsOf(await reopened(t)), 'broker_calendar').detail).toBe('calendar disagreement: next_close: broker 2025-07-02 13:00 ET, kobe 2025-07-02 16:00 ET');
  });

  it('broker_calendar: the sim broker agrees (its calendar is kobe\'s)', async () => {
    t = await seeded();
    expect(row(await rowsOf(t), 'broker_calendar')).toMatchObject({ status: 'ok' });
  });

  it('a check that throws is a fail row; a check that hangs fails at its timeout; nothing crashes', async () => {
    t = await seeded();
    const throws: PreflightCheck<PreflightInput> = { name: 'throws', blocking: true, hint: 'h', run: async () => { throw new Error('boom'); } };
    const hangs: PreflightCheck<PreflightInput> = { name: 'hangs', blocking: false, hint: 'h', timeoutMs: 150, run: () => new Promise(() => undefined) };
    const r = await rowsOf(t, { timeoutMs: 5000 }, [...CHECKS, throws, hangs]);
    expect(row(r, 'throws')).toMatchObject({ status: 'fail', detail: 'check failed: boom', blocking: true });
    expect(row(r, 'hangs')).toMatchObject({ status: 'fail', detail: 'timed out after 150 ms', blocking: false });
    expect(r.go).toBe(false);
  });
});
