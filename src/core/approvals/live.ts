// The human live-trading approval (SPEC section 3), one of the live gates. It is the only writer of
// an approval with interactive: true, and it writes one only after a person at a terminal typed
// the phrase; test/unit/approvals/live-only-tty.test.ts keeps every other path from doing so.
// The approval is bound to the config pin: any parameter change voids it.
import { recordSha256 } from '../risk/live-gates.js';
import type { AuditChain } from '../audit/chain.js';
import { SafetyRefusal, errorText } from '../errors.js';
import type { Approval } from '../state/schemas.js';
import { createApproval, newApprovalId } from './store.js';

/** What the approver must type. */
export const LIVE_CONFIRM_PHRASE = 'APPROVE LIVE TRADING';

/** A live approval request from `kobe approve live`. */
export interface LiveApprovalRequest {
  dir: string;
  /** The current config pin the approval is bound to. */
  pin: string;
  approver: string;
  /** The OS user running kobe. */
  by: string;
  reason: string | null;
  now: Date;
  /** Whether a person can answer: stderr and stdin are terminals (and not CI). */
  interactive: boolean;
  /** Ask for the typed phrase on the terminal; throws when it is not typed exactly. */
  confirmTyped: (question: string, phrase: string) => Promise<void>;
  audit: AuditChain;
}

async function refuse(r: LiveApprovalRequest, why: string, message: string, hint: string): Promise<never> {
  await r.audit.append('live_approval_refused', { approver: r.approver, by: r.by, pin: r.pin, why });
  throw new SafetyRefusal(message, { hint, details: { why } });
}

/** Create an approved, interactive live_trading approval after a typed confirmation; refused (and audited) otherwise. */
export async function grantLiveApproval(r: LiveApprovalRequest): Promise<Approval> {
  if (!r.interactive) {
    await refuse(r, 'no terminal', 'live trading can only be approved by a person typing the confirmation on a terminal; nothing was approved', 'run `kobe approve live --approver NAME` in an interactive terminal (not from cron, CI or a pipe)');
  }
  try {
    await r.confirmTyped(`Approve LIVE trading with real money under config pin ${r.pin.slice(0, 12)}… as ${r.approver}?`, LIVE_CONFIRM_PHRASE);
  } catch (err) {
    await refuse(r, 'confirmation not typed', `live trading not approved: ${errorText(err)}`, `type ${LIVE_CONFIRM_PHRASE} exactly to approve`);
  }
  const at = r.now.toISOString();
  const approval = await createApproval(r.dir, {
    version: 1, id: newApprovalId('live', r.now), kind: 'live_trading', status: 'approved', created_at: at, created_by: r.by,
    summary: `live trading approved under config pin ${r.pin}`, decided_at: at, decided_by: r.approver, reason: r.reason,
    interactive: true, pin: r.pin, payload: null,
  });
  // The block vouches for the exact record: a file written by hand has no block and is no gate.
  await r.audit.append('approval', { approval_id: approval.id, kind: 'live_trading', decision: 'approved', approver: r.approver, pin: r.pin, interactive: true, by: r.by, record_sha256: recordSha256(approval) });
  return approval;
}
