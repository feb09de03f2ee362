import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { SafetyRefusal } from '../../core/errors.js';
import { appendKillHistory, removeKillSwitch } from '../../core/risk/kill-switch.js';
import type { KillRecord } from '../../core/risk/trading-state.js';

export interface KillOffOptions {
  yes: boolean;
  force: boolean;
  note?: string;
}

export interface KillOffResult {
  changed: boolean;
  previous?: KillRecord;
  /** Blockers overridden by --force (empty otherwise). */
  overridden: string[];
}

export function registerKillOff(kill: Command, kit: Kit): void {
  kill
    .command('off')
    .description('resume trading: needs a clean, recent reconcile and no unresolved orders (or --force)')
    .option('--yes', 'confirm without a prompt (required when not on a terminal)')
    .option('--note <text>', 'why it is safe to resume; kept in the history')
    .option('--force', 'resume despite unresolved orders or a stale/dirty reconcile (recorded as forced)')
    .addHelpText('after', '\nExample:\n  kobe reconcile && kobe kill off --yes --note "broker and ledger match"')
    .action(kit.action((raw) => ({ yes: !!raw.yes, force: !!raw.force, note: typeof raw.note === 'string' ? raw.note : undefined }), runKillOff, renderKillOff));
}

export async function runKillOff(ctx: KobeContext, opts: KillOffOptions): Promise<KillOffResult> {
  ctx.requireHome();
  const before = ctx.tradingState();
  if (before.source === 'absent') return { changed: false, overridden: [] };
  if (before.source === 'unreadable') throw new SafetyRefusal(`the kill switch cannot be read (${before.detail}); trading stays halted`, { hint: 'inspect state/KILL_SWITCH and its permissions by hand' });
  const { config } = await ctx.config();
  const { resumeBlockers } = await import('../../core/risk/resume-checks.js');
  const blockers = resumeBlockers(await ctx.state(), ctx.clock.now(), config.kill_switch.reconcile_max_age_minutes);
  if (blockers.length > 0 && !opts.force) {
    throw new SafetyRefusal(`trading stays halted: ${blockers.join('; ')}`, { hint: 'run `kobe reconcile` (and `kobe reconcile --fix --yes`), then retry; --force overrides and is recorded', details: { blockers } });
  }
  if (!opts.yes) await ctx.out.confirm(`Resume trading (kill switch reason: ${before.record?.reason})?`);
  const rec = before.record!;
  const now = ctx.clock.now().toISOString();
  const overridden = opts.force ? blockers : [];
  // Records first, then the switch: a crash in between leaves trading halted with the intent on
  // record, never ACTIVE without a trace (a rerun writes them again and removes it).
  await appendKillHistory(ctx.paths.killHistory, {
    event: 'off', reason: rec.reason, mode: rec.mode, activated_at: rec.activated_at, activated_by: rec.activated_by,
    deactivated_at: now, deactivated_by: ctx.user, note: opts.note, forced: overridden.length > 0,
  });
  await (await ctx.audit()).append('kill_off', { reason: rec.reason, by: ctx.user, note: opts.note ?? null, forced: overridden.length > 0, overridden });
  removeKillSwitch(ctx.paths.killSwitch, ctx.paths.stateDir);
  (await ctx.events()).emit('kill_off', { reason: rec.reason, note: opts.note, forced: overridden.length > 0 }, 'warn');
  const { notifyOperator } = await import('../../cli/notify.js');
  await notifyOperator(ctx, 'kill_switch_off', `kill switch OFF by ${ctx.user}: trading ACTIVE${opts.note ? ` (${opts.note})` : ''}`);
  return { changed: true, previous: rec, overridden };
}

export function renderKillOff(out: Output, r: KillOffResult): void {
  if (!r.changed) {
    out.line('ACTIVE  (the kill switch was not on; nothing to do)');
    return;
  }
  for (const b of r.overridden) out.warn(`forced past: ${b}`);
  out.changed(`kill switch OFF (was: ${r.previous?.reason})`);
  out.line('ACTIVE');
}
