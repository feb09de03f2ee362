import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseBudgetRecord, parseBudgetReset, renderBudget, runBudget, runBudgetRecord, runBudgetReset } from '../../src/commands/budget.js';
import { ExitCode, SafetyRefusal, UsageError } from '../../src/core/errors.js';
import { DailyBudgetFile, WeeklyBudgetFile } from '../../src/core/state/schemas.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
let server: http.Server | undefined;
afterEach(async () => {
  t?.cleanup();
  if (server) {
    server.closeAllConnections();
    await new Promise((r) => server!.close(r));
    server = undefined;
  }
});

const chainPayloads = (tc: TestContext) => fs.readFileSync(tc.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);

function useAlpaca(tc: TestContext, baseUrl: string, timeoutMs: number): void {
  const file = tc.ctx.paths.config;
  const yaml = fs.readFileSync(file, 'utf8')
    .replace(/name: sim\b/, 'name: alpaca')
    .replace(/timeout_ms: 10000/, `timeout_ms: ${timeoutMs}`)
    .replace(/base_url: https:\/\/paper-api\.alpaca\.markets/, `base_url: ${baseUrl}`);
  fs.writeFileSync(file, yaml);
}

describe('kobe budget', () => {
  it('shows LLM use, daily notional and weekly headroom from the sim account', async () => {
    t = await testContext();
    const store = await t.ctx.state();
    await store.write(DailyBudgetFile, { version: 1, date: '2025-01-14', notional_used: 5_000, entries: 1 });
    await store.write(WeeklyBudgetFile, { version: 1, week_start: '2025-01-13', new_exposure: 7_500, entries_by_day: { '2025-01-13': 1, '2025-01-14': 1 } });
    await runBudgetRecord(t.ctx, { tokens: 20_000, model: 'gpt-4o', cost: 30 });
    const r = await runBudget(t.ctx);
    expect(r.llm).toMatchObject({ date: '2025-01-14', tokens: 20_000, tokens_remaining: 80_000, tokens_pct_remaining: 80, cost_usd: 30, usd_remaining: 20, over_alert: true, exhausted: false });
    expect(r.daily_notional).toMatchObject({ used: 5_000, limit: 25_000, remaining: 20_000, pct_remaining: 80, entries: 1, max_entries: 2 });
    expect(r.weekly_exposure).toMatchObject({ week_start: '2025-01-13', new_exposure: 7_500, equity: 100_000, equity_unknown: null, new_daily_limit: 20_000, new_daily_headroom: 15_000, concurrent: 0, concurrent_headroom: 40_000 });
    renderBudget(t.ctx.out, r);
    expect(t.stdout.data).toMatch(/80,000 left \(80% remaining\)/);
    expect(t.stdout.data).toMatch(/new today {2}\$5,000\.00 of \$20,000\.00 \(20%\), headroom \$15,000\.00/);
    expect(t.stderr.data).toMatch(/warning: LLM spend \$30\.00 is over the alert level \$25\.00/);
  });

  it('a day-old ledger counts as zero after midnight ET', async () => {
    t = await testContext();
    t.clock.set('2025-01-15T04:30:00Z'); // 23:30 ET on the 14th
    await runBudgetRecord(t.ctx, { tokens: 99_000, model: 'gpt-4o', cost: 1 });
    expect((await runBudget(t.ctx)).llm.tokens_remaining).toBe(1_000);
    t.clock.set('2025-01-15T05:00:00Z');
    const r = await runBudget(t.ctx);
    expect(r.llm).toMatchObject({ date: '2025-01-15', tokens: 0, tokens_remaining: 100_000 });
  });

  it('still prints when the broker hangs: equity unknown, within broker.timeout_ms', async () => {
    t = await testContext({ env: { ALPACA_API_KEY_ID: 'k', ALPACA_API_SECRET_KEY: 's' } });
    server = http.createServer(() => undefined); // accepts, never answers
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    useAlpaca(t, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, 300);
    const started = Date.now();
    const r = await runBudget(t.ctx);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(r.weekly_exposure.equity).toBeNull();
    expect(r.weekly_exposure.new_daily_headroom).toBeNull();
    expect(r.weekly_exposure.equity_unknown).toMatch(/could not be reached/);
    renderBudget(t.ctx.out, r);
    expect(t.stdout.data).toMatch(/equity unknown/);
    expect(t.stdout.data).toMatch(/tokens {4}0 of 100,000 used/);
  });

  it('without broker keys it says equity unknown and why', async () => {
    t = await testContext();
    useAlpaca(t, 'https://paper-api.alpaca.markets', 10_000);
    const r = await runBudget(t.ctx);
    expect(r.weekly_exposure.equity_unknown).toMatch(/ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY are not set/);
  });
});

describe('kobe budget record / reset', () => {
  it('validates flags', () => {
    expect(parseBudgetRecord({ tokens: '1200', model: ' gpt-4o ', cost: '0.5' })).toEqual({ tokens: 1200, model: 'gpt-4o', cost: 0.5 });
    expect(() => parseBudgetRecord({ tokens: '12.5', model: 'gpt-4o' })).toThrow(UsageError);
    expect(() => parseBudgetRecord({ tokens: '-3', model: 'gpt-4o' })).toThrow(/--tokens/);
    expect(() => parseBudgetRecord({ tokens: '3', model: '  ' })).toThrow(/--model/);
    expect(() => parseBudgetRecord({ tokens: '3', model: 'm', cost: 'abc' })).toThrow(/--cost/);
    expect(() => parseBudgetReset({ yes: true })).toThrow(/--llm/);
  });

  it('an unknown model without --cost is a usage error (exit 2) and records nothing', async () => {
    t = await testContext();
    const err = await runBudgetRecord(t.ctx, { tokens: 10, model: 'mystery-1' }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.exitCode).toBe(ExitCode.USAGE);
    expect((await runBudget(t.ctx)).llm.calls).toBe(0);
  });

  it('reset needs --yes off a terminal (exit 6); with it, zeroes the day and writes budget_reset naming who', async () => {
    t = await testContext();
    await runBudgetRecord(t.ctx, { tokens: 5_000, model: 'claude-3-5-haiku' });
    const err = await runBudgetReset(t.ctx, { llm: true, yes: false }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(ExitCode.REFUSED);
    expect((await runBudget(t.ctx)).llm.tokens).toBe(5_000);
    const r = await runBudgetReset(t.ctx, { llm: true, yes: true });
    expect(r.previous).toEqual({ date: '2025-01-14', tokens: 5_000, cost_usd: 0.02, calls: 1 });
    expect((await runBudget(t.ctx)).llm.tokens).toBe(0);
    expect(chainPayloads(t).at(-1)).toMatchObject({ type: 'budget_reset', budget: 'llm', by: 'tester', previous: { tokens: 5_000 } });
  });
});
