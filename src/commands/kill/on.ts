import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { UsageError, errorText } from '../../core/errors.js';
import { activateKillSwitch, appendKillHistory } from '../../core/risk/kill-switch.js';
import type { TradingState } from '../../core/risk/trading-state.js';

export interface KillOnOptions {
  reason: string;
  mode: 'halt' | 'reduce';
}

export interface KillOnResult {
  created: boolean;
  /** REDUCING raised to HALTED. */
  escalated: boolean;
  trading_state: TradingState;
  /** Follow-up records that could not be written; the switch itself is on regardless. */
  warnings: string[];
}

export function parseKillOn(raw: Record<string, unknown>): KillOnOptions {
  const reason = typeof raw.reason === 'string' ? raw.reason.trim() : '';
  if (!reason) throw new UsageError('--reason must not be empty', { hint: 'kobe kill on --reason "what happened"' });
  return { reason, mode: raw.reduceOnly ? 'reduce' : 'halt' };
}

export function registerKillOn(kill: Command, kit: Kit): void {
  kill
    .command('on')
    .description('halt trading now (never prompts; a second call keeps the first record, except that a halt raises a reduce-only switch)')
    .requiredOption('--reason <text>', 'why; shown by kill status and kept in the history')
    .option('--reduce-only', 'REDUCING instead of HALTED: only orders that shrink a position pass')
    .addHelpText('after', '\nExample:\n  kobe kill on --reason "duplicate order detected"\n  kobe kill on --reason "drawdown review" --reduce-only')
    .action(kit.action(parseKillOn, runKillOn, renderKillOn));
}

/** Activate first; records and events follow and can only add warnings, never undo the halt. */
export async function runKillOn(ctx: KobeContext, opts: KillOnOptions): Promise<KillOnResult> {
  ctx.requireHome();
  const { paths } = ctx;
  const { created, escalated, degraded, state } = activateKillSwitch(paths.killSwitch, paths.stateDir, ctx.clock, { reason: opts.reason, by: ctx.user, mode: opts.mode });
  const warnings: string[] = degraded ? [degraded] : [];
  const attempt = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (err) {
      warnings.push(`${what} not written: ${errorText(err)}`);
    }
  };
  if ((created || escalated) && state.record && !degraded) {
    const r = state.record;
    await attempt('history', () => appendKillHistory(paths.killHistory, { event: 'on', reason: r.reason, mode: r.mode, activated_at: r.activated_at, activated_by: r.activated_by }));
    await attempt('audit record', async () => (await ctx.audit()).append('kill_on', { reason: r.reason, mode: r.mode, by: r.activated_by }));
  }
  await attempt('event', async () => (await ctx.events()).emit(created || escalated ? 'kill_on' : 'kill_on_already_active', { reason: opts.reason, mode: opts.mode, state: state.state, escalated }, 'warn'));
  if (created || escalated) {
    const { notifyOperator } = await import('../../cli/notify.js');
    const w = await notifyOperator(ctx, 'kill_switch_on', `kill switch ON (${state.state}) by ${ctx.user}: ${opts.reason}`);
    if (w) warnings.push(w);
  }
  return { created: created || escalated, escalated, trading_state: state, warnings };
}

export function renderKillOn(out: Output, r: KillOnResult): void {
  const rec = r.trading_state.record;
  if (r.escalated) out.changed(`kill switch raised from REDUCING to ${r.trading_state.state}`);
  else if (r.created) out.changed(`kill switch ON: trading ${r.trading_state.state}`);
  else out.info(`kill switch was already on; the first record is kept`);
  for (const w of r.warnings) out.warn(w);
  out.line(`${r.trading_state.state}  ${rec?.reason ?? ''}${rec?.activated_at ? `  (since ${rec.activated_at}${rec.activated_by ? ` by ${rec.activated_by}` : ''})` : ''}`);
}
