import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { withinDeadline, brokerSnapshot } from '../../../src/core/budget/broker-probe.js';
import { llmBudgetAllows, llmBudgetStatus, llmUsageToday, modelPrice, recordLlmUsage, resetLlmUsage } from '../../../src/core/budget/llm.js';
import { weekStartOf } from '../../../src/core/budget/trading.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import { UsageError } from '../../../src/core/errors.js';
import type { Broker } from '../../../src/core/ports/broker.js';
import { LlmUsageFile } from '../../../src/core/state/schemas.js';
import { StateStore } from '../../../src/core/state/store.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

const config = ConfigSchema.parse({ strategy: { params_sha256: 'a'.repeat(64) }, budgets: { llm_tokens_per_day: 1000, llm_usd_per_day: 2, llm_alert_usd: 1 } });
let h: TempHome;
afterEach(() => h?.cleanup());

describe('LLM ledger', () => {
  it('a new ET date starts a fresh day: 23:59 ET still counts, 00:00 ET is zero', async () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    // 2025-01-14 23:59 EST = 2025-01-15T04:59Z; midnight ET = 05:00Z.
    await recordLlmUsage(store, new Date('2025-01-14T20:00:00Z'), { tokens: 600, model: 'gpt-4o', costUsd: 0.5 });
    const late = llmUsageToday(store, new Date('2025-01-15T04:59:59Z'));
    expect(late).toEqual({ date: '2025-01-14', tokens: 600, cost_usd: 0.5, calls: 1 });
    expect(llmBudgetAllows(store, config, new Date('2025-01-15T04:59:59Z'), 500).allowed).toBe(false);
    const next = llmUsageToday(store, new Date('2025-01-15T05:00:00Z'));
    expect(next).toEqual({ date: '2025-01-15', tokens: 0, cost_usd: 0, calls: 0 });
    expect(llmBudgetAllows(store, config, new Date('2025-01-15T05:00:00Z'), 500)).toEqual({ allowed: true, tokens_remaining: 1000, usd_remaining: 2, reason: null });
    // The first record of the new day replaces yesterday's totals instead of adding to them.
    const r = await recordLlmUsage(store, new Date('2025-01-15T05:00:01Z'), { tokens: 10, model: 'gpt-4o', costUsd: 0.01 });
    expect(r.usage).toEqual({ date: '2025-01-15', tokens: 10, cost_usd: 0.01, calls: 1 });
    expect(store.read(LlmUsageFile)).toMatchObject({ date: '2025-01-15', tokens: 10, calls: 1 });
  });

  it('summer time: the day still turns at midnight ET (04:00Z in EDT)', async () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    await recordLlmUsage(store, new Date('2025-07-01T03:59:00Z'), { tokens: 5, model: 'gpt-4o', costUsd: 0 });
    expect(llmUsageToday(store, new Date('2025-07-01T03:59:59Z')).tokens).toBe(5);
    expect(llmUsageToday(store, new Date('2025-07-01T04:00:00Z')).tokens).toBe(0);
  });

  it('prices from the table by longest prefix; unknown model without a cost is a usage error', async () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    expect(modelPrice('gpt-4o-mini-2024-07-18')).toBe(0.6);
    expect(modelPrice('gpt-4o-2024-08-06')).toBe(10);
    expect(modelPrice('claude-sonnet-4-20250514')).toBe(15);
    expect(modelPrice('llama-3')).toBeNull();
    const r = await recordLlmUsage(store, new Date('2025-01-14T15:00:00Z'), { tokens: 100_000, model: 'claude-3-5-haiku-latest' });
    expect(r).toMatchObject({ cost_usd: 0.4, priced_by: 'table' });
    await expect(recordLlmUsage(store, new Date('2025-01-14T15:00:00Z'), { tokens: 1, model: 'llama-3' })).rejects.toThrow(UsageError);
    await expect(recordLlmUsage(store, new Date('2025-01-14T15:00:00Z'), { tokens: -1, model: 'gpt-4o', costUsd: 1 })).rejects.toThrow(/non-negative integer/);
    await expect(recordLlmUsage(store, new Date('2025-01-14T15:00:00Z'), { tokens: 1, model: 'gpt-4o', costUsd: Number.NaN })).rejects.toThrow(/--cost/);
    expect(store.read(LlmUsageFile)).toMatchObject({ tokens: 100_000, cost_usd: 0.4, calls: 1 });
  });

  it('refuses over budget: tokens beyond what is left, or the dollar limit reached', async () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    const now = new Date('2025-01-14T15:00:00Z');
    await recordLlmUsage(store, now, { tokens: 900, model: 'x', costUsd: 0.2 });
    expect(llmBudgetAllows(store, config, now, 100)).toMatchObject({ allowed: true, tokens_remaining: 100 });
    const over = llmBudgetAllows(store, config, now, 101);
    expect(over).toMatchObject({ allowed: false, tokens_remaining: 100 });
    expect(over.reason).toMatch(/101 tokens requested, 100 of 1000 left/);
    await recordLlmUsage(store, now, { tokens: 0, model: 'x', costUsd: 1.8 });
    const broke = llmBudgetAllows(store, config, now, 1);
    expect(broke.allowed).toBe(false);
    expect(broke.reason).toMatch(/\$2\.00 reached the \$2\.00 limit/);
    const s = llmBudgetStatus(llmUsageToday(store, now), config);
    expect(s).toMatchObject({ over_alert: true, exhausted: true, usd_remaining: 0, usd_pct_remaining: 0, tokens_pct_remaining: 10 });
  });

  it('fails closed when the ledger is unreadable, and never overwrites it', () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    fs.writeFileSync(store.file(LlmUsageFile), '{"version":1,"tokens":"lots"}');
    const r = llmBudgetAllows(store, config, new Date('2025-01-14T15:00:00Z'), 1);
    expect(r.allowed).toBe(false);
    expect(r.reason).toMatch(/LLM ledger unreadable/);
    expect(fs.readFileSync(store.file(LlmUsageFile), 'utf8')).toBe('{"version":1,"tokens":"lots"}');
  });

  it('reset zeroes today and reports what it held', async () => {
    h = tempStateHome();
    const store = new StateStore(h.paths);
    const now = new Date('2025-01-14T15:00:00Z');
    await recordLlmUsage(store, now, { tokens: 700, model: 'x', costUsd: 1.5 });
    expect(await resetLlmUsage(store, now)).toEqual({ date: '2025-01-14', tokens: 700, cost_usd: 1.5, calls: 1 });
    expect(llmUsageToday(store, now)).toEqual({ date: '2025-01-14', tokens: 0, cost_usd: 0, calls: 0 });
  });
});

describe('trading budgets and the broker deadline', () => {
  it('weeks start on Monday', () => {
    expect(weekStartOf('2025-01-14')).toBe('2025-01-13');
    expect(weekStartOf('2025-01-13')).toBe('2025-01-13');
    expect(weekStartOf('2025-01-19')).toBe('2025-01-13');
  });

  it('stops waiting at the deadline and reports why; errors become reasons too', async () => {
    const started = Date.now();
    const r = await withinDeadline(() => new Promise<number>(() => undefined), 80, 'the broker');
    expect(r).toEqual({ ok: false, error: 'the broker could not be reached within 80 ms (no answer)' });
    expect(Date.now() - started).toBeLessThan(2_000);
    const hanging = { name: 'sim', account: () => new Promise(() => undefined), positions: async () => [] } as unknown as Broker;
    expect(await brokerSnapshot(async () => hanging, 50)).toMatchObject({ ok: false });
    const failing = await brokerSnapshot(async () => { throw new Error('401 unauthorized'); }, 1_000);
    expect(failing).toEqual({ ok: false, error: 'the broker could not be reached: 401 unauthorized' });
  });

  it('sums concurrent exposure from broker positions', async () => {
    const b = {
      name: 'sim',
      account: async () => ({ equity: 50_000 }),
      positions: async () => [
        { symbol: 'A', qty: 10, avg_entry_price: 100, current_price: 110, market_value: 1100, unrealized_pl: 100 },
        { symbol: 'B', qty: 5, avg_entry_price: 20, current_price: null, market_value: null, unrealized_pl: null },
      ],
    } as unknown as Broker;
    const r = await brokerSnapshot(async () => b, 1_000);
    expect(r).toMatchObject({ ok: true, value: { broker: 'sim', equity: 50_000, concurrent_exposure: 1200 } });
  });
});
