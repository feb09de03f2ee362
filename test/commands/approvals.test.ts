import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runApprovalsList } from '../../src/commands/approvals.js';
import { parseApprove, renderApprove, runApprove } from '../../src/commands/approve.js';
import { parseReject, runReject } from '../../src/commands/reject.js';
import { runVerifyChain } from '../../src/commands/verify-chain.js';
import { createContext, type KobeContext } from '../../src/cli/context.js';
import { LIVE_CONFIRM_PHRASE } from '../../src/core/approvals/live.js';
import { createParamsProposal, paramsPin } from '../../src/core/approvals/params.js';
import { loadConfig, parseParams } from '../../src/core/config/load.js';
import type { StrategyParams } from '../../src/core/config/schema.js';
import { ConfigError, ExitCode, SafetyRefusal, StateError, UsageError } from '../../src/core/errors.js';
import { liveApprovals } from '../../src/core/risk/live-gates.js';
import { testContext, MemoryStream, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const chainPayloads = (ctx: KobeContext) => fs.readFileSync(ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
const approvalsDir = (ctx: KobeContext) => ctx.paths.state('approvals');

function proposedParams(ctx: KobeContext, timeStop: number): StrategyParams {
  const p = parseParams(fs.readFileSync(ctx.paths.frozenParams, 'utf8'), 'params');
  return { ...p, ibs_rsi: { ...p.ibs_rsi, time_stop_bars: timeStop } };
}

async function propose(ctx: KobeContext, id: string, timeStop = 6) {
  return createParamsProposal(approvalsDir(ctx), { id, summary: `time stop ${timeStop}`, params: proposedParams(ctx, timeStop), evidence: { oos_sharpe: 1.4, windows: 8 }, by: 'walk-forward', now: ctx.clock.now() });
}

/** stderr of a terminal where a person types `answer` when the prompt appears. */
class Typist extends MemoryStream {
  columns = 80;
  constructor(private readonly stdin: PassThrough, private readonly answer: string) {
    super(true);
  }
  override write(chunk: string): boolean {
    const r = super.write(String(chunk));
    if (String(chunk).includes('Type "')) setImmediate(() => this.stdin.write(`${this.answer}\r`));
    return r;
  }
  on(): this {
    return this;
  }
  removeListener(): this {
    return this;
  }
  off(): this {
    return this;
  }
}

async function ttyContext(home: string, clockCtx: TestContext, answer: string): Promise<{ ctx: KobeContext; stderr: Typist }> {
  const stdin = Object.assign(new PassThrough(), { isTTY: true });
  const stderr = new Typist(stdin, answer);
  const ctx = await createContext({ home, clock: clockCtx.clock, env: { USER: 'tester' }, streams: { stdout: new MemoryStream(true), stderr, stdin } });
  return { ctx, stderr };
}

describe('approvals', () => {
  it('a non-TTY live approval is refused; an approved proposal changes the pin and is in the chain', async () => {
    t = await testContext();
    const oldPin = (await loadConfig(t.ctx.paths)).pin;
    const err = await runApprove(t.ctx, { id: 'live', approver: 'Jane', reason: null }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(ExitCode.REFUSED);
    expect(chainPayloads(t.ctx).at(-1)).toMatchObject({ type: 'live_approval_refused', approver: 'Jane', by: 'tester', pin: oldPin, why: 'no terminal' });
    expect(liveApprovals(approvalsDir(t.ctx))).toEqual([]);
    expect(fs.readdirSync(approvalsDir(t.ctx))).toEqual([]);

    const yamlBefore = fs.readFileSync(t.ctx.paths.config, 'utf8');
    const proposal = await propose(t.ctx, 'params-1');
    expect(proposal).toMatchObject({ status: 'pending', kind: 'params', interactive: false, pin: paramsPin(proposedParams(t.ctx, 6)) });
    t.clock.advance(60_000);
    const r = await runApprove(t.ctx, { id: 'params-1', approver: 'Jane Doe', reason: 'OOS Sharpe 1.4' });
    expect(r.approval).toMatchObject({ status: 'approved', decided_by: 'Jane Doe', reason: 'OOS Sharpe 1.4', interactive: false, decided_at: '2025-01-14T15:01:00.000Z' });
    const newPin = r.pin_change!.new_pin;
    expect(newPin).not.toBe(oldPin);
    expect(r.pin_change).toMatchObject({ old_pin: oldPin, changed: true, params_file: 'config/frozen_strategy_params.json', backup: 'config/frozen_strategy_params.json.bak-params-1' });

    const loaded = await loadConfig(t.ctx.paths);
    expect(loaded.pin).toBe(newPin);
    expect(loaded.config.strategy.params_sha256).toBe(newPin);
    expect(loaded.params.ibs_rsi.time_stop_bars).toBe(6);
    // Only the pin value changed in base.yaml: comments and every other line are kept.
    const yamlAfter = fs.readFileSync(t.ctx.paths.config, 'utf8');
    expect(yamlAfter).toBe(yamlBefore.replace(oldPin, newPin));
    expect(yamlAfter).toMatch(/# sha256 of params_file; changed only through an approval/);

    const verified = await runVerifyChain(t.ctx, { repair: false });
    expect(verified.status).toBe('intact');
    const payloads = chainPayloads(t.ctx);
    expect(payloads.find((p) => p.type === 'config_pin_changed')).toMatchObject({ old_pin: oldPin, new_pin: newPin, approval_id: 'params-1', approver: 'Jane Doe' });
    expect(payloads.at(-1)).toMatchObject({ type: 'approval', approval_id: 'params-1', decision: 'approved', approver: 'Jane Doe', pin: newPin });
    renderApprove(t.ctx.out, r);
    expect(t.stderr.data).toMatch(/config pin .* -> /);
  });

  it('live approval on a terminal: the typed phrase creates what the live gate accepts, bound to the pin', async () => {
    t = await testContext();
    const { ctx, stderr } = await ttyContext(t.home, t, LIVE_CONFIRM_PHRASE);
    expect(ctx.out.interactive).toBe(true);
    const r = await runApprove(ctx, { id: 'live', approver: 'Jane', reason: 'go-live review 2025-01-14' });
    expect(stderr.data).toContain(`Type "${LIVE_CONFIRM_PHRASE}"`);
    const pin = (await loadConfig(t.ctx.paths)).pin;
    expect(r.approval).toMatchObject({ kind: 'live_trading', status: 'approved', interactive: true, pin, decided_by: 'Jane', created_by: 'tester' });
    expect(liveApprovals(approvalsDir(ctx)).map((a) => a.id)).toEqual([r.approval.id]);
    expect(chainPayloads(ctx).at(-1)).toMatchObject({ type: 'approval', kind: 'live_trading', approver: 'Jane', interactive: true, pin });
    // Approving new params re-pins: the live approval no longer matches the pin in force.
    await propose(t.ctx, 'params-2', 5);
    const change = await runApprove(t.ctx, { id: 'params-2', approver: 'Jane', reason: null });
    expect(liveApprovals(approvalsDir(ctx)).some((a) => a.pin === change.pin_change!.new_pin)).toBe(false);
    const list = await runApprovalsList(t.ctx, { pending: false });
    expect(list.current_pin).toBe(change.pin_change!.new_pin);
  });

  it('live approval on a terminal with the wrong phrase is refused and recorded', async () => {
    t = await testContext();
    const { ctx } = await ttyContext(t.home, t, 'yes');
    const err = await runApprove(ctx, { id: 'live', approver: 'Jane', reason: null }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.message).toMatch(/not approved: not confirmed/);
    expect(chainPayloads(ctx).at(-1)).toMatchObject({ type: 'live_approval_refused', why: 'confirmation not typed' });
    expect(fs.readdirSync(approvalsDir(ctx))).toEqual([]);
  });

  it('a decision is final (exit 6); an unknown id is exit 2; a damaged file is exit 3', async () => {
    t = await testContext();
    await propose(t.ctx, 'p-a');
    await runReject(t.ctx, { id: 'p-a', reason: 'overfit', approver: 'Ann' });
    for (const again of [() => runApprove(t.ctx, { id: 'p-a', approver: 'Bob', reason: null }), () => runReject(t.ctx, { id: 'p-a', reason: 'again' })]) {
      const err = await again().catch((e) => e);
      expect(err).toBeInstanceOf(SafetyRefusal);
      expect(err.exitCode).toBe(ExitCode.REFUSED);
      expect(err.message).toMatch(/already rejected by Ann/);
    }
    const unknown = await runApprove(t.ctx, { id: 'nope', approver: 'Bob', reason: null }).catch((e) => e);
    expect(unknown).toBeInstanceOf(UsageError);
    expect(unknown.exitCode).toBe(ExitCode.USAGE);
    fs.writeFileSync(path.join(approvalsDir(t.ctx), 'bad.json'), '{"version":1,"id":"bad"}');
    const bad = await runReject(t.ctx, { id: 'bad', reason: 'x' }).catch((e) => e);
    expect(bad).toBeInstanceOf(StateError);
    expect(bad.exitCode).toBe(ExitCode.INVALID);
    const list = await runApprovalsList(t.ctx, { pending: false });
    expect(list.approvals.map((a) => a.id)).toEqual(['p-a']);
    expect(list.problems.join()).toMatch(/bad\.json/);
  });

  it('reject records the reason (approver defaults to the user) and changes nothing else', async () => {
    t = await testContext();
    const pin = (await loadConfig(t.ctx.paths)).pin;
    await propose(t.ctx, 'p-r');
    await propose(t.ctx, 'p-keep', 4);
    const r = await runReject(t.ctx, parseReject({ reason: ' window too short ' }, ['p-r']));
    expect(r.approval).toMatchObject({ status: 'rejected', decided_by: 'tester', reason: 'window too short' });
    expect(chainPayloads(t.ctx).at(-1)).toMatchObject({ type: 'approval', approval_id: 'p-r', decision: 'rejected', reason: 'window too short', approver: 'tester' });
    expect((await loadConfig(t.ctx.paths)).pin).toBe(pin);
    expect((await runApprovalsList(t.ctx, { pending: true })).approvals.map((a) => a.id)).toEqual(['p-keep']);
  });

  it('a proposal edited after it was made is refused and nothing changes', async () => {
    t = await testContext();
    const pin = (await loadConfig(t.ctx.paths)).pin;
    await propose(t.ctx, 'p-edit');
    const file = path.join(approvalsDir(t.ctx), 'p-edit.json');
    const a = JSON.parse(fs.readFileSync(file, 'utf8'));
    a.payload.params.ibs_rsi.time_stop_bars = 20;
    fs.writeFileSync(file, JSON.stringify(a));
    const err = await runApprove(t.ctx, { id: 'p-edit', approver: 'Jane', reason: null }).catch((e) => e);
    expect(err).toBeInstanceOf(StateError);
    expect(err.message).toMatch(/pin: does not match the proposed params/);
    expect((await loadConfig(t.ctx.paths)).pin).toBe(pin);
    expect(JSON.parse(fs.readFileSync(file, 'utf8')).status).toBe('pending');
  });

  it('when the audit record cannot be written, both config files are restored and the proposal stays pending', async () => {
    t = await testContext();
    const yaml = fs.readFileSync(t.ctx.paths.config, 'utf8');
    const params = fs.readFileSync(t.ctx.paths.frozenParams, 'utf8');
    await propose(t.ctx, 'p-roll');
    fs.appendFileSync(t.ctx.paths.chain, 'not a block\n');
    const err = await runApprove(t.ctx, { id: 'p-roll', approver: 'Jane', reason: null }).catch((e) => e);
    // A chain that no longer verifies is never extended (exit 5, naming the block).
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/audit chain is broken at block \d+/);
    expect(fs.readFileSync(t.ctx.paths.config, 'utf8')).toBe(yaml);
    expect(fs.readFileSync(t.ctx.paths.frozenParams, 'utf8')).toBe(params);
    await expect(loadConfig(t.ctx.paths)).resolves.toBeDefined();
    expect(JSON.parse(fs.readFileSync(path.join(approvalsDir(t.ctx), 'p-roll.json'), 'utf8')).status).toBe('pending');
  });

  it('proposals are validated and never overwritten; a pending live request cannot be approved by id', async () => {
    t = await testContext();
    const dir = approvalsDir(t.ctx);
    const base = { summary: 's', evidence: {}, by: 'wf', now: t.clock.now() };
    const broken = { ...proposedParams(t.ctx, 6), ibs_rsi: { ...proposedParams(t.ctx, 6).ibs_rsi, rsi_entry: 500 } };
    await expect(createParamsProposal(dir, { ...base, params: broken })).rejects.toThrow(ConfigError);
    await expect(createParamsProposal(dir, { ...base, id: 'live', params: proposedParams(t.ctx, 6) })).rejects.toThrow(/reserved/);
    const made = await createParamsProposal(dir, { ...base, params: proposedParams(t.ctx, 6) });
    expect(made.id).toMatch(/^params-20250114-150000-[0-9a-f]{4}$/);
    await expect(createParamsProposal(dir, { ...base, id: made.id, params: proposedParams(t.ctx, 7) })).rejects.toThrow(SafetyRefusal);
    fs.writeFileSync(path.join(dir, 'live-req.json'), JSON.stringify({ version: 1, id: 'live-req', kind: 'live_trading', status: 'pending', created_at: '2025-01-14T15:00:00Z', created_by: 'bot', summary: 'go live', decided_at: null, decided_by: null, reason: null, interactive: false, pin: null, payload: null }));
    await expect(runApprove(t.ctx, { id: 'live-req', approver: 'Jane', reason: null })).rejects.toThrow(/only with `kobe approve live` on a terminal/);
    expect(liveApprovals(dir)).toEqual([]);
    expect(() => parseApprove({ approver: 'J' }, ['../x'])).toThrow(UsageError);
    expect(() => parseApprove({ approver: ' ' }, ['p'])).toThrow(/--approver/);
    expect(() => parseReject({ reason: '' }, ['p'])).toThrow(/--reason/);
  });
});
