// Parameter-change proposals (SPEC section 11): walk-forward proposes, a human approves. Approving
// writes the frozen params, re-pins config/base.yaml (that one line, comments kept) and proves the
// result with loadConfig before the change is recorded; any failure restores both files.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { AuditChain } from '../audit/chain.js';
import { zodIssues } from '../config/issues.js';
import { loadConfig } from '../config/load.js';
import { StrategyParamsSchema, type StrategyParams } from '../config/schema.js';
import { ConfigError, SafetyRefusal, StateError, UsageError } from '../errors.js';
import type { KobePaths } from '../paths.js';
import { atomicWrite } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import type { Approval } from '../state/schemas.js';
import { approvalFile, createApproval, decideApproval, newApprovalId } from './store.js';

/** What walk-forward --propose hands over. */
export interface ParamsProposalInput {
  id?: string;
  summary: string;
  /** A complete StrategyParams object; validated here. */
  params: StrategyParams;
  /** Why: metrics, windows, report paths; shown to the approver as is. */
  evidence: Record<string, unknown>;
  by: string;
  now: Date;
  /** The pin the proposal was computed against, when known. */
  base_pin?: string;
}

/** What approving a params proposal changed. */
export interface ParamsApprovalOutcome {
  approval: Approval;
  old_pin: string;
  new_pin: string;
  changed: boolean;
  params_file: string;
  /** Copy of the previous params file (null when nothing changed). */
  backup: string | null;
}

/** The exact bytes the frozen params file gets; its sha256 is the pin. */
export function paramsFileText(p: StrategyParams): string {
  return `${JSON.stringify(p, null, 2)}\n`;
}

/** sha256 hex of the params file text. */
export function paramsPin(p: StrategyParams): string {
  return createHash('sha256').update(paramsFileText(p)).digest('hex');
}

/** Write a pending 'params' approval; returns it. */
export async function createParamsProposal(dir: string, input: ParamsProposalInput): Promise<Approval> {
  if (!input.summary?.trim()) throw new UsageError('a proposal needs a summary');
  if (!input.by?.trim()) throw new UsageError('a proposal needs its author (by)');
  if (input.id === 'live') throw new UsageError('"live" is reserved for `kobe approve live`');
  const r = StrategyParamsSchema.safeParse(input.params);
  if (!r.success) throw new ConfigError('proposed strategy params', zodIssues(r.error), { hint: 'a proposal must carry a complete, valid StrategyParams object' });
  const id = input.id ?? newApprovalId('params', input.now);
  return createApproval(dir, {
    version: 1, id, kind: 'params', status: 'pending', created_at: input.now.toISOString(), created_by: input.by, summary: input.summary.trim(),
    decided_at: null, decided_by: null, reason: null, interactive: false, pin: paramsPin(r.data),
    payload: { params: r.data, evidence: input.evidence, base_pin: input.base_pin ?? null },
  });
}

const PIN_LINE = /^(\s*params_sha256:\s*)(["']?)([0-9a-f]{64})\2([ \t]*(#.*)?\r?)$/gm;

/** config/base.yaml text with the params_sha256 value replaced; the line must occur exactly once. */
export function replacePinLine(yaml: string, pin: string, file: string): string {
  const n = [...yaml.matchAll(PIN_LINE)].length;
  if (n !== 1) throw new ConfigError(file, [{ path: 'strategy.params_sha256', message: `expected exactly one "params_sha256: <sha256>" line, found ${n}` }], { hint: 'fix the line by hand; nothing was changed' });
  return yaml.replace(PIN_LINE, (_m, head: string, q: string, _old: string, tail: string) => `${head}${q}${pin}${q}${tail}`);
}

/** Approve a pending params proposal: new params file and pin, verified, then audited. */
export async function approveParamsProposal(d: { paths: KobePaths; dir: string; id: string; approver: string; reason: string | null; now: Date; audit: AuditChain }): Promise<ParamsApprovalOutcome> {
  const { paths } = d;
  const file = approvalFile(d.dir, d.id);
  return withLock(paths.config, async () => {
    const { approval, extra } = await decideApproval<Omit<ParamsApprovalOutcome, 'approval'>>(d.dir, d.id, async (a) => {
      if (a.kind !== 'params') throw new SafetyRefusal(`approval ${a.id} is a ${a.kind} approval; live trading is approved only with \`kobe approve live\` on a terminal`);
      const parsed = StrategyParamsSchema.safeParse(a.payload?.params);
      if (!parsed.success) {
        const i = zodIssues(parsed.error)[0];
        throw new StateError(file, `payload.params${i.path ? `.${i.path}` : ''}`, `${i.message}; nothing was changed`);
      }
      const text = paramsFileText(parsed.data);
      const newPin = createHash('sha256').update(text).digest('hex');
      if (a.pin !== newPin) throw new StateError(file, 'pin', 'does not match the proposed params (edited after it was proposed?); nothing was changed');
      const before = await loadConfig(paths);
      const decided: Approval = { ...a, status: 'approved', decided_at: d.now.toISOString(), decided_by: d.approver, reason: d.reason };
      if (before.pin === newPin) return { decided, extra: { old_pin: before.pin, new_pin: newPin, changed: false, params_file: before.paramsFile, backup: null } };
      const yamlOld = fs.readFileSync(paths.config, 'utf8');
      const yamlNew = replacePinLine(yamlOld, newPin, paths.config);
      const paramsOld = fs.readFileSync(before.paramsFile);
      const backup = `${before.paramsFile}.bak-${a.id}`;
      await atomicWrite(backup, paramsOld);
      try {
        await atomicWrite(before.paramsFile, text);
        await atomicWrite(paths.config, yamlNew);
        const after = await loadConfig(paths);
        if (after.pin !== newPin) throw new ConfigError(paths.config, [{ path: 'strategy.params_sha256', message: `re-pinned to ${after.pin}, expected ${newPin}` }]);
        const rel = (p: string) => path.relative(paths.home, p);
        await d.audit.append('config_pin_changed', { old_pin: before.pin, new_pin: newPin, approval_id: a.id, approver: d.approver, params_file: rel(before.paramsFile) });
      } catch (err) {
        // Put both files back so the old pin stays valid; the error then says what failed.
        await atomicWrite(before.paramsFile, paramsOld);
        await atomicWrite(paths.config, yamlOld);
        throw err;
      }
      return { decided, extra: { old_pin: before.pin, new_pin: newPin, changed: true, params_file: before.paramsFile, backup } };
    });
    await d.audit.append('approval', { approval_id: approval.id, kind: 'params', decision: 'approved', approver: d.approver, reason: d.reason, pin: extra.new_pin });
    return { approval, ...extra };
  });
}
