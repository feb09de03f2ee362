// `kobe state check`: every file a kobe home has, each validated (state files against their
// schemas, the config and pinned params, the audit chain and its anchor, the bar index, approvals,
// histories and the journal); exit 3 listing every problem. Nothing here writes.
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { readHead, verifyChain } from '../../core/audit/chain.js';
import { ConfigError, StateError, errorText } from '../../core/errors.js';
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
    .description('validate every file of the home (state, config, params, chain, bar index, approvals, histories); exit 3 naming each bad file and field')
    .addHelpText('after', '\nExample:\n  kobe state check || kobe kill on --reason "state corrupt"')
    .action(kit.action(() => ({}), runStateCheck, renderStateCheck));
}

/** Every problem of the home, one row each; a check that cannot even run is a problem too. */
export async function stateProblems(ctx: KobeContext): Promise<StateProblem[]> {
  const problems: StateProblem[] = [];
  const probe = async (file: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      if (err instanceof ConfigError) for (const i of err.issues) problems.push({ file: err.file, field: i.path || '(root)', problem: i.message });
      else if (err instanceof StateError) problems.push({ file: err.file, field: err.field || '(root)', problem: String(err.details?.problem ?? err.message) });
      else problems.push({ file, field: '(file)', problem: errorText(err) });
    }
  };
  await probe('state/', async () => problems.push(...(await ctx.state()).check()));
  await probe('config/base.yaml', () => ctx.config());
  await probe('state/hash_chain.head.json', () => readHead(ctx.paths.chainHead));
  await probe('state/hash_chain.jsonl', () => {
    const v = verifyChain(ctx.paths.chain, ctx.paths.chainHead);
    if (v.status === 'broken') problems.push({ file: 'state/hash_chain.jsonl', field: `block ${v.brokenAt}`, problem: v.reason ?? 'broken' });
    if (v.status === 'torn_tail') problems.push({ file: 'state/hash_chain.jsonl', field: 'last line', problem: 'torn by a crash: `kobe verify-chain --repair`' });
  });
  await probe('state/kill_switch_history.jsonl', () => {
    for (const p of readKillHistory(ctx.paths.killHistory).problems) problems.push({ file: 'state/kill_switch_history.jsonl', field: p.split(':')[0], problem: p });
  });
  await probe('state/approvals/', async () => {
    const { listApprovals } = await import('../../core/approvals/store.js');
    for (const p of listApprovals(ctx.paths.state('approvals')).problems) problems.push({ file: 'state/approvals/', field: p.split(':')[0], problem: p });
  });
  await probe('data/cache/index', async () => (await ctx.bars()).index());
  await probe('logs/trades.jsonl', async () => {
    const { readTrades } = await import('../../core/trade/journal.js');
    for (const p of readTrades(ctx.paths.logsDir).problems) problems.push({ file: 'logs/trades.jsonl', field: p.replace(/^.* line (\d+).*$/, 'line $1'), problem: p });
  });
  const ts = ctx.tradingState();
  if (ts.source === 'unreadable') problems.push({ file: 'state/KILL_SWITCH', field: '(file)', problem: `${ts.detail} (trading is HALTED: fail closed)` });
  return problems;
}

export async function runStateCheck(ctx: KobeContext): Promise<StateCheckResult> {
  ctx.requireHome();
  const problems = await stateProblems(ctx);
  const result = { valid: problems.length === 0, problems, trading_state: ctx.tradingState().state };
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
