// close-all reduces exposure, so it is allowed while halted: it cancels every open order, then
// sends a closing sell per position through the single submit path (as REDUCING under a halt).
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { CheckFailed } from '../core/errors.js';
import { etDate } from '../core/market/time.js';
import { submitIntent, type SubmitOutcome } from '../core/oms/submit.js';
import { runCancel } from './orders/cancel.js';

export interface CloseAllResult {
  canceled_orders: number;
  closes: Array<{ symbol: string; qty: number; outcome: SubmitOutcome['status']; reason: string | null; client_order_id: string }>;
}

export function register(program: Command, kit: Kit): void {
  program
    .command('close-all')
    .description('cancel every open order and close every position (allowed while halted: it reduces exposure)')
    .option('--yes', 'confirm without a prompt (required when not on a terminal)')
    .addHelpText('after', '\nExample:\n  kobe kill on --reason "closing out" && kobe close-all --yes')
    .action(kit.action((raw) => ({ yes: !!raw.yes }), runCloseAll, renderCloseAll));
}

export async function runCloseAll(ctx: KobeContext, opts: { yes: boolean }): Promise<CloseAllResult> {
  ctx.requireHome();
  const broker = await ctx.broker();
  const positions = (await broker.positions()).filter((p) => p.qty > 0);
  if (!opts.yes) await ctx.out.confirm(`Close ${positions.length} position(s) (${positions.map((p) => `${p.qty} ${p.symbol}`).join(', ') || 'none'}) and cancel every open order?`);
  const canceled = await runCancel(ctx, { all: true });
  const deps = await ctx.submitDeps({ allowClosingWhileHalted: true });
  const session = etDate(ctx.clock.now());
  const closes: CloseAllResult['closes'] = [];
  for (const p of positions) {
    const out = await submitIntent(deps, { session_date: session, symbol: p.symbol, side: 'sell', qty: p.qty, type: 'market', time_in_force: 'day', limit_price: null, stop_price: null, strategy: 'close_all', kind: 'close' });
    closes.push({ symbol: p.symbol, qty: p.qty, outcome: out.status, reason: out.reason, client_order_id: out.client_order_id });
  }
  const result = { canceled_orders: canceled.canceled.length, closes };
  const failed = closes.filter((c) => !['FILLED', 'SUBMITTED', 'PARTIALLY_FILLED'].includes(c.outcome));
  if (failed.length) throw new CheckFailed(`${failed.length} position(s) not closed: ${failed.map((f) => `${f.symbol} (${f.outcome}: ${f.reason})`).join('; ')}`, { result, hint: 'see `kobe orders --open` and `kobe positions`' });
  return result;
}

export function renderCloseAll(out: Output, r: CloseAllResult): void {
  out.info(`canceled ${r.canceled_orders} open order(s)`);
  if (r.closes.length === 0) out.line('no positions to close');
  for (const c of r.closes) out.changed(`${c.symbol}: sell ${c.qty} -> ${c.outcome}${c.reason ? ` (${c.reason})` : ''}`);
}
