// The narrated tour on the embedded default, in a temporary home. Each step runs the same
// runXxx functions the commands use, so the demo cannot drift from the product.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { createContext, type KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { runInit } from './init.js';
import { runKillOn } from './kill/on.js';
import { runKillOff } from './kill/off.js';
import { runKillStatus } from './kill/status.js';
import { runVerifyChain } from './verify-chain.js';
import { runStateCheck } from './state/check.js';
import { verifyChain } from '../core/audit/chain.js';

export interface DemoOptions {
  keep: boolean;
}

export interface DemoStep {
  step: string;
  outcome: string;
}

export interface DemoResult {
  home: string;
  kept: boolean;
  steps: DemoStep[];
}

export function register(program: Command, kit: Kit): void {
  program
    .command('demo')
    .description('a narrated tour on the embedded default in a temporary home (no account, no network)')
    .option('--keep', 'keep the temporary home afterwards and print its path')
    .addHelpText('after', '\nExample:\n  kobe demo\n  kobe demo --keep --json')
    .action(kit.action((raw) => ({ keep: !!raw.keep }), runDemo, renderDemo));
}

export async function runDemo(ctx: KobeContext, opts: DemoOptions): Promise<DemoResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-demo-'));
  const steps: DemoStep[] = [];
  const say = (step: string, outcome: string) => {
    steps.push({ step, outcome });
    if (!ctx.out.json) ctx.out.info(`${ctx.out.s.bold(`[${steps.length}]`)} ${step}\n    ${outcome}`);
  };
  const quiet = { write: () => true };
  const d = await createContext({ home, json: true, color: false, clock: ctx.clock, env: ctx.env, streams: { stdout: quiet, stderr: quiet } });
  try {
    const init = await runInit(d, { force: false });
    say('kobe init: a new home with config, frozen params v2.2 and their pin', `pin ${init.pin.slice(0, 16)}..., ${init.written.length} files written`);
    say('kobe kill status', (await runKillStatus(d)).trading_state.state);
    const on = await runKillOn(d, { reason: 'demo: operator halts trading', mode: 'halt' });
    say('kobe kill on --reason "demo: operator halts trading"', `${on.trading_state.state}: every order path now refuses`);
    fs.writeFileSync(d.paths.killSwitch, 'plain text written by echo\n');
    say('echo "..." > state/KILL_SWITCH (a switch kobe did not write)', `${d.tradingState().state}: "${d.tradingState().record?.reason}"`);
    const again = await runKillOn(d, { reason: 'second call', mode: 'halt' });
    say('kobe kill on again', again.created ? 'created' : 'already on: the first record is kept');
    try {
      await runKillOff(d, { yes: true, force: false });
    } catch (err) {
      say('kobe kill off --yes (no reconcile on record yet)', `refused (exit 6): ${(err as Error).message}`);
    }
    const off = await runKillOff(d, { yes: true, force: true, note: 'demo: forced resume' });
    say('kobe kill off --yes --force --note "demo"', `ACTIVE again; forced past ${off.overridden.length} blocker(s), recorded in the history and chain`);
    const v = await runVerifyChain(d, { repair: false });
    say('kobe verify-chain', `${v.status}: ${v.blocks} blocks`);
    const lines = fs.readFileSync(d.paths.chain, 'utf8').split('\n');
    const tampered = lines[1].replace('"kill_on"', '"kill_xx"');
    fs.writeFileSync(d.paths.chain, [lines[0], tampered, ...lines.slice(2)].join('\n'));
    const broken = verifyChain(d.paths.chain, d.paths.chainHead);
    say('someone edits block 2 of the chain by hand', `verify-chain: ${broken.status} at block ${broken.brokenAt} (${broken.reason}); exit 5`);
    fs.writeFileSync(d.paths.chain, lines.join('\n'));
    fs.appendFileSync(d.paths.chain, '{"payload":{"type":"order_subm');
    const torn = verifyChain(d.paths.chain, d.paths.chainHead);
    say('a crash leaves half a line at the end', `verify-chain: ${torn.status} (${torn.tornBytes} bytes), reported apart from tampering`);
    const rep = await runVerifyChain(d, { repair: true });
    say('kobe verify-chain --repair', `${rep.status}: ${rep.blocks} blocks; the torn bytes were saved beside the chain`);
    say('kobe state check', (await runStateCheck(d)).valid ? 'every state file valid' : 'problems found');
  } finally {
    if (!opts.keep) fs.rmSync(home, { recursive: true, force: true });
  }
  return { home, kept: opts.keep, steps };
}

export function renderDemo(out: Output, r: DemoResult): void {
  out.line(`demo finished: ${r.steps.length} steps${r.kept ? `; home kept at ${r.home}` : ''}`);
}
