// The live gates (SPEC section 3). A live order needs every one; nothing in kobe turns a gate on
// programmatically. The live flag is read from the process environment of the run only, never
// from .env, so a forgotten line in a file cannot arm live trading. The approval and the live
// preflight count only with their audit-chain block (the block carries the record's sha256 and the
// chain must verify): a hand-written state file without its block is a missing gate.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { canonicalJson } from '../audit/canonical.js';
import { verifyChain } from '../audit/chain.js';
import { LIVE_HOST, PAPER_HOST, type KobeConfig } from '../config/schema.js';
import { ApprovalSchema, LastPreflightFile, type Approval } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';

export const LIVE_GATES = ['mode_live', 'env_live_enabled', 'live_approval', 'recent_live_preflight', 'live_host'] as const;
export type LiveGate = (typeof LIVE_GATES)[number];

/** What the live gates look at. */
export interface LiveGateInput {
  config: KobeConfig;
  pin: string;
  processEnv: Record<string, string | undefined>;
  store: StateStore;
  approvalsDir: string;
  brokerHost: string;
  now: Date;
}

/** The live-trading approvals on disk that a person gave on a terminal. */
export function liveApprovals(approvalsDir: string): Approval[] {
  if (!fs.existsSync(approvalsDir)) return [];
  const out: Approval[] = [];
  for (const f of fs.readdirSync(approvalsDir)) {
    if (!f.endsWith('.json')) continue;
    try {
      const a = ApprovalSchema.parse(JSON.parse(fs.readFileSync(path.join(approvalsDir, f), 'utf8')));
      if (a.kind === 'live_trading' && a.status === 'approved' && a.interactive) out.push(a);
    } catch {
      /* an unreadable approval approves nothing; `kobe state check` and `approvals list` report it */
    }
  }
  return out;
}

/** sha256 of a state record's canonical JSON: what its audit block vouches for. */
export function recordSha256(record: unknown): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

/** Payloads of the audit chain's blocks of `types`, or null when the chain does not verify. */
function chainBlocks(stateDir: string, types: ReadonlySet<string>): Array<Record<string, unknown>> | null {
  const file = path.join(stateDir, 'hash_chain.jsonl');
  const v = verifyChain(file, path.join(stateDir, 'hash_chain.head.json'));
  if (v.status !== 'intact') return null;
  const out: Array<Record<string, unknown>> = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line) continue;
    const p = (JSON.parse(line) as { payload: Record<string, unknown> }).payload;
    if (types.has(String(p.type))) out.push(p);
  }
  return out;
}

/** Gates that are missing for a live order (empty = all present). */
export function missingLiveGates(g: LiveGateInput): LiveGate[] {
  const missing: LiveGate[] = [];
  if (g.config.trading.mode !== 'live') missing.push('mode_live');
  if (g.processEnv.KOBE_LIVE_TRADING_ENABLED !== 'true') missing.push('env_live_enabled');
  let blocks: Array<Record<string, unknown>> | null = null;
  try {
    blocks = chainBlocks(path.dirname(g.approvalsDir), new Set(['approval', 'preflight']));
  } catch {
    blocks = null;
  }
  const vouched = (type: string, record: unknown, extra: (b: Record<string, unknown>) => boolean) => !!blocks?.some((b) => b.type === type && b.record_sha256 === recordSha256(record) && extra(b));
  if (!liveApprovals(g.approvalsDir).some((a) => a.pin === g.pin && vouched('approval', a, (b) => b.approval_id === a.id))) missing.push('live_approval');
  let preflightOk = false;
  try {
    if (g.store.exists(LastPreflightFile)) {
      const p = g.store.read(LastPreflightFile);
      const age = g.now.getTime() - Date.parse(p.ts);
      preflightOk = p.mode === 'live' && p.go && p.pin === g.pin && age >= 0 && age <= 30 * 60_000 && vouched('preflight', p, (b) => b.mode === 'live' && b.go === true);
    }
  } catch {
    preflightOk = false;
  }
  if (!preflightOk) missing.push('recent_live_preflight');
  if (normaliseHost(g.brokerHost) !== LIVE_HOST) missing.push('live_host');
  return missing;
}

/** Scheme and host of a URL, without a trailing slash or path. */
export function normaliseHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return url;
  }
}

/** In paper mode the broker must not be the live host (a mismatch either way refuses). */
export function paperHostProblem(config: KobeConfig, brokerHost: string): string | null {
  if (config.trading.mode !== 'paper' || brokerHost === 'sim') return null;
  const h = normaliseHost(brokerHost);
  if (h === LIVE_HOST) return `paper mode but the broker resolves to the live host ${h}`;
  if (h !== PAPER_HOST && !h.startsWith('http://127.0.0.1') && !h.startsWith('http://localhost')) return `paper mode but the broker host ${h} is not the paper host ${PAPER_HOST}`;
  return null;
}
