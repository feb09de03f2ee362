// Crash test: SIGKILL a writer mid-write hundreds of times. The state file must always parse and
// hold the last committed value or the one being written; the chain must verify or show only a
// torn tail, and the next writer must carry on (a dead writer's lock is taken over at once).
import { describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { verifyChain } from '../../src/core/audit/chain.js';
import { kobePaths } from '../../src/core/paths.js';
import { ROOT, initHome } from '../helpers/cli.js';

const WRITER = path.join(ROOT, 'test', 'e2e', 'fixtures', 'writer.mjs');
const KILLS = Number(process.env.KOBE_CRASH_KILLS ?? 200);

function runAndKill(home: string, start: number, delayMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WRITER, home, 'both', String(start), '1000000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let last: number | null = null;
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = buf.match(/committed (\d+)\n/g);
      if (m) last = Number(m[m.length - 1].split(' ')[1]);
    });
    let t: NodeJS.Timeout | undefined;
    child.stdout.once('data', () => (t = setTimeout(() => child.kill('SIGKILL'), delayMs)));
    child.on('close', () => {
      if (t) clearTimeout(t);
      resolve(last);
    });
  });
}

describe('crash safety', () => {
  it(`${KILLS} SIGKILLs mid-write: state is old-or-new, chain intact or torn tail only`, async () => {
    const { home, cleanup } = initHome();
    const paths = kobePaths(home);
    try {
      let committed = -1;
      let torn = 0;
      let rng = 12345;
      const rand = () => ((rng = (rng * 1103515245 + 12345) % 2147483648) / 2147483648);
      for (let i = 0; i < KILLS; i++) {
        const start = committed + 1;
        const last = await runAndKill(home, start, Math.floor(rand() * 25));
        if (last !== null) committed = last;
        const text = fs.existsSync(paths.state('positions.json')) ? fs.readFileSync(paths.state('positions.json'), 'utf8') : null;
        if (text !== null) {
          const qty = JSON.parse(text).positions[0].qty as number;
          // The value on disk is the last committed one, or the one whose write was cut off.
          expect([committed, committed + 1]).toContain(qty);
          if (qty === committed + 1) committed = qty;
        }
        const v = verifyChain(paths.chain, paths.chainHead);
        if (!['intact', 'torn_tail', 'empty'].includes(v.status)) throw new Error(`after kill ${i}: chain ${v.status} at block ${v.brokenAt}: ${v.reason}\n${fs.readFileSync(paths.chain, 'utf8').split('\n').slice(-4).join('\n')}\nhead ${fs.readFileSync(paths.chainHead, 'utf8')}`);
        if (v.status === 'torn_tail') torn++;
      }
      const final = verifyChain(paths.chain, paths.chainHead);
      expect(['intact', 'torn_tail']).toContain(final.status);
      // Writers keep making progress: each one takes over the lock its killed predecessor left.
      expect(committed).toBeGreaterThan(0);
      // How often a kill landed inside a chain append depends on the machine's load: not asserted.
      void torn;
    } finally {
      cleanup();
    }
  }, 300_000);
});
