// close-all reduces exposure, so it is allowed while halted: it cancels every open order (the
// protective stops too: the sells replace them), confirms the cancels, then sends one closing order
// per position whose orders are final through the single submit path (as REDUCING under a halt),
// follows them to a final state, and reports positions it could not act on instead of sending nothing.
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { CheckFailed } from '../core/errors.js';
import { submitIntent, sessionOf, type SubmitOutcome } from '../core/oms/submit.js';
import { listAllOrders, syncOrders, waitFinal } from '../core/oms/sync.js';
import { IdempotencyFile } from '../core/state/schemas.js';
import { runCancel } from './orders/cancel.js';

export interface CloseAllResult {
  canceled_orders: number;
  closes: Array<{ symbol: string; qty: number; outcome: SubmitOutcome['status'] | 'WAITING'; filled_qty: number; reason: string | null; client_order_id: string | null }>;
}

const WAIT_MS = 10_000;
const OK = new Set(['FILLED', 'SUBMITTED', 'PARTIALLY_FILLED']);

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
  const deps = await ctx.submitDeps({ allowClosingWhileHalted: true });
  await syncOrders(deps);
  const positions = (await broker.positions()).filter((p) => p.qty !== 0);
  if (!opts.yes) await ctx.out.confirm(`Close ${positions.length} position(s) (${positions.map((p) => `${p.qty} ${p.symbol}`).join(', ') || 'none'}) and cancel every open order?`);
  let canceled = 0;
  try {
    canceled = (await runCancel(ctx, { all: true })).canceled.length;
  } catch (err) {
    // Some orders did not reach a final state: those symbols are reported below, the others still close.
    if (!(err instanceof CheckFailed)) throw err;
  }
  await syncOrders(deps);
  const stillOpen = new Set((await listAllOrders(broker, undefined, 'open')).map((o) => o.symbol));
  const now = (await broker.positions()).filter((p) => p.qty !== 0);
  const closes: CloseAllResult['closes'] = [];
  const sent: string[] = [];
  for (const p of now) {
    if (stillOpen.has(p.symbol)) {
      closes.push({ symbol: p.symbol, qty: p.qty, outcome: 'WAITING', filled_qty: 0, reason: 'an order for it is not final yet (e.g. pending_cancel): run close-all again', client_order_id: null });
      continue;
    }
    const side = p.qty > 0 ? ('sell' as const) : ('buy' as const);
    const out = await submitIntent(deps, { session_date: sessionOf(deps), symbol: p.symbol, side, qty: Math.abs(p.qty), type: 'market', time_in_force: 'day', limit_price: null, stop_price: null, strategy: 'close_all', kind: 'close' });
    if (!out.reused && OK.has(out.status)) sent.push(out.client_order_id);
    closes.push({ symbol: p.symbol, qty: Math.abs(p.qty), outcome: out.status, filled_qty: out.filled_qty ?? 0, reason: out.reason, client_order_id: out.client_order_id });
  }
  if (sent.length) await waitFinal(deps, sent, WAIT_MS);
  const store = (await ctx.state()).read(IdempotencyFile).orders;
  for (const c of closes) {
    const r = c.client_order_id ? store[c.client_order_id] : undefined;
    if (r) Object.assign(c, { outcome: r.status, filled_qty: r.filled_qty, reason: r.reason });
  }
  // A close that ended with nothing filled leaves the position held: its stop rests again.
  const { ensureProtection } = await import('../core/oms/protect.js');
  await ensureProtection(deps);
  const result = { canceled_orders: canceled, closes };
  const failed = closes.filter((c) => !OK.has(c.outcome) && !(c.filled_qty > 0));
  if (failed.length) throw new CheckFailed(`${failed.length} position(s) not closed: ${failed.map((f) => `${f.symbol} (${f.outcome}: ${f.reason})`).join('; ')}`, { result, hint: 'see `kobe orders --open` and `kobe positions`; close-all can be run again (a new attempt goes when the last one is final)' });
  return result;
}

export function renderCloseAll(out: Output, r: CloseAllResult): void {
  out.info(`canceled ${r.canceled_orders} open order(s)`);
  if (r.closes.length === 0) out.line('no positions to close');
  for (const c of r.closes) out.changed(`${c.symbol}: ${c.qty} -> ${c.outcome}${c.filled_qty ? ` (${c.filled_qty} filled)` : ''}${c.reason ? ` (${c.reason})` : ''}`);
}
