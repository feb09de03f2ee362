import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { LIVE_HOST, PAPER_HOST } from '../../../src/core/config/schema.js';
import { LIVE_GATES, missingLiveGates, recordSha256 } from '../../../src/core/risk/live-gates.js';
import { ApprovalSchema } from '../../../src/core/state/schemas.js';
import { LastPreflightFile } from '../../../src/core/state/schemas.js';
import { testContext, type TestContext } from '../../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

describe('live gates: every combination', () => {
  it('only all five present leaves nothing missing; each absent gate is named', async () => {
    t = await testContext();
    const { config, pin } = await t.ctx.config();
    const store = await t.ctx.state();
    const approvals = t.ctx.paths.state('approvals');
    const now = new Date('2025-01-14T15:00:00Z');
    for (let mask = 0; mask < 32; mask++) {
      const on = (i: number) => (mask & (1 << i)) !== 0;
      fs.rmSync(approvals, { recursive: true, force: true });
      fs.mkdirSync(approvals, { recursive: true });
      fs.rmSync(t.ctx.paths.chain, { force: true });
      fs.rmSync(t.ctx.paths.chainHead, { force: true });
      const audit = await t.ctx.audit();
      if (on(2)) {
        const a = ApprovalSchema.parse({ version: 1, id: 'live-1', kind: 'live_trading', status: 'approved', created_at: '2025-01-14T14:00:00Z', created_by: 'op', summary: 'go live', decided_at: '2025-01-14T14:01:00Z', decided_by: 'op', reason: null, interactive: true, pin, payload: null });
        fs.writeFileSync(path.join(approvals, 'live-1.json'), JSON.stringify(a));
        await audit.append('approval', { approval_id: a.id, record_sha256: recordSha256(a) });
      }
      const pf = { version: 1 as const, ts: on(3) ? '2025-01-14T14:45:00Z' : '2025-01-14T14:00:00Z', mode: 'live' as const, go: true, pin, rows: [] };
      await store.write(LastPreflightFile, pf);
      await audit.append('preflight', { mode: 'live', go: true, record_sha256: recordSha256(pf) });
      const missing = missingLiveGates({
        config: { ...config, trading: { ...config.trading, mode: on(0) ? 'live' : 'paper' } },
        pin,
        processEnv: on(1) ? { KOBE_LIVE_TRADING_ENABLED: 'true' } : { KOBE_LIVE_TRADING_ENABLED: 'yes' },
        store,
        approvalsDir: approvals,
        brokerHost: on(4) ? `${LIVE_HOST}/` : PAPER_HOST,
        now,
      });
      expect(missing).toEqual(LIVE_GATES.filter((_, i) => !on(i)));
    }
  });

  it('an approval given off a terminal, or under another pin, does not count', async () => {
    t = await testContext();
    const { pin } = await t.ctx.config();
    const dir = t.ctx.paths.state('approvals');
    fs.mkdirSync(dir, { recursive: true });
    const base = { version: 1, kind: 'live_trading', status: 'approved', created_at: '2025-01-14T14:00:00Z', created_by: 'op', summary: 'x', decided_at: '2025-01-14T14:01:00Z', decided_by: 'op', reason: null, payload: null };
    fs.writeFileSync(path.join(dir, 'a.json'), JSON.stringify({ ...base, id: 'a', interactive: false, pin }));
    fs.writeFileSync(path.join(dir, 'b.json'), JSON.stringify({ ...base, id: 'b', interactive: true, pin: 'f'.repeat(64) }));
    const { config } = await t.ctx.config();
    const missing = missingLiveGates({ config, pin, processEnv: {}, store: await t.ctx.state(), approvalsDir: dir, brokerHost: LIVE_HOST, now: new Date() });
    expect(missing).toContain('live_approval');
  });

  it('hand-written approval and preflight files without their audit blocks are missing gates', async () => {
    t = await testContext();
    const { config, pin } = await t.ctx.config();
    const store = await t.ctx.state();
    const dir = t.ctx.paths.state('approvals');
    fs.mkdirSync(dir, { recursive: true });
    const a = { version: 1, id: 'live-x', kind: 'live_trading', status: 'approved', created_at: '2025-01-14T14:00:00Z', created_by: 'op', summary: 'forged', decided_at: '2025-01-14T14:01:00Z', decided_by: 'op', reason: null, interactive: true, pin, payload: null };
    fs.writeFileSync(path.join(dir, 'live-x.json'), JSON.stringify(a));
    const pf = { version: 1 as const, ts: '2025-01-14T14:50:00Z', mode: 'live' as const, go: true, pin, rows: [] };
    await store.write(LastPreflightFile, pf);
    const input = { config: { ...config, trading: { ...config.trading, mode: 'live' as const } }, pin, processEnv: { KOBE_LIVE_TRADING_ENABLED: 'true' }, store, approvalsDir: dir, brokerHost: LIVE_HOST, now: new Date('2025-01-14T15:00:00Z') };
    expect(missingLiveGates(input)).toEqual(['live_approval', 'recent_live_preflight']);
    // A block for other bytes does not vouch for an edited file either.
    const audit = await t.ctx.audit();
    await audit.append('approval', { approval_id: 'live-x', record_sha256: recordSha256({ ...a, summary: 'original' }) });
    await audit.append('preflight', { mode: 'live', go: true, record_sha256: recordSha256(pf) });
    expect(missingLiveGates(input)).toEqual(['live_approval']);
    // A chain that no longer verifies vouches for nothing.
    fs.appendFileSync(t.ctx.paths.chain, '{"garbage":1}\n');
    expect(missingLiveGates(input)).toEqual(['live_approval', 'recent_live_preflight']);
  });
});
