import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { readHead } from '../../core/audit/chain.js';
import { StateError } from '../../core/errors.js';
import { readKillHistory } from '../../core/risk/kill-switch.js';
import type { StateProblem } from '../../core/state/store.js';

export interface StateCheckResult {
  valid: boolean;
  problems: StateProblem[];
  trading_state: string;
}

export function registerStateCheck(state: Command, kit: Kit): void {
  state
    .command('check')
    .description('validate every state file against its schema; exit 3 naming each bad file and field')
    .addHelpText('after', '\nExample:\n  kobe state check || kobe kill on --reason "state corrupt"')
    .action(kit.action(() => ({}), runStateCheck, renderStateCheck));
}

export async function runStateCheck(ctx: KobeContext): Promise<StateCheckResult> {
  ctx.requireHome();
  const problems = (await ctx.state()).check();
  try {
    readHead(ctx.paths.chainHead);
  } catch (err) {
    if (err instanceof StateError) problems.push({ file: 'state/hash_chain.head.json', field: err.field || '(root)', problem: String(err.details?.problem ?? err.message) });
    else throw err;
  }
  for (const p of readKillHistory(ctx.paths.killHistory).problems) problems.push({ file: 'state/kill_switch_history.jsonl', field: p.split(':')[0], problem: p });
  const ts = ctx.tradingState();
  if (ts.source === 'unreadable') problems.push({ file: 'state/KILL_SWITCH', field: '(file)', problem: `${ts.detail} (trading is HALTED: fail closed)` });
  const result = { valid: problems.length === 0, problems, trading_state: ts.state };
  if (!result.valid) {
    const first = problems[0];
    const err = new StateError(first.file, first.field === '(root)' ? '' : first.field, `${first.problem}${problems.length > 1 ? ` (and ${problems.length - 1} more problem(s))` : ''}`);
    ctx.out.result(result, renderStateCheck, false);
    throw err;
  }
  return result;
}

export function renderStateCheck(out: Output, r: StateCheckResult): void {
  if (r.valid) out.line('state files valid');
  for (const p of r.problems) out.line(`${p.file}  ${p.field}  ${p.problem}`);
}
