// verify-chain on a generated 1,000,000-block chain: blocks/s and the ratio to hashing the same
// bytes with node:crypto alone (target >= 0.5: the hash is the limit, not JSON handling).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatBlock, verifyChain } from '../dist/core/audit/chain.js';
import { figure, fmt, time } from './lib.js';

export async function run({ blocks = 1_000_000 } = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-chain-'));
  const chain = path.join(dir, 'hash_chain.jsonl');
  const head = path.join(dir, 'hash_chain.head.json');
  const fd = fs.openSync(chain, 'w');
  let prev = null;
  let batch = [];
  const t0 = Date.parse('2025-01-14T15:00:00Z');
  for (let i = 0; i < blocks; i++) {
    const payload = { seq: i, ts: new Date(t0 + i * 1000).toISOString(), type: i % 7 === 0 ? 'order_submitted' : 'risk_veto', symbol: 'AAPL', qty: 10 + (i % 90), price: 101.25, reason: 'max_open_positions' };
    const { line, hash } = formatBlock(payload, prev);
    batch.push(line);
    prev = hash;
    if (batch.length === 10_000) {
      fs.writeSync(fd, `${batch.join('\n')}\n`);
      batch = [];
    }
  }
  if (batch.length) fs.writeSync(fd, `${batch.join('\n')}\n`);
  fs.closeSync(fd);
  fs.writeFileSync(head, JSON.stringify({ version: 1, seq: blocks - 1, hash: prev }));
  const bytes = fs.statSync(chain).size;

  const v = await time(() => verifyChain(chain, head));
  if (v.value.status !== 'intact') throw new Error(`generated chain did not verify: ${JSON.stringify(v.value)}`);
  // Baseline: read the same file and hash each block's hashed bytes, nothing else.
  const base = await time(() => {
    const text = fs.readFileSync(chain, 'utf8');
    let start = 0;
    let n = 0;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      createHash('sha256').update(text.slice(start, nl - 80)).update('}').digest('hex');
      start = nl + 1;
      n++;
    }
    return n;
  });
  fs.rmSync(dir, { recursive: true, force: true });
  figure(`verify-chain, ${blocks.toLocaleString('en-US')} blocks (${fmt(bytes / 1e6, 0)} MB) ms`, fmt(v.ms, 0), `${fmt(blocks / (v.ms / 1000), 0)} blocks/s`);
  figure('node:crypto alone on the same bytes, ms', fmt(base.ms, 0), `${fmt(blocks / (base.ms / 1000), 0)} blocks/s`);
  figure('verify-chain / hash-only throughput ratio', fmt(base.ms / v.ms, 2), '(target >= 0.5)');
}
