// The LLM usage ledger (SPEC section 11): tokens and dollars per ET day in state/llm_token_usage.json.
// A ledger dated before today's ET date counts as zero, so the day resets at midnight ET without a
// writer having to run then. Anything that calls a model asks llmBudgetAllows first.
import type { KobeConfig } from '../config/schema.js';
import { UsageError, errorText } from '../errors.js';
import { etDate } from '../market/time.js';
import { LlmUsageFile } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';

/**
 * USD per million tokens by model-name prefix (longest prefix wins, so dated ids such as
 * claude-sonnet-4-20250514 match). `--tokens` is a single total, so each model is charged at its
 * output rate: that overestimates mixed calls, which is the safe direction for a spending cap.
 */
export const MODEL_PRICES_USD_PER_MTOK: Readonly<Record<string, number>> = {
  'claude-opus-4': 75,
  'claude-sonnet-4': 15,
  'claude-3-7-sonnet': 15,
  'claude-3-5-sonnet': 15,
  'claude-3-5-haiku': 4,
  'claude-3-haiku': 1.25,
  'gpt-4o-mini': 0.6,
  'gpt-4o': 10,
  'gpt-4.1-mini': 1.6,
  'gpt-4.1': 8,
};

/** Today's usage (zero when the ledger is from an earlier ET day). */
export interface LlmUsage {
  date: string;
  tokens: number;
  cost_usd: number;
  calls: number;
}

/** Usage against the configured limits. */
export interface LlmBudgetStatus extends LlmUsage {
  tokens_limit: number;
  tokens_remaining: number;
  tokens_pct_remaining: number;
  usd_limit: number;
  usd_remaining: number;
  usd_pct_remaining: number;
  alert_usd: number;
  over_alert: boolean;
  exhausted: boolean;
}

/** The answer to "may I call a model with this many tokens now?". */
export interface LlmAllowance {
  allowed: boolean;
  tokens_remaining: number;
  usd_remaining: number;
  reason: string | null;
}

const round6 = (x: number) => Math.round(x * 1e6) / 1e6;
const pct = (left: number, limit: number) => Math.round((Math.max(0, left) / limit) * 1000) / 10;

/** Price per million tokens of a model, or null when the table does not know it. */
export function modelPrice(model: string): number | null {
  const m = model.trim().toLowerCase();
  const key = Object.keys(MODEL_PRICES_USD_PER_MTOK)
    .filter((k) => m === k || m.startsWith(`${k}-`) || m.startsWith(`${k}@`))
    .sort((a, b) => b.length - a.length)[0];
  return key === undefined ? null : MODEL_PRICES_USD_PER_MTOK[key];
}

/** Today's usage from the ledger. Throws StateError when the ledger is unreadable. */
export function llmUsageToday(store: StateStore, now: Date): LlmUsage {
  const today = etDate(now);
  const f = store.read(LlmUsageFile);
  return f.date === today ? { date: today, tokens: f.tokens, cost_usd: f.cost_usd, calls: f.calls } : { date: today, tokens: 0, cost_usd: 0, calls: 0 };
}

/** Usage measured against config budgets.*. */
export function llmBudgetStatus(u: LlmUsage, config: KobeConfig): LlmBudgetStatus {
  const b = config.budgets;
  const tokensLeft = Math.max(0, b.llm_tokens_per_day - u.tokens);
  const usdLeft = round6(Math.max(0, b.llm_usd_per_day - u.cost_usd));
  return {
    ...u,
    tokens_limit: b.llm_tokens_per_day,
    tokens_remaining: tokensLeft,
    tokens_pct_remaining: pct(tokensLeft, b.llm_tokens_per_day),
    usd_limit: b.llm_usd_per_day,
    usd_remaining: usdLeft,
    usd_pct_remaining: pct(usdLeft, b.llm_usd_per_day),
    alert_usd: b.llm_alert_usd,
    over_alert: u.cost_usd >= b.llm_alert_usd,
    exhausted: tokensLeft <= 0 || usdLeft <= 0,
  };
}

/**
 * Ask before calling a model. Fails closed: an unreadable ledger answers "not allowed" (with the
 * reason) instead of throwing, so a caller skips the call rather than crashing or spending blind.
 */
export function llmBudgetAllows(store: StateStore, config: KobeConfig, now: Date, tokens: number): LlmAllowance {
  if (!Number.isInteger(tokens) || tokens < 0) throw new UsageError(`tokens must be a non-negative integer, got ${tokens}`);
  let s: LlmBudgetStatus;
  try {
    s = llmBudgetStatus(llmUsageToday(store, now), config);
  } catch (err) {
    return { allowed: false, tokens_remaining: 0, usd_remaining: 0, reason: `LLM ledger unreadable: ${errorText(err)}` };
  }
  const base = { tokens_remaining: s.tokens_remaining, usd_remaining: s.usd_remaining };
  if (s.usd_remaining <= 0) return { ...base, allowed: false, reason: `daily LLM spend $${s.cost_usd.toFixed(2)} reached the $${s.usd_limit.toFixed(2)} limit` };
  if (s.tokens_remaining <= 0 || tokens > s.tokens_remaining) return { ...base, allowed: false, reason: `${tokens} tokens requested, ${s.tokens_remaining} of ${s.tokens_limit} left today` };
  return { ...base, allowed: true, reason: null };
}

/** What an integration reports after a model call. */
export interface LlmCall {
  tokens: number;
  model: string;
  /** USD actually charged; computed from MODEL_PRICES_USD_PER_MTOK when absent. */
  costUsd?: number;
}

/** Add a call to today's ledger (rolling over to a fresh day at midnight ET); returns the new usage. */
export async function recordLlmUsage(store: StateStore, now: Date, call: LlmCall): Promise<{ usage: LlmUsage; cost_usd: number; priced_by: 'caller' | 'table' }> {
  if (!Number.isInteger(call.tokens) || call.tokens < 0) throw new UsageError(`--tokens must be a non-negative integer, got ${call.tokens}`);
  if (!call.model.trim()) throw new UsageError('--model must not be empty');
  let cost = call.costUsd;
  if (cost !== undefined && !(Number.isFinite(cost) && cost >= 0)) throw new UsageError(`--cost must be a non-negative number of USD, got ${cost}`);
  const pricedBy = cost === undefined ? 'table' : 'caller';
  if (cost === undefined) {
    const price = modelPrice(call.model);
    if (price === null) throw new UsageError(`no price known for model "${call.model}"`, { hint: `pass --cost USD, or use one of: ${Object.keys(MODEL_PRICES_USD_PER_MTOK).join(', ')}` });
    cost = (call.tokens / 1e6) * price;
  }
  const today = etDate(now);
  const add = round6(cost);
  const f = await store.update(LlmUsageFile, (u) => {
    const base = u.date === today ? u : { version: 1 as const, date: today, tokens: 0, cost_usd: 0, calls: 0 };
    return { ...base, tokens: base.tokens + call.tokens, cost_usd: round6(base.cost_usd + add), calls: base.calls + 1 };
  });
  return { usage: { date: today, tokens: f.tokens, cost_usd: f.cost_usd, calls: f.calls }, cost_usd: add, priced_by: pricedBy };
}

/** Zero today's ledger; returns what it held before. */
export async function resetLlmUsage(store: StateStore, now: Date): Promise<LlmUsage> {
  const today = etDate(now);
  let previous: LlmUsage = { date: today, tokens: 0, cost_usd: 0, calls: 0 };
  await store.update(LlmUsageFile, (u) => {
    if (u.date === today) previous = { date: today, tokens: u.tokens, cost_usd: u.cost_usd, calls: u.calls };
    return { version: 1 as const, date: today, tokens: 0, cost_usd: 0, calls: 0 };
  });
  return previous;
}
