import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { APPROVAL_ID, rejectApproval } from '../core/approvals/store.js';
import { UsageError } from '../core/errors.js';
import type { Approval } from '../core/state/schemas.js';

/** Flags and argument of `kobe reject`. */
export interface RejectOptions {
  id: string;
  reason: string;
  /** Defaults to the user running kobe. */
  approver?: string;
}

/** The rejected approval. */
export interface RejectResult {
  approval: Approval;
}

/** Validate the id and a non-empty --reason. */
export function parseReject(raw: Record<string, unknown>, args: string[]): RejectOptions {
  const id = (args[0] ?? '').trim();
  if (!id || !APPROVAL_ID.test(id)) throw new UsageError(id ? `invalid approval id "${id}"` : 'which approval? give its id', { hint: 'kobe approvals list --pending' });
  const reason = typeof raw.reason === 'string' ? raw.reason.trim() : '';
  if (!reason) throw new UsageError('--reason must say why the proposal is rejected', { hint: 'kobe reject ID --reason "overfit to 2024"' });
  const approver = typeof raw.approver === 'string' && raw.approver.trim() ? raw.approver.trim() : undefined;
  return { id, reason, approver };
}

/** Wire `reject <id>`. */
export function register(program: Command, kit: Kit): void {
  program
    .command('reject')
    .description('reject a pending proposal with a reason (recorded in the audit chain); nothing else changes')
    .argument('<id>', 'approval id from `kobe approvals list --pending`')
    .requiredOption('--reason <text>', 'why it is rejected')
    .option('--approver <name>', 'who decides (default: the user running kobe)')
    .addHelpText('after', '\nExample:\n  kobe reject params-20250114-150000-ab12 --reason "OOS window too short" --approver "Jane Doe"')
    .action(kit.action(parseReject, runReject, renderReject));
}

/** Reject a pending approval and record why. */
export async function runReject(ctx: KobeContext, opts: RejectOptions): Promise<RejectResult> {
  ctx.requireHome();
  const approver = opts.approver ?? ctx.user;
  const approval = await rejectApproval({ dir: ctx.paths.state('approvals'), id: opts.id, approver, reason: opts.reason, now: ctx.clock.now(), audit: await ctx.audit() });
  (await ctx.events()).emit('approval', { approval_id: approval.id, kind: approval.kind, decision: 'rejected', approver, reason: opts.reason });
  return { approval };
}

/** Human view of a rejection. */
export function renderReject(out: Output, r: RejectResult): void {
  out.changed(`rejected ${r.approval.id} (${r.approval.kind})`);
  out.line(`${r.approval.id}  rejected by ${r.approval.decided_by}: ${r.approval.reason}`);
}
