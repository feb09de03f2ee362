import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { LIVE_HOST, PAPER_HOST } from '../../../src/core/config/schema.js';
import { LIVE_GATES, missingLiveGates } from '../../../src/core/risk/live-gates.js';
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
      if (on(2)) {
        fs.writeFileSync(path.join(approvals, 'live-1.json'), JSON.stringify({ version: 1, id: 'live-1', kind: 'live_trading', status: 'approved', created_at: '2025-01-14T14:00:00Z', created_by: 'op', summary: 'go live', decided_at: '2025-01-14T14:01:00Z', decided_by: 'op', reason: null, interactive: true, pin, payload: null }));
      }
      await store.write(LastPreflightFile, { version: 1, ts: on(3) ? '2025-01-14T14:45:00Z' : '2025-01-14T14:00:00Z', mode: 'live', go: true, pin, rows: [] });
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
});
