import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { intFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import { readKillHistory, type KillHistoryEntry } from '../../core/risk/kill-switch.js';
import type { TradingState } from '../../core/risk/trading-state.js';

export type KillStatusResult = { trading_state: TradingState };

export function registerKillStatus(kill: Command, kit: Kit): void {
  kill
    .command('status')
    .description('ACTIVE, REDUCING or HALTED, and why (an unreadable switch counts as HALTED)')
    .addHelpText('after', '\nExample:\n  kobe kill status --json | jq -r .trading_state.state')
    .action(kit.action(() => ({}), runKillStatus, renderKillStatus));
}

export async function runKillStatus(ctx: KobeContext): Promise<KillStatusResult> {
  ctx.requireHome();
  return { trading_state: ctx.tradingState() };
}

export function renderKillStatus(out: Output, r: KillStatusResult): void {
  const t = r.trading_state;
  const paint = t.state === 'ACTIVE' ? out.s.green : t.state === 'REDUCING' ? out.s.yellow : out.s.red;
  out.line(`${paint(t.state)}${t.record ? `  ${t.record.reason}` : ''}`);
  if (t.record?.activated_at) out.line(`since ${t.record.activated_at}${t.record.activated_by ? ` by ${t.record.activated_by}` : ''}`);
  if (t.source === 'text' || t.source === 'empty') out.line('(created outside kobe, e.g. by touch or echo)');
  if (t.detail) out.line(t.detail);
}

export interface KillHistoryOptions {
  limit: number;
}

export interface KillHistoryResult {
  entries: KillHistoryEntry[];
  problems: string[];
}

export function registerKillHistory(kill: Command, kit: Kit): void {
  kill
    .command('history')
    .description('every activation and deactivation, oldest first')
    .option('--limit <n>', 'only the last n entries', '50')
    .addHelpText('after', '\nExample:\n  kobe kill history --limit 10')
    .action(
      kit.action(
        (raw) => {
          return { limit: intFlag('--limit', raw.limit, 1, 1_000_000) ?? 50 };
        },
        runKillHistory,
        renderKillHistory,
      ),
    );
}

export async function runKillHistory(ctx: KobeContext, opts: KillHistoryOptions): Promise<KillHistoryResult> {
  ctx.requireHome();
  const { entries, problems } = readKillHistory(ctx.paths.killHistory);
  return { entries: entries.slice(-opts.limit), problems };
}

export function renderKillHistory(out: Output, r: KillHistoryResult): void {
  if (r.entries.length === 0) out.line('no kill switch history');
  for (const e of r.entries) {
    out.line(e.event === 'on' ? `${e.activated_at ?? '?'}  ON   ${e.mode ?? 'halt'}  by ${e.activated_by ?? '?'}: ${e.reason}` : `${e.deactivated_at ?? '?'}  OFF  by ${e.deactivated_by ?? '?'}${e.forced ? ' (forced)' : ''}: ${e.note ?? ''} (was: ${e.reason})`);
  }
  for (const p of r.problems) out.warn(`${'kill_switch_history.jsonl'} ${p}`);
}
