import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { runKillOff } from '../../src/commands/kill/off.js';
import { runKillOn, renderKillOn } from '../../src/commands/kill/on.js';
import { runKillHistory, runKillStatus } from '../../src/commands/kill/status.js';
import { verifyChain } from '../../src/core/audit/chain.js';
import { ExitCode, SafetyRefusal } from '../../src/core/errors.js';
import { IdempotencyFile, LastReconcileFile, type IdempotencyRecord } from '../../src/core/state/schemas.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

describe('kill on', () => {
  it('halts, writes the kobe record, history, an audit record and an event', async () => {
    t = await testContext();
    const r = await runKillOn(t.ctx, { reason: 'broker outage', mode: 'halt' });
    expect(r.created).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(JSON.parse(fs.readFileSync(t.ctx.paths.killSwitch, 'utf8'))).toEqual({ reason: 'broker outage', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'tester', mode: 'halt' });
    expect((await runKillStatus(t.ctx)).trading_state.state).toBe('HALTED');
    const hist = await runKillHistory(t.ctx, { limit: 10 });
    expect(hist.entries).toMatchObject([{ event: 'on', reason: 'broker outage', activated_by: 'tester' }]);
    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
    expect(chain.at(-1)).toMatchObject({ type: 'kill_on', reason: 'broker outage', by: 'tester' });
    const events = fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'kill_on', level: 'warn', ts: '2025-01-14T15:00:00.000Z' });
  });

  it('a second call keeps the first record and says so', async () => {
    t = await testContext();
    await runKillOn(t.ctx, { reason: 'first', mode: 'halt' });
    t.clock.advance(60_000);
    const again = await runKillOn(t.ctx, { reason: 'second', mode: 'reduce' });
    expect(again.created).toBe(false);
    expect(again.trading_state.record?.reason).toBe('first');
    renderKillOn(t.ctx.out, again);
    expect(t.stderr.data).toMatch(/already on; the first record is kept/);
    expect((await runKillHistory(t.ctx, { limit: 10 })).entries).toHaveLength(1);
  });

  it('--reduce-only gives REDUCING', async () => {
    t = await testContext();
    const r = await runKillOn(t.ctx, { reason: 'trim', mode: 'reduce' });
    expect(r.trading_state.state).toBe('REDUCING');
  });

  it('still halts when the audit chain is damaged, and says what was not recorded', async () => {
    t = await testContext();
    fs.appendFileSync(t.ctx.paths.chain, 'garbage that is not a block\n');
    const r = await runKillOn(t.ctx, { reason: 'x', mode: 'halt' });
    expect(r.trading_state.state).toBe('HALTED');
    expect(r.warnings.join()).toMatch(/audit record not written/);
  });
});

describe('kill off', () => {
  const cleanReconcile = async (tc: TestContext, ts: string) => {
    const store = await tc.ctx.state();
    await store.write(LastReconcileFile, { version: 1, ts, clean: true, broker: 'sim', discrepancies: [], mismatch_notional: 0, fixed: false });
  };

  it('refuses (exit 6) without a recent clean reconcile, with unresolved orders, and off a TTY without --yes', async () => {
    t = await testContext();
    await runKillOn(t.ctx, { reason: 'x', mode: 'halt' });
    await expect(runKillOff(t.ctx, { yes: true, force: false })).rejects.toThrow(/no reconcile on record/);
    await cleanReconcile(t, '2025-01-14T13:00:00.000Z');
    await expect(runKillOff(t.ctx, { yes: true, force: false })).rejects.toThrow(/120 min old/);
    await cleanReconcile(t, '2025-01-14T14:45:00.000Z');
    const store = await t.ctx.state();
    const unresolved: IdempotencyRecord = {
          client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry',
          intent: { session_date: '2025-01-14', symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind: 'entry', target_price: null },
          status: 'UNKNOWN', broker_order_id: null, reason: null, attempts: 1, created_at: '2025-01-14T14:50:00Z', updated_at: '2025-01-14T14:50:00Z', filled_qty: 0, filled_avg_price: null, attempt: 1, broker_status: null, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
    };
    await store.update(IdempotencyFile, (f) => ({ ...f, orders: { [unresolved.client_order_id]: unresolved } }));
    const err = await runKillOff(t.ctx, { yes: true, force: false }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(ExitCode.REFUSED);
    expect(err.message).toMatch(/1 unresolved order/);
    expect(t.ctx.tradingState().state).toBe('HALTED');
  });

  it('without --yes and no TTY: refused, still halted', async () => {
    t = await testContext();
    await runKillOn(t.ctx, { reason: 'x', mode: 'halt' });
    await cleanReconcile(t, '2025-01-14T14:59:00.000Z');
    await expect(runKillOff(t.ctx, { yes: false, force: false })).rejects.toThrow(/confirmation needed/);
    expect(t.ctx.tradingState().state).toBe('HALTED');
  });

  it('resumes with a clean reconcile; history, chain and event record it', async () => {
    t = await testContext();
    await runKillOn(t.ctx, { reason: 'x', mode: 'halt' });
    await cleanReconcile(t, '2025-01-14T14:59:00.000Z');
    const r = await runKillOff(t.ctx, { yes: true, force: false, note: 'all clear' });
    expect(r).toMatchObject({ changed: true, overridden: [] });
    expect(t.ctx.tradingState().state).toBe('ACTIVE');
    expect((await runKillHistory(t.ctx, { limit: 10 })).entries.at(-1)).toMatchObject({ event: 'off', note: 'all clear', deactivated_by: 'tester', forced: false });
    expect(verifyChain(t.ctx.paths.chain, t.ctx.paths.chainHead).status).toBe('intact');
    expect(await runKillOff(t.ctx, { yes: true, force: false })).toMatchObject({ changed: false });
  });

  it('a touched (empty) kill switch is honoured and can be turned off', async () => {
    t = await testContext();
    fs.writeFileSync(t.ctx.paths.killSwitch, '');
    expect((await runKillStatus(t.ctx)).trading_state).toMatchObject({ state: 'HALTED', source: 'empty' });
    const r = await runKillOff(t.ctx, { yes: true, force: true });
    expect(r.overridden).toEqual(['no reconcile on record']);
  });

  it('a directory at the kill switch path stays halted (fail closed)', async () => {
    t = await testContext();
    fs.mkdirSync(t.ctx.paths.killSwitch);
    expect(t.ctx.tradingState()).toMatchObject({ state: 'HALTED', source: 'unreadable' });
    await expect(runKillOff(t.ctx, { yes: true, force: true })).rejects.toBeInstanceOf(SafetyRefusal);
    expect(fs.statSync(t.ctx.paths.killSwitch).isDirectory()).toBe(true);
  });
});

describe('kill switch hardening', () => {
  it('kill on raises REDUCING to HALTED (never the reverse), with its history and audit records', async () => {
    const { testContext } = await import('../helpers/context.js');
    const t = await testContext();
    try {
      const { runKillOn } = await import('../../src/commands/kill/on.js');
      await runKillOn(t.ctx, { reason: 'trim', mode: 'reduce' });
      expect(t.ctx.tradingState().state).toBe('REDUCING');
      const up = await runKillOn(t.ctx, { reason: 'K1 loss', mode: 'halt' });
      expect(up).toMatchObject({ created: true, escalated: true, trading_state: { state: 'HALTED', record: { reason: 'K1 loss' } } });
      const down = await runKillOn(t.ctx, { reason: 'only trim', mode: 'reduce' });
      expect(down).toMatchObject({ created: false, escalated: false, trading_state: { state: 'HALTED' } });
      expect(fs.readFileSync(t.ctx.paths.chain, 'utf8').match(/"type":"kill_on"/g)).toHaveLength(2);
    } finally {
      t.cleanup();
    }
  });

  it('kill on with no room for the record still halts with an empty switch', async () => {
    const { activateKillSwitch } = await import('../../src/core/risk/kill-switch.js');
    const { FakeClock } = await import('../../src/core/ports/clock.js');
    const { testContext } = await import('../helpers/context.js');
    const t = await testContext();
    const write = fs.writeSync;
    try {
      // The disk is full: writing the record fails, creating an empty file (an inode) still works.
      (fs as { writeSync: unknown }).writeSync = () => { const e = new Error('ENOSPC: no space left on device') as NodeJS.ErrnoException; e.code = 'ENOSPC'; throw e; };
      const out = activateKillSwitch(t.ctx.paths.killSwitch, t.ctx.paths.stateDir, new FakeClock(), { reason: 'disk full', by: 'op', mode: 'halt' });
      (fs as { writeSync: unknown }).writeSync = write;
      expect(out).toMatchObject({ created: true, degraded: expect.stringContaining('ENOSPC'), state: { state: 'HALTED' } });
      expect(fs.readFileSync(t.ctx.paths.killSwitch, 'utf8')).toBe('');
      expect(fs.readdirSync(t.ctx.paths.stateDir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    } finally {
      (fs as { writeSync: unknown }).writeSync = write;
      t.cleanup();
    }
  });

  it('control characters in a kill switch written by hand are shown escaped', async () => {
    const { testContext } = await import('../helpers/context.js');
    const t = await testContext();
    try {
      fs.writeFileSync(t.ctx.paths.killSwitch, 'stop\r\x1b[2KACTIVE');
      expect(t.ctx.tradingState()).toMatchObject({ state: 'HALTED', record: { reason: 'stop\\r\\x1b[2KACTIVE' } });
    } finally {
      t.cleanup();
    }
  });

  it('kill off writes its history and audit block before removing the switch, and clears a tomb a crash left', async () => {
    const { testContext } = await import('../helpers/context.js');
    const t = await testContext();
    try {
      const { runKillOn } = await import('../../src/commands/kill/on.js');
      const { runKillOff } = await import('../../src/commands/kill/off.js');
      await runKillOn(t.ctx, { reason: 'x', mode: 'halt' });
      fs.writeFileSync(`${t.ctx.paths.killSwitch}.removed.99999`, '{}');
      const audit = await t.ctx.audit();
      const append = audit.append.bind(audit);
      let switchAtAudit: boolean | null = null;
      audit.append = async (type, data) => {
        if (type === 'kill_off') switchAtAudit = fs.existsSync(t.ctx.paths.killSwitch);
        return append(type, data);
      };
      await runKillOff(t.ctx, { yes: true, force: true, note: 'ok' });
      expect(switchAtAudit).toBe(true);
      expect(t.ctx.tradingState().state).toBe('ACTIVE');
      expect(fs.readdirSync(t.ctx.paths.stateDir).filter((f) => f.includes('.removed.'))).toEqual([]);
    } finally {
      t.cleanup();
    }
  });
});
