// The tamper-evident audit chain (SPEC section 9): state/hash_chain.jsonl, one block per line,
// anchored by state/hash_chain.head.json so that truncation is detected.
// kobe writes each block as the canonical JSON of the whole block; its keys sort as payload,
// prev_hash, this_hash, so the hashed text is the line up to ',"this_hash"' plus '}'. Verification
// hashes that prefix directly and only falls back to a lossless re-parse for lines in another
// layout (such as the Python system's), which keeps the hash, not JSON handling, the cost.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { CheckFailed, StateError, errnoCode, errorText } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import { appendLineSync, atomicWrite, fsyncDir } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { RawNumber, canonicalJson, parseLossless } from './canonical.js';

/** Anchor of the last block. */
export interface ChainHead {
  version: 1;
  seq: number;
  hash: string;
}

/** One appended block as the caller sees it. */
export interface AppendedBlock {
  seq: number;
  hash: string;
  payload: Record<string, unknown>;
}

export type ChainStatus = 'intact' | 'empty' | 'broken' | 'torn_tail';

/** Outcome of verifying the chain. */
export interface ChainVerification {
  status: ChainStatus;
  blocks: number;
  /** 1-based line of the first bad block, when broken. */
  brokenAt?: number;
  reason?: string;
  head?: { seq: number; hash: string } | null;
  warnings: string[];
  tornBytes?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;
const SUFFIX_LEN = ',"this_hash":"'.length + 64 + 2;

/** sha256 hex of the canonical JSON of {payload, prev_hash}. */
export function blockHash(payload: unknown, prevHash: string | null): string {
  return createHash('sha256').update(canonicalJson({ payload, prev_hash: prevHash })).digest('hex');
}

/** The chain line for a payload and its predecessor's hash. */
export function formatBlock(payload: Record<string, unknown>, prevHash: string | null): { line: string; hash: string } {
  const prefix = `{"payload":${canonicalJson(payload)},"prev_hash":${prevHash === null ? 'null' : `"${prevHash}"`}`;
  const hash = createHash('sha256').update(`${prefix}}`).digest('hex');
  return { line: `${prefix},"this_hash":"${hash}"}`, hash };
}

interface CheckedLine {
  ok: boolean;
  prev?: string | null;
  hash?: string;
  reason?: string;
}

const PAYLOAD_OPEN = Buffer.from('{"payload":');
const THIS_HASH_TAG = Buffer.from(',"this_hash":"');
const PREV_NULL = Buffer.from('"prev_hash":null');
const PREV_TAG = Buffer.from(',"prev_hash":"');
const CLOSE = Buffer.from('}');

/** Fast path on raw bytes for lines in kobe's own layout; undefined when the layout differs. */
function checkKobeLine(buf: Buffer, s: number, e: number): CheckedLine | undefined {
  if (e - s <= SUFFIX_LEN + 30 || buf[e - 1] !== 0x7d || buf[e - 2] !== 0x22) return undefined;
  if (buf.compare(PAYLOAD_OPEN, 0, PAYLOAD_OPEN.length, s, s + PAYLOAD_OPEN.length) !== 0) return undefined;
  const pEnd = e - SUFFIX_LEN;
  if (buf.compare(THIS_HASH_TAG, 0, THIS_HASH_TAG.length, pEnd, pEnd + THIS_HASH_TAG.length) !== 0) return undefined;
  let prev: string | null;
  if (buf.compare(PREV_NULL, 0, PREV_NULL.length, pEnd - PREV_NULL.length, pEnd) === 0) prev = null;
  else if (buf[pEnd - 1] === 0x22 && buf.compare(PREV_TAG, 0, PREV_TAG.length, pEnd - 79, pEnd - 65) === 0) prev = buf.toString('latin1', pEnd - 65, pEnd - 1);
  else return undefined;
  const hash = buf.toString('latin1', e - 66, e - 2);
  if (createHash('sha256').update(buf.subarray(s, pEnd)).update(CLOSE).digest('hex') !== hash) return undefined;
  return { ok: true, prev, hash };
}

/** Check one complete line on its own: its hash, and report its prev_hash for linking. */
function checkLine(line: string): CheckedLine {
  const b = Buffer.from(line, 'utf8');
  return checkKobeLine(b, 0, b.length) ?? checkParsedLine(line);
}

/** Slow path: parse losslessly and hash the canonical form (any layout, e.g. Python's). */
function checkParsedLine(line: string): CheckedLine {
  let block: unknown;
  try {
    block = parseLossless(line);
  } catch (err) {
    return { ok: false, reason: `not JSON (${errorText(err)})` };
  }
  if (typeof block !== 'object' || block === null || Array.isArray(block)) return { ok: false, reason: 'not a JSON object' };
  const b = block as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  if (keys !== 'payload,prev_hash,this_hash') return { ok: false, reason: `unexpected fields (${keys})` };
  if (typeof b.payload !== 'object' || b.payload === null || Array.isArray(b.payload) || b.payload instanceof RawNumber) return { ok: false, reason: 'payload is not an object' };
  if (!(b.prev_hash === null || (typeof b.prev_hash === 'string' && HEX64.test(b.prev_hash)))) return { ok: false, reason: 'prev_hash is not null or a sha256 hex' };
  if (typeof b.this_hash !== 'string' || !HEX64.test(b.this_hash)) return { ok: false, reason: 'this_hash is not a sha256 hex' };
  const hash = blockHash(b.payload, b.prev_hash as string | null);
  if (hash !== b.this_hash) return { ok: false, reason: 'this_hash does not match the block content' };
  return { ok: true, prev: b.prev_hash as string | null, hash };
}

/** Read and validate the head anchor; null when absent. */
export function readHead(headFile: string): ChainHead | null {
  let text: string;
  try {
    text = fs.readFileSync(headFile, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw new StateError(headFile, '', `cannot read (${errorText(err)})`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    throw new StateError(headFile, '', `not valid JSON (${errorText(err)})`);
  }
  const o = v as Record<string, unknown>;
  if (typeof o !== 'object' || o === null) throw new StateError(headFile, '', 'not a JSON object');
  if (o.version !== 1) throw new StateError(headFile, 'version', 'expected 1');
  if (!Number.isSafeInteger(o.seq) || (o.seq as number) < 0) throw new StateError(headFile, 'seq', 'expected a non-negative integer');
  if (typeof o.hash !== 'string' || !HEX64.test(o.hash)) throw new StateError(headFile, 'hash', 'expected a sha256 hex');
  return { version: 1, seq: o.seq as number, hash: o.hash };
}

/** Iterate the lines of a file as byte ranges in bounded memory; the last may lack its newline. */
function* fileLines(file: string): Generator<{ buf: Buffer; start: number; end: number; complete: boolean }> {
  const fd = fs.openSync(file, 'r');
  try {
    let buf = Buffer.allocUnsafe(Math.max(4096, Math.min(16 << 20, fs.fstatSync(fd).size + 1)));
    let have = 0;
    for (;;) {
      if (have === buf.length) {
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const n = fs.readSync(fd, buf, have, buf.length - have, null);
      const end = have + n;
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(0x0a, start);
        if (nl < 0 || nl >= end) break;
        yield { buf, start, end: nl, complete: true };
        start = nl + 1;
      }
      if (n === 0) {
        if (end > start) yield { buf, start, end, complete: false };
        return;
      }
      buf.copy(buf, 0, start, end);
      have = end - start;
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Verify the whole chain against itself and its head anchor. */
export function verifyChain(chainFile: string, headFile: string): ChainVerification {
  const warnings: string[] = [];
  const head = readHead(headFile);
  if (!fs.existsSync(chainFile)) {
    if (head) return { status: 'broken', blocks: 0, brokenAt: 1, reason: `chain file is missing but the head anchors block ${head.seq}`, head, warnings };
    return { status: 'empty', blocks: 0, head: null, warnings };
  }
  let count = 0;
  let prev: string | null = null;
  let anchoredHash: string | undefined;
  let tornBytes: number | undefined;
  for (const { buf, start, end, complete } of fileLines(chainFile)) {
    if (!complete) {
      tornBytes = end - start;
      break;
    }
    const lineNo = count + 1;
    const r = end === start ? { ok: false, reason: 'empty line' } : (checkKobeLine(buf, start, end) ?? checkParsedLine(buf.toString('utf8', start, end)));
    if (!r.ok) return { status: 'broken', blocks: count, brokenAt: lineNo, reason: r.reason, head, warnings };
    if (r.prev !== prev) {
      const reason = count === 0 ? 'first block must have prev_hash null' : 'prev_hash does not match the previous block (a block was removed, swapped or edited)';
      return { status: 'broken', blocks: count, brokenAt: lineNo, reason, head, warnings };
    }
    if (head && count === head.seq) anchoredHash = r.hash;
    prev = r.hash!;
    count++;
  }
  if (head) {
    if (count <= head.seq) {
      return { status: 'broken', blocks: count, brokenAt: count + 1, reason: `truncated: the head anchors block ${head.seq + 1} but the chain has ${count} complete blocks`, head, warnings };
    }
    if (anchoredHash !== head.hash) return { status: 'broken', blocks: count, brokenAt: head.seq + 1, reason: 'block does not match the head anchor', head, warnings };
    const lag = count - 1 - head.seq;
    if (lag > 1) return { status: 'broken', blocks: count, brokenAt: head.seq + 2, reason: `${lag} blocks beyond the head anchor`, head, warnings };
    if (lag === 1) warnings.push('the head anchor is one block behind (a crash between append and anchor update); the next append repairs it');
  } else if (count > 0) {
    warnings.push('no head anchor (hash_chain.head.json): truncation cannot be detected until kobe appends a block');
  }
  if (tornBytes !== undefined) return { status: 'torn_tail', blocks: count, head, warnings, tornBytes, reason: 'the last line is incomplete (a write interrupted by a crash)' };
  return { status: count === 0 ? 'empty' : 'intact', blocks: count, head, warnings };
}

/** Last complete line of the chain and whether a torn tail follows it (reads only the end). */
function readTail(chainFile: string): { last: string | null; tornFrom: number | null; size: number } {
  let fd: number;
  try {
    fd = fs.openSync(chainFile, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { last: null, tornFrom: null, size: 0 };
    throw err;
  }
  try {
    const size = fs.fstatSync(fd).size;
    let window = 64 * 1024;
    for (;;) {
      const start = Math.max(0, size - window);
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      const lastNl = buf.lastIndexOf(0x0a);
      if (lastNl < 0 && start > 0) {
        window *= 4;
        continue;
      }
      const tornFrom = lastNl === buf.length - 1 ? null : start + lastNl + 1;
      if (lastNl < 0) return { last: null, tornFrom: size > 0 ? 0 : null, size };
      // lastIndexOf with a negative offset counts from the end, so a newline at 0 needs no search.
      const prevNl = lastNl === 0 ? -1 : buf.lastIndexOf(0x0a, lastNl - 1);
      if (prevNl < 0 && start > 0) {
        window *= 4;
        continue;
      }
      return { last: buf.toString('utf8', prevNl + 1, lastNl), tornFrom, size };
    }
  } finally {
    fs.closeSync(fd);
  }
}

function countLines(file: string): number {
  let n = 0;
  for (const l of fileLines(file)) if (l.complete) n++;
  return n;
}

/** Append-side access to the chain: locked, fsynced, anchored. */
export class AuditChain {
  constructor(
    readonly chainFile: string,
    readonly headFile: string,
    private readonly clock: Clock,
  ) {}

  /** Append one record; repairs a torn tail left by a crash first (recording that it did). */
  async append(type: string, data: Record<string, unknown> = {}): Promise<AppendedBlock> {
    return withLock(this.chainFile, () => this.appendLocked([{ ...data, type }], 'append'));
  }

  /** Remove only a torn tail (incomplete last line) and record that; null when there is none. */
  async repair(by: string): Promise<AppendedBlock | null> {
    return withLock(this.chainFile, async () => {
      if (readTail(this.chainFile).tornFrom === null) return null;
      return this.appendLocked([], by);
    });
  }

  /** Whether this process has verified the whole chain once (later appends only extend it). */
  private verified = false;

  /**
   * Verify the whole chain once per process before extending it: a block tampered with anywhere
   * (not only the last one) stops every append, exit 5 naming the block. A torn tail is left to
   * the append's own repair.
   */
  private verifyOnce(): void {
    if (this.verified) return;
    const v = verifyChain(this.chainFile, this.headFile);
    if (v.status === 'broken') throw new CheckFailed(`the audit chain is broken at block ${v.brokenAt} (${v.reason}): refusing to extend it`, { hint: 'run `kobe verify-chain` and see RUNBOOK.md, audit chain; nothing was appended', details: { broken_at: v.brokenAt } });
    this.verified = true;
  }

  /** Throw the error an append would throw, without writing: for checks before an order leaves. */
  checkTail(): void {
    this.verifyOnce();
    const { last } = readTail(this.chainFile);
    if (last === null) {
      if (readHead(this.headFile)) throw new StateError(this.headFile, 'seq', 'the head anchors blocks but the chain has none', { hint: 'run `kobe verify-chain`' });
      return;
    }
    const r = checkLine(last);
    if (!r.ok) throw new StateError(this.chainFile, 'last block', `${r.reason}; the chain cannot be extended`, { hint: 'run `kobe verify-chain` to locate the damage' });
    this.nextSeq(r);
  }

  private async appendLocked(records: Array<Record<string, unknown>>, by: string): Promise<AppendedBlock> {
    this.verifyOnce();
    const { last, tornFrom, size } = readTail(this.chainFile);
    let prevHash: string | null = null;
    let seq = 0;
    // Validate the end of the chain against the anchor before touching anything.
    if (last !== null) {
      const r = checkLine(last);
      if (!r.ok) throw new StateError(this.chainFile, 'last block', `${r.reason}; refusing to extend a damaged chain`, { hint: 'run `kobe verify-chain` to locate the damage' });
      prevHash = r.hash!;
      seq = this.nextSeq(r);
      // An anchor one block behind (a writer died between its append and its anchor update) is
      // moved up first: appending under it and dying again would leave it two behind (broken).
      const head = readHead(this.headFile);
      if (head && head.hash !== r.hash) await atomicWrite(this.headFile, `${JSON.stringify({ version: 1, seq: seq - 1, hash: r.hash })}\n`);
    } else if (readHead(this.headFile)) {
      throw new StateError(this.headFile, 'seq', 'the head anchors blocks but the chain has none; refusing to append', { hint: 'run `kobe verify-chain`' });
    }
    const pending = [...records];
    if (tornFrom !== null) {
      const removed = this.cutTornTail(tornFrom, size);
      pending.unshift({ type: 'chain_repaired', removed_bytes: removed.bytes, saved_to: removed.savedTo, by });
    }
    let result: AppendedBlock | undefined;
    for (const p of pending) {
      const payload = { ...p, type: p.type, seq, ts: this.clock.now().toISOString() };
      const { line, hash } = formatBlock(payload, prevHash);
      appendLineSync(this.chainFile, line);
      // The anchor follows every block, so a crash leaves it at most one block behind (a repair
      // appends two blocks: anchoring only the last would leave a gap of two).
      await atomicWrite(this.headFile, `${JSON.stringify({ version: 1, seq, hash })}\n`);
      result = { seq, hash, payload };
      prevHash = hash;
      seq++;
    }
    return result!;
  }

  private cutTornTail(from: number, size: number): { bytes: number; savedTo: string } {
    const bytes = size - from;
    const buf = Buffer.alloc(bytes);
    const fd = fs.openSync(this.chainFile, 'r+');
    try {
      fs.readSync(fd, buf, 0, bytes, from);
      const savedTo = `${this.chainFile}.torn-${this.clock.now().toISOString().replace(/[:.]/g, '-')}`;
      fs.writeFileSync(savedTo, buf);
      fs.ftruncateSync(fd, from);
      fs.fsyncSync(fd);
      fsyncDir(path.dirname(this.chainFile));
      return { bytes, savedTo: path.basename(savedTo) };
    } finally {
      fs.closeSync(fd);
    }
  }

  private nextSeq(checked: CheckedLine): number {
    const head = readHead(this.headFile);
    if (head && head.hash === checked.hash) return head.seq + 1;
    if (head && head.hash === checked.prev) return head.seq + 2;
    // Extending past a mismatched anchor would overwrite the evidence of a truncation.
    if (head) throw new StateError(this.headFile, 'hash', 'the head anchor does not match the end of the chain; refusing to append', { hint: 'run `kobe verify-chain` to see where the chain was cut' });
    // The head anchors a line index, so without one the next seq is the line count (a payload's
    // own seq, as another writer numbered it, may differ).
    return countLines(this.chainFile);
  }
}
