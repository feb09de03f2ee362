import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { LIVE_CONFIRM_PHRASE, grantLiveApproval } from '../core/approvals/live.js';
import { approveParamsProposal } from '../core/approvals/params.js';
import { APPROVAL_ID, readApproval } from '../core/approvals/store.js';
import { SafetyRefusal, UsageError } from '../core/errors.js';
import { displayPath } from '../core/paths.js';
import type { Approval } from '../core/state/schemas.js';

/** Flags and argument of `kobe approve`. */
export interface ApproveOptions {
  /** An approval id, or 'live' for the live-trading approval. */
  id: string;
  approver: string;
  reason: string | null;
}

/** The decided approval and, for params, the pin change. */
export interface ApproveResult {
  approval: Approval;
  /** For params proposals: the pin change (changed false when the params were already in force). */
  pin_change?: { old_pin: string; new_pin: string; changed: boolean; params_file: string; backup: string | null };
}

/** Validate the id (or `live`), --approver and --reason. */
export function parseApprove(raw: Record<string, unknown>, args: string[]): ApproveOptions {
  const id = (args[0] ?? '').trim();
  if (!id) throw new UsageError('which approval? give its id, or `live`', { hint: 'kobe approvals list --pending' });
  if (!APPROVAL_ID.test(id)) throw new UsageError(`invalid approval id "${id}"`, { hint: 'kobe approvals list' });
  const approver = typeof raw.approver === 'string' ? raw.approver.trim() : '';
  if (!approver) throw new UsageError('--approver must name the person who approves', { hint: 'kobe approve ID --approver "Jane Doe"' });
  const reason = typeof raw.reason === 'string' && raw.reason.trim() ? raw.reason.trim() : null;
  return { id, approver, reason };
}

/** Wire `approve <id|live>`. */
export function register(program: Command, kit: Kit): void {
  program
    .command('approve')
    .description('approve a pending proposal (params: writes the frozen params and the new pin), or `live` on a terminal')
    .argument('<id>', 'approval id from `kobe approvals list`, or `live` for the live-trading approval')
    .requiredOption('--approver <name>', 'the person who approves (recorded in the approval and the audit chain)')
    .option('--reason <text>', 'why; kept with the decision')
    .addHelpText(
      'after',
      `\nExamples:\n  kobe approve params-20250114-150000-ab12 --approver "Jane Doe" --reason "WF OOS Sharpe 1.4 over 8 windows"\n  kobe approve live --approver "Jane Doe"\n\nThe live approval is given only on a terminal by typing "${LIVE_CONFIRM_PHRASE}"; it is bound to the\ncurrent config pin, so approving new params voids it. Off a terminal it is refused (exit 6) and recorded.`,
    )
    .action(kit.action(parseApprove, runApprove, renderApprove));
}

/** Approve a params proposal, or give the live approval on a terminal. */
export async function runApprove(ctx: KobeContext, opts: ApproveOptions): Promise<ApproveResult> {
  ctx.requireHome();
  const dir = ctx.paths.state('approvals');
  if (opts.id === 'live') return { approval: await approveLive(ctx, opts) };
  const existing = readApproval(dir, opts.id);
  if (existing.kind === 'live_trading' && existing.status === 'pending') {
    throw new SafetyRefusal(`approval ${opts.id} is a live-trading request; live trading is approved only with \`kobe approve live\` on a terminal`, { hint: `kobe approve live --approver "${opts.approver}"  (or reject this one)` });
  }
  const r = await approveParamsProposal({ paths: ctx.paths, dir, id: opts.id, approver: opts.approver, reason: opts.reason, now: ctx.clock.now(), audit: await ctx.audit() });
  (await ctx.events()).emit('approval', { approval_id: r.approval.id, kind: 'params', decision: 'approved', approver: opts.approver, old_pin: r.old_pin, new_pin: r.new_pin }, 'warn');
  return { approval: r.approval, pin_change: { old_pin: r.old_pin, new_pin: r.new_pin, changed: r.changed, params_file: displayPath(ctx.paths, r.params_file), backup: r.backup && displayPath(ctx.paths, r.backup) } };
}

/** The one path that creates an interactive approval: typed confirmation on a TTY, else exit 6. */
async function approveLive(ctx: KobeContext, opts: ApproveOptions): Promise<Approval> {
  const { pin } = await ctx.config();
  const events = await ctx.events();
  try {
    const approval = await grantLiveApproval({
      dir: ctx.paths.state('approvals'), pin, approver: opts.approver, by: ctx.user, reason: opts.reason, now: ctx.clock.now(),
      interactive: ctx.out.interactive, confirmTyped: (q, phrase) => ctx.out.confirm(q, 'a terminal', phrase), audit: await ctx.audit(),
    });
    events.emit('approval', { approval_id: approval.id, kind: 'live_trading', decision: 'approved', approver: opts.approver, pin }, 'warn');
    return approval;
  } catch (err) {
    if (err instanceof SafetyRefusal) events.emit('live_approval_refused', { approver: opts.approver, by: ctx.user, pin, why: err.details?.why ?? err.message }, 'warn');
    throw err;
  }
}

/** Human view of an approval and what it changed. */
export function renderApprove(out: Output, r: ApproveResult): void {
  const a = r.approval;
  if (a.kind === 'live_trading') {
    out.changed(`live trading approved by ${a.decided_by} under config pin ${a.pin}`);
    out.info('the other live gates still apply: trading.mode live, KOBE_LIVE_TRADING_ENABLED=true, `kobe preflight --mode live`, the live host');
  } else if (r.pin_change?.changed) {
    out.changed(`wrote ${r.pin_change.params_file} (previous kept as ${r.pin_change.backup})`);
    out.changed(`config pin ${r.pin_change.old_pin.slice(0, 12)}… -> ${r.pin_change.new_pin.slice(0, 12)}… (config/base.yaml strategy.params_sha256)`);
    out.info('live approvals given under the old pin no longer count; run `kobe preflight` before trading');
  } else {
    out.info('the proposed params were already in force; the pin is unchanged');
  }
  out.line(`${a.id}  approved by ${a.decided_by}${a.reason ? `: ${a.reason}` : ''}`);
}
