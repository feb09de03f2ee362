// An append verifies the whole chain (once per process) and refuses to extend one that was
// tampered with anywhere, not only at its last block.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { AuditChain } from '../../../src/core/audit/chain.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { testContext, type TestContext } from '../../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

describe('appends on a tampered chain', () => {
  it('an edited early block stops the next append (exit 5, naming the block); nothing is appended', async () => {
    t = await testContext();
    const first = new AuditChain(t.ctx.paths.chain, t.ctx.paths.chainHead, new FakeClock());
    for (let i = 0; i < 5; i++) await first.append('note', { i });
    const lines = fs.readFileSync(t.ctx.paths.chain, 'utf8').split('\n');
    lines[1] = lines[1].replace('"i":1', '"i":7');
    fs.writeFileSync(t.ctx.paths.chain, lines.join('\n'));
    const before = fs.readFileSync(t.ctx.paths.chain, 'utf8');
    // A new process (a new chain object) verifies before its first append.
    const next = new AuditChain(t.ctx.paths.chain, t.ctx.paths.chainHead, new FakeClock());
    const err = await next.append('note', { i: 5 }).catch((e) => e);
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/broken at block 2/);
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8')).toBe(before);
    expect(() => next.checkTail()).toThrow(/broken at block 2/);
  });
});
