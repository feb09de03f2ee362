import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { listApprovals } from '../core/approvals/store.js';
import type { Approval } from '../core/state/schemas.js';

/** Flags of `kobe approvals list`. */
export interface ApprovalsListOptions {
  pending: boolean;
}

/** Approvals on disk and the pin they are judged against. */
export interface ApprovalsListResult {
  approvals: Approval[];
  /** Approval files that do not validate (they approve nothing; `approve`/`reject` on them exit 3). */
  problems: string[];
  /** The config pin now, when config loads: a live approval counts only under this pin. */
  current_pin: string | null;
}

/** Wire `approvals list`. */
export function register(program: Command, kit: Kit): void {
  const approvals = program
    .command('approvals')
    .description('proposals and human decisions in state/approvals/')
    .addHelpText('after', '\nExamples:\n  kobe approvals list --pending\n  kobe approve params-20250114-150000-ab12 --approver "Jane Doe"\n  kobe reject params-20250114-150000-ab12 --reason "overfit to 2024"\n  kobe approve live --approver "Jane Doe"   (on a terminal only)');
  approvals
    .command('list')
    .description('every approval, oldest first (--pending: only those waiting for a decision)')
    .option('--pending', 'only proposals waiting for a human')
    .addHelpText('after', '\nExample:\n  kobe approvals list --pending\n  kobe approvals list --json | jq \'.approvals[] | select(.kind == "params")\'')
    .action(kit.action((raw) => ({ pending: !!raw.pending }), runApprovalsList, renderApprovalsList));
}

/** Every approval (or the pending ones), oldest first. */
export async function runApprovalsList(ctx: KobeContext, opts: ApprovalsListOptions): Promise<ApprovalsListResult> {
  ctx.requireHome();
  const { approvals, problems } = listApprovals(ctx.paths.state('approvals'));
  let pin: string | null = null;
  try {
    pin = (await ctx.config()).pin;
  } catch {
    /* listing must work with a broken config; preflight reports the config */
  }
  return { approvals: opts.pending ? approvals.filter((a) => a.status === 'pending') : approvals, problems, current_pin: pin };
}

function state(a: Approval, pin: string | null): string {
  if (a.kind === 'live_trading' && a.status === 'approved') return a.interactive && a.pin === pin ? 'approved (in force)' : 'approved (void: other pin)';
  return a.status;
}

/** Approvals as a table; unreadable files as warnings. */
export function renderApprovalsList(out: Output, r: ApprovalsListResult): void {
  for (const p of r.problems) out.warn(`unreadable approval file ${p}`);
  if (r.approvals.length === 0) {
    out.line('no approvals');
    return;
  }
  const rows = r.approvals.map((a) => [
    a.id, a.kind, state(a, r.current_pin), a.created_at.slice(0, 16).replace('T', ' '), a.created_by,
    a.decided_by ? `${a.decided_by}${a.reason ? `: ${a.reason}` : ''}` : '-', a.summary.length > 60 ? `${a.summary.slice(0, 57)}...` : a.summary,
  ]);
  void out.table(['id', 'kind', 'status', 'created (UTC)', 'by', 'decision', 'summary'], rows);
}
