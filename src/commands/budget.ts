import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { brokerSnapshot } from '../core/budget/broker-probe.js';
import { llmBudgetStatus, llmUsageToday, recordLlmUsage, resetLlmUsage, type LlmBudgetStatus, type LlmUsage } from '../core/budget/llm.js';
import { tradingBudgets, type DailyNotional, type WeeklyExposure } from '../core/budget/trading.js';
import { UsageError } from '../core/errors.js';

/** What `kobe budget` shows. */
export interface BudgetResult {
  llm: LlmBudgetStatus;
  daily_notional: DailyNotional;
  weekly_exposure: WeeklyExposure;
}

/** Flags of `kobe budget record`. */
export interface BudgetRecordOptions {
  tokens: number;
  model: string;
  cost?: number;
}

/** The recorded call and the day's LLM budget after it. */
export interface BudgetRecordResult {
  recorded: { tokens: number; model: string; cost_usd: number; priced_by: 'caller' | 'table' };
  llm: LlmBudgetStatus;
}

/** Flags of `kobe budget reset`. */
export interface BudgetResetOptions {
  llm: boolean;
  yes: boolean;
}

/** What `kobe budget reset --llm` cleared. */
export interface BudgetResetResult {
  reset: 'llm';
  previous: LlmUsage;
  by: string;
}

/** More tokens than any single model call uses; also keeps the ledger's sums exact. */
const MAX_TOKENS = 1e9;

/** Validate `budget record` flags; UsageError on a bad number or an empty model. */
export function parseBudgetRecord(raw: Record<string, unknown>): BudgetRecordOptions {
  const t = String(raw.tokens ?? '');
  if (!/^\d+$/.test(t)) throw new UsageError(`--tokens must be a whole number of tokens, got "${t}"`);
  if (Number(t) > MAX_TOKENS) throw new UsageError(`--tokens ${t} is over the ${MAX_TOKENS.toExponential()} tokens one call can use`, { hint: 'pass the tokens of one model call (input + output)' });
  const model = typeof raw.model === 'string' ? raw.model.trim() : '';
  if (!model) throw new UsageError('--model must not be empty');
  let cost: number | undefined;
  if (raw.cost !== undefined) {
    cost = Number(raw.cost);
    if (String(raw.cost).trim() === '' || !Number.isFinite(cost) || cost < 0) throw new UsageError(`--cost must be a non-negative number of USD, got "${raw.cost}"`);
  }
  return { tokens: Number(t), model, cost };
}

/** Validate `budget reset` flags: --llm is required. */
export function parseBudgetReset(raw: Record<string, unknown>): BudgetResetOptions {
  if (!raw.llm) throw new UsageError('say what to reset: --llm (the only budget that can be reset by hand)', { hint: 'kobe budget reset --llm --yes' });
  return { llm: true, yes: !!raw.yes };
}

/** Wire `budget`, `budget record` and `budget reset`. */
export function register(program: Command, kit: Kit): void {
  const budget = program
    .command('budget')
    .description('LLM tokens and cost (resets at midnight ET), daily notional, weekly exposure and headroom')
    .addHelpText('after', '\nExamples:\n  kobe budget\n  kobe budget record --tokens 1800 --model claude-3-5-haiku\n  kobe budget reset --llm --yes')
    .action(kit.action(() => ({}), runBudget, renderBudget));
  budget
    .command('record')
    .description('add one model call to today\'s LLM ledger (for integrations)')
    .requiredOption('--tokens <n>', 'tokens used by the call (input + output)')
    .requiredOption('--model <name>', 'model id; priced from the built-in table unless --cost is given')
    .option('--cost <usd>', 'USD actually charged (required for models the table does not know)')
    .addHelpText('after', '\nExample:\n  kobe budget record --tokens 1200 --model gpt-4o --cost 0.006')
    .action(kit.action(parseBudgetRecord, runBudgetRecord, renderBudgetRecord));
  budget
    .command('reset')
    .description('zero today\'s LLM ledger (asks on a terminal; --yes otherwise); recorded in the audit chain')
    .option('--llm', 'reset the LLM token/cost ledger')
    .option('--yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText('after', '\nExample:\n  kobe budget reset --llm --yes')
    .action(kit.action(parseBudgetReset, runBudgetReset, renderBudgetReset));
}

/** Reads only; the broker is asked for equity for at most broker.timeout_ms. */
export async function runBudget(ctx: KobeContext): Promise<BudgetResult> {
  ctx.requireHome();
  const { config } = await ctx.config();
  const store = await ctx.state();
  const now = ctx.clock.now();
  const llm = llmBudgetStatus(llmUsageToday(store, now), config);
  const snap = await brokerSnapshot(() => ctx.broker(), config.broker.timeout_ms);
  const { daily, weekly } = tradingBudgets(store, config, now, snap);
  return { llm, daily_notional: daily, weekly_exposure: weekly };
}

const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const int = (x: number) => x.toLocaleString('en-US');

function llmWarnings(out: Output, l: LlmBudgetStatus): void {
  if (l.exhausted) out.warn(`LLM budget exhausted for ${l.date}: model calls are skipped until midnight ET`);
  else if (l.over_alert) out.warn(`LLM spend ${usd(l.cost_usd)} is over the alert level ${usd(l.alert_usd)} (limit ${usd(l.usd_limit)})`);
}

/** Human view of the budgets; warnings on stderr when over the alert or exhausted. */
export function renderBudget(out: Output, r: BudgetResult): void {
  const { llm: l, daily_notional: d, weekly_exposure: w } = r;
  out.line(`LLM ${l.date} (ET day; resets at midnight ET), ${l.calls} call(s)`);
  out.line(`  tokens    ${int(l.tokens)} of ${int(l.tokens_limit)} used, ${int(l.tokens_remaining)} left (${l.tokens_pct_remaining}% remaining)`);
  out.line(`  cost      ${usd(l.cost_usd)} of ${usd(l.usd_limit)} used, ${usd(l.usd_remaining)} left (${l.usd_pct_remaining}% remaining); alert at ${usd(l.alert_usd)}`);
  out.line(`daily notional ${d.date}`);
  out.line(`  new orders ${usd(d.used)} of ${usd(d.limit)}, ${usd(d.remaining)} left (${d.pct_remaining}% remaining); entries ${d.entries} of ${d.max_entries}`);
  const days = Object.entries(w.entries_by_day).map(([k, n]) => `${k} ${n}`).join(', ');
  out.line(`weekly exposure (week of ${w.week_start})`);
  out.line(`  new this week ${usd(w.new_exposure)}${days ? ` (entries: ${days})` : ''}`);
  if (w.equity === null) {
    out.line(`  equity unknown (${w.equity_unknown}); headroom in USD cannot be computed`);
    out.line(`  limits: new per day ${Math.round(w.max_new_daily_pct * 100)}% of equity, concurrent ${Math.round(w.max_concurrent_pct * 100)}% of equity`);
  } else {
    out.line(`  equity ${usd(w.equity)}`);
    out.line(`  new today  ${usd(w.new_today)} of ${usd(w.new_daily_limit!)} (${Math.round(w.max_new_daily_pct * 100)}%), headroom ${usd(w.new_daily_headroom!)}`);
    out.line(`  concurrent ${usd(w.concurrent!)} of ${usd(w.concurrent_limit!)} (${Math.round(w.max_concurrent_pct * 100)}%), headroom ${usd(w.concurrent_headroom!)}`);
  }
  llmWarnings(out, l);
}

/** Add one model call to today's ledger. */
export async function runBudgetRecord(ctx: KobeContext, opts: BudgetRecordOptions): Promise<BudgetRecordResult> {
  ctx.requireHome();
  const { config } = await ctx.config();
  const store = await ctx.state();
  const now = ctx.clock.now();
  const r = await recordLlmUsage(store, now, { tokens: opts.tokens, model: opts.model, costUsd: opts.cost });
  const llm = llmBudgetStatus(r.usage, config);
  (await ctx.events()).emit('llm_usage', { tokens: opts.tokens, model: opts.model, cost_usd: r.cost_usd, day_tokens: llm.tokens, day_cost_usd: llm.cost_usd }, llm.over_alert ? 'warn' : 'info');
  return { recorded: { tokens: opts.tokens, model: opts.model, cost_usd: r.cost_usd, priced_by: r.priced_by }, llm };
}

/** Human view of a recorded call. */
export function renderBudgetRecord(out: Output, r: BudgetRecordResult): void {
  out.changed(`recorded ${int(r.recorded.tokens)} tokens of ${r.recorded.model} (${usd(r.recorded.cost_usd)}${r.recorded.priced_by === 'table' ? ', priced from the table' : ''})`);
  out.line(`LLM ${r.llm.date}: ${int(r.llm.tokens_remaining)} tokens (${r.llm.tokens_pct_remaining}%) and ${usd(r.llm.usd_remaining)} (${r.llm.usd_pct_remaining}%) left`);
  llmWarnings(out, r.llm);
}

/** Lifting a spending cap adds risk: it asks on a terminal and needs --yes otherwise. */
export async function runBudgetReset(ctx: KobeContext, opts: BudgetResetOptions): Promise<BudgetResetResult> {
  ctx.requireHome();
  const store = await ctx.state();
  const current = llmUsageToday(store, ctx.clock.now());
  if (!opts.yes) await ctx.out.confirm(`Reset today's LLM ledger (${int(current.tokens)} tokens, ${usd(current.cost_usd)})?`);
  const previous = await resetLlmUsage(store, ctx.clock.now());
  await (await ctx.audit()).append('budget_reset', { budget: 'llm', by: ctx.user, date: previous.date, previous: { tokens: previous.tokens, cost_usd: previous.cost_usd, calls: previous.calls } });
  (await ctx.events()).emit('budget_reset', { budget: 'llm', by: ctx.user, previous_tokens: previous.tokens, previous_cost_usd: previous.cost_usd }, 'warn');
  return { reset: 'llm', previous, by: ctx.user };
}

/** Human view of a reset. */
export function renderBudgetReset(out: Output, r: BudgetResetResult): void {
  out.changed(`LLM ledger for ${r.previous.date} reset by ${r.by} (was ${int(r.previous.tokens)} tokens, ${usd(r.previous.cost_usd)})`);
  out.line('LLM budget: full');
}
