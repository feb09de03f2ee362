import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { verifyChain, type ChainVerification } from '../core/audit/chain.js';
import { CheckFailed } from '../core/errors.js';

export interface VerifyChainOptions {
  repair: boolean;
}

export interface VerifyChainResult extends ChainVerification {
  repaired?: { removed_bytes: unknown; saved_to: unknown };
}

export function register(program: Command, kit: Kit): void {
  program
    .command('verify-chain')
    .description('verify state/hash_chain.jsonl: intact (0), broken at block N (5), or a torn last line from a crash (5)')
    .option('--repair', 'remove only a torn tail (saved beside the chain) and record that; never touches a broken chain')
    .addHelpText('after', '\nExample:\n  kobe verify-chain\n  kobe verify-chain --repair')
    .action(kit.action((raw) => ({ repair: !!raw.repair }), runVerifyChain, renderVerifyChain));
}

export async function runVerifyChain(ctx: KobeContext, opts: VerifyChainOptions): Promise<VerifyChainResult> {
  ctx.requireHome();
  const { chain, chainHead } = ctx.paths;
  let result: VerifyChainResult = verifyChain(chain, chainHead);
  if (opts.repair && result.status === 'torn_tail') {
    const block = await (await ctx.audit()).repair('verify-chain --repair');
    (await ctx.events()).emit('chain_repaired', { removed_bytes: result.tornBytes }, 'warn');
    result = { ...verifyChain(chain, chainHead), repaired: block ? { removed_bytes: block.payload.removed_bytes, saved_to: block.payload.saved_to } : undefined };
  }
  if (result.status === 'broken') {
    throw new CheckFailed(`audit chain broken at block ${result.brokenAt}: ${result.reason}`, {
      result,
      hint: opts.repair ? '--repair only removes a torn last line; a broken chain is evidence: halt (`kobe kill on`) and investigate' : 'halt (`kobe kill on --reason "audit chain broken"`) and investigate; do not edit the chain',
    });
  }
  if (result.status === 'torn_tail') {
    throw new CheckFailed(`audit chain has a torn last line (${result.tornBytes} bytes from an interrupted write); ${result.blocks} blocks before it are intact`, {
      result,
      hint: 'run `kobe verify-chain --repair` to remove it (the bytes are kept beside the chain)',
    });
  }
  return result;
}

export function renderVerifyChain(out: Output, r: VerifyChainResult): void {
  if (r.repaired) out.changed(`removed a torn tail of ${r.repaired.removed_bytes} bytes (saved as state/${r.repaired.saved_to})`);
  for (const w of r.warnings) out.warn(w);
  if (r.status === 'empty') out.line('audit chain empty');
  else if (r.status === 'intact') out.line(`audit chain intact: ${r.blocks} blocks`);
  else if (r.status === 'torn_tail') out.line(`audit chain: torn tail after ${r.blocks} intact blocks`);
  else out.line(`audit chain BROKEN at block ${r.brokenAt}: ${r.reason}`);
}
