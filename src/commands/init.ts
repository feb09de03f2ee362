import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { createHome, type InitOutcome } from '../core/home.js';

export interface InitOptions {
  force: boolean;
}

export type InitResult = InitOutcome & { first_reconcile_clean: boolean };

export function register(program: Command, kit: Kit): void {
  program
    .command('init')
    .description('create a kobe home: config/base.yaml, frozen strategy params and their pin, state/ logs/ data/ reports/, a 0600 .env template')
    .option('--force', 'rewrite config/ of an existing home (state, logs, data and .env are kept; old files are backed up)')
    .addHelpText('after', '\nExample:\n  kobe init --home ~/kobe\n  kobe init --home ~/kobe --force')
    .action(kit.action((raw) => ({ force: !!raw.force }), runInit, renderInit));
}

export async function runInit(ctx: KobeContext, opts: InitOptions): Promise<InitResult> {
  const stamp = ctx.clock.now().toISOString().replace(/[:.]/g, '-');
  const outcome = await createHome(ctx.paths, stamp, opts.force);
  await (await ctx.audit()).append('home_initialised', { pin: outcome.pin, force: opts.force, by: ctx.user });
  (await ctx.events()).emit('home_initialised', { home: outcome.home, pin: outcome.pin, force: opts.force });
  // A new home trades on the sim broker: its first reconcile (empty book, empty ledger) is a real
  // one, so preflight and `kill off` have a record to read. A real broker is reconciled by hand.
  const { config } = await ctx.config();
  let reconciled = false;
  if (config.broker.name === 'sim' && !opts.force) {
    const { reconcile } = await import('../core/reconcile/apply.js');
    reconciled = (await reconcile(await ctx.reconcileDeps(), { fix: false })).clean;
  }
  return { ...outcome, first_reconcile_clean: reconciled };
}

export function renderInit(out: Output, r: InitResult): void {
  for (const f of r.written) out.changed(`wrote ${f}`);
  for (const f of r.kept) out.info(`kept ${f} (existing secrets are never overwritten)`);
  for (const f of r.backups) out.info(`backed up ${f}`);
  out.line(`kobe home ready: ${r.home}`);
  out.line(`strategy params pin: ${r.pin}`);
  if (r.first_reconcile_clean) out.info('first reconcile against the sim broker: clean');
  out.line(`next: put keys in ${r.home}/.env (optional: the embedded sim broker needs none), then \`kobe kill status --home ${r.home}\``);
}
