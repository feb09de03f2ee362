// Ten processes at once: `kobe kill on` keeps exactly one record, and chain appends from ten
// writers lose nothing and leave a chain that verifies.
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyChain } from '../../src/core/audit/chain.js';
import { kobePaths } from '../../src/core/paths.js';
import { ROOT, initHome, kobeAsync } from '../helpers/cli.js';

const WRITER = path.join(ROOT, 'test', 'e2e', 'fixtures', 'writer.mjs');

function writer(home: string, tag: string, count: number): Promise<number | null> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [WRITER, home, 'chain', '0', String(count), tag], { stdio: 'ignore' });
    c.on('close', (code) => resolve(code));
  });
}

describe('concurrency', () => {
  it('10 concurrent kill on + 10 chain writers: one record, nothing lost, chain intact', async () => {
    const { home, cleanup } = initHome();
    const paths = kobePaths(home);
    try {
      const kills = Array.from({ length: 10 }, (_, i) => kobeAsync(['kill', 'on', '--reason', `r${i}`, '--home', home, '--json']).done);
      const writers = Array.from({ length: 10 }, (_, i) => writer(home, `w${i}`, 20));
      const [k, w] = await Promise.all([Promise.all(kills), Promise.all(writers)]);
      expect(k.map((r) => r.code)).toEqual(Array(10).fill(0));
      expect(w).toEqual(Array(10).fill(0));
      const created = k.map((r) => JSON.parse(r.stdout)).filter((j) => j.created);
      expect(created).toHaveLength(1);
      const record = JSON.parse(fs.readFileSync(paths.killSwitch, 'utf8'));
      expect(record.reason).toBe(created[0].trading_state.record.reason);
      const history = fs.readFileSync(paths.killHistory, 'utf8').trim().split('\n');
      expect(history).toHaveLength(1);
      const v = verifyChain(paths.chain, paths.chainHead);
      expect(v.status).toBe('intact');
      const payloads = fs.readFileSync(paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
      for (let i = 0; i < 10; i++) expect(payloads.filter((p) => p.tag === `w${i}`).map((p) => p.n)).toEqual(Array.from({ length: 20 }, (_, n) => n));
      expect(payloads.filter((p) => p.type === 'kill_on')).toHaveLength(1);
      expect(payloads.map((p) => p.seq)).toEqual(payloads.map((_, i) => i));
      expect(v.blocks).toBe(1 + 200 + 1);
    } finally {
      cleanup();
    }
  }, 120_000);
});
