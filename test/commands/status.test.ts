import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { runStatus } from '../../src/commands/status.js';
import { submitIntent } from '../../src/core/oms/submit.js';
import { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import type { TestContext } from '../helpers/context.js';
import { entry, simWorld } from '../helpers/sim.js';

let t: TestContext;
let server: FakeAlpacaServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  t?.cleanup();
});

describe('kobe status', () => {
  it('one screen: mode, kill switch, positions, budgets, session', async () => {
    t = await simWorld();
    // Accepted now, filled a moment later: status follows the order (its sync books the fill).
    await submitIntent(await t.ctx.submitDeps(), entry('AAPL', 10, 101));
    t.clock.advance(1_000);
    fs.writeFileSync(t.ctx.paths.killSwitch, 'maintenance');
    const r = await runStatus(t.ctx);
    expect(r).toMatchObject({ mode: 'paper', broker: 'sim', trading_state: { state: 'HALTED', record: { reason: 'maintenance' } }, brain: { running: false, heartbeat_age_s: null } });
    expect(r.broker_view.positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
    expect(r.budgets).toMatchObject({ entries_today: 1, daily_notional_limit: 25_000 });
    expect(r.session).toMatchObject({ date: '2025-01-14', is_trading_day: true, phase: 'morning' });
    expect(r.next[0]).toEqual({ at: '2025-01-14 11:30 ET', what: 'lunch' });
  });

  it('a broker that does not answer does not block the screen: it is reported, the rest is shown', async () => {
    t = await simWorld();
    server = await new FakeAlpacaServer().start();
    // Slower than the test's own timeout: if status waited for it, the test could not pass.
    server.slow(120_000);
    const cfg = path.join(t.home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca').replace('base_url: https://paper-api.alpaca.markets', `base_url: ${server.baseUrl}`));
    fs.writeFileSync(path.join(t.home, '.env'), `ALPACA_API_KEY_ID=${server.keyId}\nALPACA_API_SECRET_KEY=${server.secret}\n`, { mode: 0o600 });
    const r = await runStatus(t.ctx);
    expect(r.broker_view).toMatchObject({ ok: false, account: null });
    expect(r.broker_view.error).toMatch(/no answer within 3000 ms/);
    expect(r.trading_state.state).toBe('ACTIVE');
  }, 30_000);
});

describe('kobe status and state check with bad files', () => {
  it('status names a garbage idempotency store; state check lists every bad file of the home and exits 3', async () => {
    const { testContext } = await import('../helpers/context.js');
    const { runStateCheck } = await import('../../src/commands/state/check.js');
    const tc = await testContext({ json: true });
    try {
      fs.writeFileSync(tc.ctx.paths.state('idempotency_store.json'), 'garbage');
      const r = await runStatus(tc.ctx);
      expect(r.state_problems.map((p) => p.file)).toContain('state/idempotency_store.json');
      fs.appendFileSync(tc.ctx.paths.chain, 'not a block\n');
      fs.mkdirSync(tc.ctx.paths.state('approvals'), { recursive: true });
      fs.writeFileSync(tc.ctx.paths.state('approvals/x.json'), '{}');
      fs.writeFileSync(path.join(tc.ctx.paths.home, 'config', 'base.yaml'), 'trading: [1\n');
      fs.mkdirSync(tc.ctx.paths.killHistory);
      // A new process's view (config is read once per context).
      const { createContext } = await import('../../src/cli/context.js');
      const { MemoryStream } = await import('../helpers/context.js');
      const stdout = new MemoryStream();
      const ctx2 = await createContext({ home: tc.home, json: true, env: { USER: 't' }, streams: { stdout, stderr: new MemoryStream() } });
      const err = await runStateCheck(ctx2).catch((e) => e);
      expect(err.exitCode).toBe(3);
      const files = new Set((JSON.parse(stdout.data || '{}').problems ?? []).map((p: { file: string }) => p.file));
      for (const f of ['state/idempotency_store.json', 'state/hash_chain.jsonl', 'state/approvals/', 'config/base.yaml', 'state/kill_switch_history.jsonl']) expect([...files].some((x) => String(x).includes(f))).toBe(true);
    } finally {
      tc.cleanup();
    }
  });
});
