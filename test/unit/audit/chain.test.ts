// The audit chain (SPEC section 9): hashing vectors, Python-layout compatibility, the head anchor,
// an exhaustive mutation sweep, torn tails and their repair.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import fc from 'fast-check';
import { AuditChain, blockHash, formatBlock, readHead, verifyChain } from '../../../src/core/audit/chain.js';
import { canonicalJson } from '../../../src/core/audit/canonical.js';
import { StateError } from '../../../src/core/errors.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

const H1 = 'c92111968844deac40e032c0daa9e4331275e2dc9303c2920b12db1bdc088ff6';
const H2 = '067402f162d22f0b597d0a5a6fff458ea7a26c7ee37b63f295077fbc25d47889';
const PY_CHAIN = fs.readFileSync(new URL('./fixtures/python_chain.jsonl', import.meta.url), 'utf8');

let home: TempHome;
let clock: FakeClock;
let chainFile: string;
let headFile: string;

beforeEach(() => {
  home = tempStateHome();
  clock = new FakeClock('2025-01-14T15:00:00Z');
  chainFile = home.paths.chain;
  headFile = home.paths.chainHead;
});
afterEach(() => home.cleanup());

const verify = () => verifyChain(chainFile, headFile);
const lines = () => fs.readFileSync(chainFile, 'utf8').split('\n').filter((l) => l !== '');

/** Append n blocks through AuditChain, advancing the fake clock a second each. */
async function appendBlocks(n: number, lean = false): Promise<AuditChain> {
  const chain = new AuditChain(chainFile, headFile, clock);
  for (let i = 0; i < n; i++) {
    if (lean) await chain.append('approval', { i });
    else await chain.append(i % 2 === 0 ? 'order_submitted' : 'risk_veto', { symbol: `SYM${i}`, qty: i + 1, price: 10.5 + i, note: `caf\u00e9 ${i}` });
    clock.advance(1000);
  }
  return chain;
}

describe('block hashing', () => {
  it('matches the required vectors for a two-block chain from genesis', () => {
    const b1 = formatBlock({ event: 'test1', data: 'foo' }, null);
    const b2 = formatBlock({ event: 'test2', data: 'bar' }, b1.hash);
    expect(b1.hash).toBe(H1);
    expect(b2.hash).toBe(H2);
    expect(blockHash({ event: 'test1', data: 'foo' }, null)).toBe(H1);
    expect(blockHash({ data: 'bar', event: 'test2' }, H1)).toBe(H2);
    expect(b1.line).toBe(`{"payload":{"data":"foo","event":"test1"},"prev_hash":null,"this_hash":"${H1}"}`);
    expect(b2.line).toBe(`{"payload":{"data":"bar","event":"test2"},"prev_hash":"${H1}","this_hash":"${H2}"}`);
  });

  it('hashes the canonical JSON of {payload, prev_hash}', () => {
    const payload = { z: [1, 0.5, 'x\u00e9'], a: { k: null } };
    const prev = 'ab'.repeat(32);
    const expected = createHash('sha256').update(canonicalJson({ prev_hash: prev, payload })).digest('hex');
    expect(blockHash(payload, prev)).toBe(expected);
    expect(formatBlock(payload, prev).hash).toBe(expected);
  });

  it('formats a line that is the canonical JSON of the whole block', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }), fc.option(fc.stringMatching(/^[0-9a-f]{64}$/)), (payload, prev) => {
        const { line, hash } = formatBlock(payload, prev);
        expect(hash).toBe(blockHash(payload, prev));
        expect(line).toBe(canonicalJson({ payload, prev_hash: prev, this_hash: hash }));
      }),
      { numRuns: 150 },
    );
  });
});

describe('verifyChain', () => {
  it('reports a missing chain without a head as empty', () => {
    expect(verify()).toEqual({ status: 'empty', blocks: 0, head: null, warnings: [] });
  });

  it('reports a missing chain whose head anchors blocks as broken at block 1', () => {
    fs.writeFileSync(headFile, JSON.stringify({ version: 1, seq: 3, hash: H1 }));
    const v = verify();
    expect(v.status).toBe('broken');
    expect(v.brokenAt).toBe(1);
    expect(v.reason).toMatch(/chain file is missing but the head anchors block 3/);
  });

  it('verifies the two required vectors as an intact chain with a missing-anchor warning', () => {
    const b1 = formatBlock({ event: 'test1', data: 'foo' }, null);
    const b2 = formatBlock({ event: 'test2', data: 'bar' }, b1.hash);
    fs.writeFileSync(chainFile, `${b1.line}\n${b2.line}\n`);
    const v = verify();
    expect(v.status).toBe('intact');
    expect(v.blocks).toBe(2);
    expect(v.head).toBeNull();
    expect(v.warnings).toHaveLength(1);
    expect(v.warnings[0]).toMatch(/no head anchor/);
  });

  it('verifies a chain in the Python layout (spaces, prev_hash first, float literals like 1.0 and 1e+16)', () => {
    expect(PY_CHAIN).toContain('"notional": 1875.0');
    expect(PY_CHAIN).toContain('"tiny": 1e+16');
    expect(PY_CHAIN).toContain('"neg": -0.0');
    fs.writeFileSync(chainFile, PY_CHAIN);
    const v = verify();
    expect(v).toMatchObject({ status: 'intact', blocks: 4, head: null });
    expect(v.warnings).toEqual([expect.stringMatching(/no head anchor/)]);
    // The first Python block is the required vector.
    expect(PY_CHAIN.split('\n')[0]).toContain(H1);
  });

  it('detects an edit of a float literal in a Python-layout chain (1875.0 -> 1875)', () => {
    fs.writeFileSync(chainFile, PY_CHAIN.replace('"notional": 1875.0', '"notional": 1875'));
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 2, reason: 'this_hash does not match the block content' });
  });

  it('names the reason for malformed blocks', () => {
    const b1 = formatBlock({ a: 1 }, null);
    const cases: [string, RegExp][] = [
      ['not json', /not JSON/],
      ['[1,2]', /not a JSON object/],
      [`{"payload":{},"prev_hash":null}`, /unexpected fields \(payload,prev_hash\)/],
      [`{"payload":[],"prev_hash":null,"this_hash":"${H1}"}`, /payload is not an object/],
      [`{"payload":{},"prev_hash":"xyz","this_hash":"${H1}"}`, /prev_hash is not null or a sha256 hex/],
      [`{"payload":{},"prev_hash":null,"this_hash":"ABC"}`, /this_hash is not a sha256 hex/],
      ['', /empty line/],
    ];
    for (const [bad, reason] of cases) {
      fs.writeFileSync(chainFile, `${b1.line}\n${bad}\n`);
      const v = verify();
      expect([bad, v.status, v.brokenAt]).toEqual([bad, 'broken', 2]);
      expect(v.reason).toMatch(reason);
    }
    fs.writeFileSync(chainFile, `${formatBlock({ a: 1 }, H1).line}\n`);
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 1, reason: 'first block must have prev_hash null' });
  });

  it('throws StateError naming the head file when the head is corrupt', () => {
    fs.writeFileSync(chainFile, `${formatBlock({ a: 1 }, null).line}\n`);
    for (const [text, field] of [
      ['{not json', ''],
      ['{"version":2,"seq":0,"hash":"' + H1 + '"}', 'version'],
      ['{"version":1,"seq":-1,"hash":"' + H1 + '"}', 'seq'],
      ['{"version":1,"seq":0,"hash":"nothex"}', 'hash'],
    ] as const) {
      fs.writeFileSync(headFile, text);
      let err: unknown;
      try {
        verify();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(StateError);
      expect((err as StateError).file).toBe(headFile);
      expect((err as StateError).field).toBe(field);
      expect((err as StateError).exitCode).toBe(3);
    }
  });
});

describe('AuditChain.append', () => {
  it('builds a chain that verifies, with seq, ts and type in every payload and the head on the last block', async () => {
    const chain = new AuditChain(chainFile, headFile, clock);
    const a = await chain.append('kill_on', { reason: 'test' });
    clock.advance(1500);
    const b = await chain.append('kill_off', { note: 'n' });
    expect(a).toEqual({ seq: 0, hash: blockHash(a.payload, null), payload: { type: 'kill_on', reason: 'test', seq: 0, ts: '2025-01-14T15:00:00.000Z' } });
    expect(b.seq).toBe(1);
    expect(b.payload).toEqual({ type: 'kill_off', note: 'n', seq: 1, ts: '2025-01-14T15:00:01.500Z' });
    expect(b.hash).toBe(blockHash(b.payload, a.hash));
    expect(readHead(headFile)).toEqual({ version: 1, seq: 1, hash: b.hash });
    expect(lines()).toEqual([formatBlock(a.payload, null).line, formatBlock(b.payload, a.hash).line]);
    expect(verify()).toEqual({ status: 'intact', blocks: 2, head: { version: 1, seq: 1, hash: b.hash }, warnings: [] });
  });

  it('serialises concurrent appends from one process: every seq once, chain intact', async () => {
    const chain = new AuditChain(chainFile, headFile, clock);
    const out = await Promise.all(Array.from({ length: 12 }, (_, i) => chain.append('approval', { i })));
    expect(out.map((b) => b.seq).sort((x, y) => x - y)).toEqual([...Array(12).keys()]);
    expect(verify()).toMatchObject({ status: 'intact', blocks: 12, warnings: [] });
    expect(readHead(headFile)!.seq).toBe(11);
  });

  it('continues a Python chain that has no head: seq follows the line count and the new head verifies', async () => {
    fs.writeFileSync(chainFile, PY_CHAIN);
    const chain = new AuditChain(chainFile, headFile, clock);
    const b = await chain.append('config_pin_changed');
    expect(b.seq).toBe(4);
    expect(JSON.parse(lines()[4]).prev_hash).toBe('9580492371d862dd0bcbacdfd1d55f57e5198bfabd0fa4799c671c440ee58ee7');
    expect(verify()).toMatchObject({ status: 'intact', blocks: 5, warnings: [] });
  });

  it('continues a headless chain whose payloads carry their own seq numbering (not the line index)', async () => {
    // A chain from another writer that numbered its records from 1: the head kobe writes must
    // still anchor the right line, or the next verify reports a truncation that never happened.
    let prev: string | null = null;
    let text = '';
    for (let s = 1; s <= 3; s++) {
      const b = formatBlock({ seq: s, type: 'legacy' }, prev);
      text += `${b.line}\n`;
      prev = b.hash;
    }
    fs.writeFileSync(chainFile, text);
    await new AuditChain(chainFile, headFile, clock).append('approval');
    expect(verify()).toMatchObject({ status: 'intact', blocks: 4, warnings: [] });
    await new AuditChain(chainFile, headFile, clock).append('approval');
    expect(verify()).toMatchObject({ status: 'intact', blocks: 5, warnings: [] });
  });

  it('refuses (StateError) to extend a chain whose head does not match its end, and changes nothing', async () => {
    const chain = await appendBlocks(5);
    const all = lines();
    fs.writeFileSync(chainFile, `${all.slice(0, 3).join('\n')}\n`);
    const before = fs.readFileSync(chainFile);
    const headBefore = fs.readFileSync(headFile);
    await expect(chain.append('kill_on')).rejects.toThrow(StateError);
    await expect(chain.append('kill_on')).rejects.toMatchObject({ file: headFile, field: 'hash', exitCode: 3 });
    expect(fs.readFileSync(chainFile).equals(before)).toBe(true);
    expect(fs.readFileSync(headFile).equals(headBefore)).toBe(true);
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 4 });
  });

  it('refuses a truncation to zero blocks when the head anchors blocks', async () => {
    const chain = await appendBlocks(2);
    fs.writeFileSync(chainFile, '');
    await expect(chain.append('kill_on')).rejects.toMatchObject({ file: headFile, field: 'seq' });
    expect(fs.statSync(chainFile).size).toBe(0);
  });

  it('refuses to extend a chain whose last block is damaged, and changes nothing', async () => {
    const chain = await appendBlocks(3);
    const text = fs.readFileSync(chainFile, 'utf8').replace(/SYM2/, 'SYM9');
    fs.writeFileSync(chainFile, text);
    await expect(chain.append('kill_on')).rejects.toMatchObject({ field: 'last block', message: expect.stringMatching(/this_hash does not match/) });
    expect(fs.readFileSync(chainFile, 'utf8')).toBe(text);
  });

  it('continues correctly when the head is one block behind (crash between append and head update)', async () => {
    const chain = await appendBlocks(8);
    const h = lines().map((l) => JSON.parse(l).this_hash as string);
    fs.writeFileSync(headFile, JSON.stringify({ version: 1, seq: 6, hash: h[6] }));
    const v = verify();
    expect(v.status).toBe('intact');
    expect(v.blocks).toBe(8);
    expect(v.warnings).toEqual([expect.stringMatching(/one block behind/)]);
    const b = await chain.append('approval');
    expect(b.seq).toBe(8);
    expect(JSON.parse(lines()[8]).prev_hash).toBe(h[7]);
    expect(readHead(headFile)).toEqual({ version: 1, seq: 8, hash: b.hash });
    expect(verify()).toMatchObject({ status: 'intact', blocks: 9, warnings: [] });
  });

  it('reports a head two blocks behind as broken and refuses to append', async () => {
    const chain = await appendBlocks(8);
    const h = lines().map((l) => JSON.parse(l).this_hash as string);
    fs.writeFileSync(headFile, JSON.stringify({ version: 1, seq: 5, hash: h[5] }));
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 7, reason: '2 blocks beyond the head anchor' });
    await expect(chain.append('approval')).rejects.toThrow(StateError);
  });

  it('reports a head whose hash differs from the anchored block as broken at that block', async () => {
    await appendBlocks(4);
    fs.writeFileSync(headFile, JSON.stringify({ version: 1, seq: 3, hash: H1 }));
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 4, reason: 'block does not match the head anchor' });
  });
});

describe('mutation sweep on an 8-block chain', () => {
  let original: Buffer;
  let lineStarts: number[];
  const lineOf = (pos: number) => lineStarts.filter((s) => s <= pos).length; // 1-based

  beforeEach(async () => {
    // Small payloads keep the exhaustive sweeps (two edits per byte, a cut at every offset) quick.
    await appendBlocks(8, true);
    original = fs.readFileSync(chainFile);
    lineStarts = [0];
    for (let i = 0; i < original.length - 1; i++) if (original[i] === 0x0a) lineStarts.push(i + 1);
    expect(lineStarts).toHaveLength(8);
    expect(verify()).toMatchObject({ status: 'intact', blocks: 8, warnings: [] });
  });

  it('detects every single-byte edit (XOR 0x01 and replacement by "x") at the edited line', () => {
    let tried = 0;
    for (let pos = 0; pos < original.length; pos++) {
      for (const byte of [original[pos] ^ 0x01, 0x78]) {
        if (byte === original[pos]) continue;
        const buf = Buffer.from(original);
        buf[pos] = byte;
        fs.writeFileSync(chainFile, buf);
        const v = verify();
        if (v.status !== 'broken' || v.brokenAt !== lineOf(pos)) throw new Error(`edit at byte ${pos} (line ${lineOf(pos)}) to 0x${byte.toString(16)}: ${JSON.stringify(v)}`);
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(original.length * 1.9);
  });

  it('detects every deleted line at its position', () => {
    const ls = original.toString('utf8').split('\n').slice(0, 8);
    for (let k = 0; k < 8; k++) {
      fs.writeFileSync(chainFile, `${ls.filter((_, i) => i !== k).join('\n')}\n`);
      expect([k, verify()]).toEqual([k, expect.objectContaining({ status: 'broken', brokenAt: k + 1 })]);
    }
  });

  it('detects every swap of adjacent lines', () => {
    const ls = original.toString('utf8').split('\n').slice(0, 8);
    for (let k = 0; k < 7; k++) {
      const sw = [...ls];
      [sw[k], sw[k + 1]] = [sw[k + 1], sw[k]];
      fs.writeFileSync(chainFile, `${sw.join('\n')}\n`);
      expect([k, verify()]).toEqual([k, expect.objectContaining({ status: 'broken', brokenAt: k + 1 })]);
    }
  });

  it('detects a duplicated line and an appended copy of the last block', () => {
    const ls = original.toString('utf8').split('\n').slice(0, 8);
    fs.writeFileSync(chainFile, `${[...ls.slice(0, 4), ls[3], ...ls.slice(4)].join('\n')}\n`);
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 5 });
    fs.writeFileSync(chainFile, `${[...ls, ls[7]].join('\n')}\n`);
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 9 });
  });

  it('detects truncation at every byte offset through the head anchor', () => {
    for (let t = 0; t < original.length; t++) {
      fs.writeFileSync(chainFile, original.subarray(0, t));
      const complete = lineStarts.filter((s) => s > 0 && s <= t).length;
      const v = verify();
      if (v.status !== 'broken' || v.brokenAt !== complete + 1 || v.blocks !== complete) throw new Error(`truncation at ${t}: ${JSON.stringify(v)}`);
    }
  });

  it('cannot detect a truncation once the head file is also gone, but says so', () => {
    fs.writeFileSync(chainFile, original.subarray(0, lineStarts[5]));
    fs.rmSync(headFile);
    expect(verify()).toMatchObject({ status: 'intact', blocks: 5, warnings: [expect.stringMatching(/truncation cannot be detected/)] });
  });

  it('property: a random single-byte replacement anywhere is detected', () => {
    fc.assert(
      fc.property(fc.nat({ max: original.length - 1 }), fc.integer({ min: 0, max: 255 }), (pos, byte) => {
        fc.pre(byte !== original[pos]);
        const buf = Buffer.from(original);
        buf[pos] = byte;
        fs.writeFileSync(chainFile, buf);
        expect(verify().status).toBe('broken');
      }),
      { numRuns: 200 },
    );
  });
});

describe('torn tails', () => {
  const partial = (payload: Record<string, unknown>, prev: string, bytes: number) => formatBlock(payload, prev).line.slice(0, bytes);

  it('reports a torn line beyond the anchor as torn_tail, not broken', async () => {
    await appendBlocks(8);
    const head = readHead(headFile)!;
    fs.appendFileSync(chainFile, partial({ type: 'x', seq: 8 }, head.hash, 50));
    const v = verify();
    expect(v).toMatchObject({ status: 'torn_tail', blocks: 8, tornBytes: 50, warnings: [] });
    expect(v.reason).toMatch(/incomplete/);
  });

  it('reports a torn first line of a new chain as torn_tail', () => {
    fs.writeFileSync(chainFile, '{"payload":{"ty');
    expect(verify()).toMatchObject({ status: 'torn_tail', blocks: 0, tornBytes: 15 });
  });

  it('repair removes only the torn tail, saves its bytes beside the chain and records chain_repaired', async () => {
    const chain = await appendBlocks(8);
    const head = readHead(headFile)!;
    const intactBytes = fs.readFileSync(chainFile);
    const torn = partial({ type: 'order_filled', seq: 8 }, head.hash, 77);
    fs.appendFileSync(chainFile, torn);
    const b = await chain.repair('operator');
    expect(b).not.toBeNull();
    expect(b!.seq).toBe(8);
    expect(b!.payload).toEqual({
      type: 'chain_repaired',
      removed_bytes: 77,
      saved_to: 'hash_chain.jsonl.torn-2025-01-14T15-00-08-000Z',
      by: 'operator',
      seq: 8,
      ts: '2025-01-14T15:00:08.000Z',
    });
    expect(fs.readFileSync(path.join(home.paths.stateDir, 'hash_chain.jsonl.torn-2025-01-14T15-00-08-000Z'), 'utf8')).toBe(torn);
    const now = fs.readFileSync(chainFile);
    expect(now.subarray(0, intactBytes.length).equals(intactBytes)).toBe(true);
    expect(now.subarray(intactBytes.length).toString()).toBe(`${formatBlock(b!.payload, head.hash).line}\n`);
    expect(readHead(headFile)).toEqual({ version: 1, seq: 8, hash: b!.hash });
    expect(verify()).toEqual({ status: 'intact', blocks: 9, head: { version: 1, seq: 8, hash: b!.hash }, warnings: [] });
  });

  it('repair does nothing and returns null when there is no torn tail', async () => {
    const chain = await appendBlocks(3);
    const before = fs.readFileSync(chainFile);
    await expect(chain.repair('operator')).resolves.toBeNull();
    expect(fs.readFileSync(chainFile).equals(before)).toBe(true);
  });

  it('repair refuses to touch a chain cut inside an anchored block', async () => {
    const chain = await appendBlocks(4);
    const buf = fs.readFileSync(chainFile);
    fs.writeFileSync(chainFile, buf.subarray(0, buf.length - 20));
    const cut = fs.readFileSync(chainFile);
    expect(verify()).toMatchObject({ status: 'broken', brokenAt: 4 });
    await expect(chain.repair('operator')).rejects.toThrow(StateError);
    expect(fs.readFileSync(chainFile).equals(cut)).toBe(true);
  });

  it('append after a torn tail repairs it first: chain_repaired, then the record', async () => {
    const chain = await appendBlocks(8);
    const head = readHead(headFile)!;
    fs.appendFileSync(chainFile, partial({ type: 'x' }, head.hash, 30));
    const b = await chain.append('kill_on', { reason: 'r' });
    expect(b.seq).toBe(9);
    expect(b.payload).toMatchObject({ type: 'kill_on', reason: 'r', seq: 9 });
    const ls = lines();
    expect(ls).toHaveLength(10);
    expect(JSON.parse(ls[8]).payload).toMatchObject({ type: 'chain_repaired', removed_bytes: 30, by: 'append', seq: 8 });
    expect(JSON.parse(ls[9]).prev_hash).toBe(JSON.parse(ls[8]).this_hash);
    expect(verify()).toMatchObject({ status: 'intact', blocks: 10, warnings: [] });
  });

  it('append repairs a torn first line of a new chain', async () => {
    fs.writeFileSync(chainFile, '{"payload":{"ty');
    const b = await new AuditChain(chainFile, headFile, clock).append('approval');
    expect(b.seq).toBe(1);
    expect(JSON.parse(lines()[0]).payload).toMatchObject({ type: 'chain_repaired', removed_bytes: 15, seq: 0 });
    expect(verify()).toMatchObject({ status: 'intact', blocks: 2 });
  });

  it('repairs a torn tail of exactly 64 KiB - 1 bytes (the tail reader window edge)', async () => {
    const chain = await appendBlocks(3);
    fs.appendFileSync(chainFile, `{"payload":{"junk":"${'j'.repeat(65535 - 20)}`);
    expect(verify()).toMatchObject({ status: 'torn_tail', blocks: 3, tornBytes: 65535 });
    const b = await chain.repair('operator');
    expect(b!.payload).toMatchObject({ type: 'chain_repaired', removed_bytes: 65535, seq: 3 });
    expect(verify()).toMatchObject({ status: 'intact', blocks: 4 });
  });

  it('repairs torn tails longer than the tail reader window', async () => {
    const chain = await appendBlocks(2);
    fs.appendFileSync(chainFile, `{"payload":{"junk":"${'j'.repeat(200_000)}`);
    const b = await chain.append('approval');
    expect(b.seq).toBe(3);
    expect(verify()).toMatchObject({ status: 'intact', blocks: 4 });
  });
});
