// Approval files (SPEC section 11): state/approvals/<id>.json, one per proposal, validated by
// ApprovalSchema. A decided approval is final: it is never decided again or overwritten.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditChain } from '../audit/chain.js';
import { SafetyRefusal, StateError, UsageError, errnoCode, errorText } from '../errors.js';
import { atomicWrite } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { ApprovalSchema, type Approval } from '../state/schemas.js';
import { makeDir } from '../util/files.js';

/** Allowed approval ids (also keeps a path out of the id). */
export const APPROVAL_ID = /^[A-Za-z0-9_-]+$/;

/** Path of an approval file; UsageError for an id that is not a plain name. */
export function approvalFile(dir: string, id: string): string {
  if (!APPROVAL_ID.test(id)) throw new UsageError(`invalid approval id "${id}": letters, digits, - and _ only`, { hint: 'kobe approvals list' });
  return path.join(dir, `${id}.json`);
}

/** A fresh id: `<prefix>-YYYYMMDD-HHMMSS-<4 hex>` (UTC). */
export function newApprovalId(prefix: string, now: Date): string {
  return `${prefix}-${now.toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-')}-${randomBytes(2).toString('hex')}`;
}

function parseApproval(file: string, text: string): Approval {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new StateError(file, '', `not valid JSON (${errorText(err)})`);
  }
  const r = ApprovalSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new StateError(file, i.path.map(String).join('.') || '(root)', i.code === 'unrecognized_keys' ? `unknown field ${i.keys[0]}` : i.message);
  }
  if (r.data.id !== path.basename(file, '.json')) throw new StateError(file, 'id', `"${r.data.id}" does not match the file name`);
  return r.data;
}

/** Read one approval: UsageError (exit 2) when unknown, StateError (exit 3) when invalid. */
export function readApproval(dir: string, id: string): Approval {
  const file = approvalFile(dir, id);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') throw new UsageError(`no approval with id ${id}`, { hint: 'list them with `kobe approvals list`' });
    throw new StateError(file, '', `cannot read (${errnoCode(err) ?? errorText(err)})`);
  }
  return parseApproval(file, text);
}

/** Every approval on disk, oldest first; files that do not validate are returned as problems. */
export function listApprovals(dir: string): { approvals: Approval[]; problems: string[] } {
  if (!fs.existsSync(dir)) return { approvals: [], problems: [] };
  const approvals: Approval[] = [];
  const problems: string[] = [];
  for (const f of fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort()) {
    try {
      approvals.push(parseApproval(path.join(dir, f), fs.readFileSync(path.join(dir, f), 'utf8')));
    } catch (err) {
      problems.push(`${f}: ${errorText(err)}`);
    }
  }
  approvals.sort((a, b) => (a.created_at < b.created_at ? -1 : a.created_at > b.created_at ? 1 : a.id < b.id ? -1 : 1));
  return { approvals, problems };
}

async function writeValidated(dir: string, a: Approval): Promise<void> {
  const v = ApprovalSchema.parse(a);
  await atomicWrite(approvalFile(dir, v.id), `${JSON.stringify(v, null, 2)}\n`);
}

/** Create a new approval file; refuses (exit 6) to replace one that exists. */
export async function createApproval(dir: string, a: Approval): Promise<Approval> {
  makeDir(dir);
  const file = approvalFile(dir, a.id);
  return withLock(file, async () => {
    if (fs.existsSync(file)) throw new SafetyRefusal(`approval ${a.id} already exists; approvals are never overwritten`, { hint: 'choose another id' });
    await writeValidated(dir, a);
    return a;
  });
}

/** Refuse (exit 6) to decide an approval twice. */
export function assertPending(a: Approval): void {
  if (a.status !== 'pending') {
    throw new SafetyRefusal(`approval ${a.id} was already ${a.status} by ${a.decided_by ?? 'unknown'} at ${a.decided_at ?? 'unknown time'}; a decision is final`, {
      hint: a.kind === 'params' ? 'a new change needs a new proposal' : 'see `kobe approvals list`',
      details: { id: a.id, status: a.status },
    });
  }
}

/** Read, check pending and decide one approval under its lock; `decide` acts before the file is marked. */
export async function decideApproval<T>(dir: string, id: string, decide: (a: Approval) => Promise<{ decided: Approval; extra: T }>): Promise<{ approval: Approval; extra: T }> {
  const file = approvalFile(dir, id);
  readApproval(dir, id);
  return withLock(file, async () => {
    const a = readApproval(dir, id);
    assertPending(a);
    const { decided, extra } = await decide(a);
    await writeValidated(dir, decided);
    return { approval: decided, extra };
  });
}

/** Reject a pending approval with a reason; records an `approval` audit block. */
export async function rejectApproval(d: { dir: string; id: string; approver: string; reason: string; now: Date; audit: AuditChain }): Promise<Approval> {
  if (!d.reason.trim()) throw new UsageError('a rejection needs a reason');
  const { approval } = await decideApproval(d.dir, d.id, async (a) => ({
    decided: { ...a, status: 'rejected', decided_at: d.now.toISOString(), decided_by: d.approver, reason: d.reason },
    extra: null,
  }));
  await d.audit.append('approval', { approval_id: approval.id, kind: approval.kind, decision: 'rejected', approver: d.approver, reason: d.reason });
  return approval;
}
