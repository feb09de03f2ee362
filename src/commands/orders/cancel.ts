// Cancels are allowed in every trading state (they only reduce risk) and are retried with backoff
// until the broker reports the order terminal.
import type { Command } from 'commander';
import { omsWait, type KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { BrokerRejection } from '../../core/broker/errors.js';
import { CheckFailed, UsageError } from '../../core/errors.js';
import { isTerminal, type Broker, type OrderReport } from '../../core/ports/broker.js';

export interface CancelOptions {
  id?: string;
  clientId?: string;
  all: boolean;
}

export interface CancelResult {
  canceled: Array<{ id: string; client_order_id: string; symbol: string; status: string }>;
  not_terminal: string[];
}

export function parseCancel(raw: Record<string, unknown>, args: string[]): CancelOptions {
  const o = { id: args[0], clientId: typeof raw.clientId === 'string' ? raw.clientId : undefined, all: !!raw.all };
  if ([o.id, o.clientId, o.all || undefined].filter(Boolean).length !== 1) throw new UsageError('give exactly one of: an order ID, --client-id ID, or --all');
  return o;
}

export function registerOrdersCancel(orders: Command, kit: Kit): void {
  orders
    .command('cancel [id]')
    .description('cancel one order (by broker id or --client-id) or --all; allowed in every trading state, retried until terminal')
    .option('--client-id <id>', 'cancel by client_order_id')
    .option('--all', 'cancel every open order')
    .addHelpText('after', '\nExample:\n  kobe orders cancel --all\n  kobe orders cancel --client-id kobe-20250114-AAPL-buy-ibsrsi-entry')
    .action(kit.action(parseCancel, runCancel, renderCancel));
}


async function untilTerminal(broker: Broker, ids: string[], wait: (ms: number) => Promise<void>, attempts = 8): Promise<{ done: OrderReport[]; left: string[] }> {
  const done: OrderReport[] = [];
  let left = [...ids];
  for (let i = 0; i < attempts && left.length; i++) {
    const still: string[] = [];
    for (const id of left) {
      const o = await broker.getOrder(id).catch(() => null);
      if (o && isTerminal(o.status)) done.push(o);
      else {
        still.push(id);
        if (o) await broker.cancelOrder(id).catch(() => undefined);
      }
    }
    left = still;
    if (left.length) await wait(Math.min(2_000, 100 * 2 ** i));
  }
  return { done, left };
}

export async function runCancel(ctx: KobeContext, opts: CancelOptions): Promise<CancelResult> {
  ctx.requireHome();
  const broker = await ctx.broker();
  let ids: string[];
  if (opts.all) {
    ids = (await broker.cancelAllOrders()).map((o) => o.id);
  } else {
    const o = opts.id ? await broker.getOrder(opts.id) : await broker.getOrderByClientId(opts.clientId!);
    if (!o) throw new UsageError(`no such order at the broker: ${opts.id ?? opts.clientId}`);
    if (isTerminal(o.status)) return { canceled: [{ id: o.id, client_order_id: o.client_order_id, symbol: o.symbol, status: o.status }], not_terminal: [] };
    try {
      await broker.cancelOrder(o.id);
    } catch (err) {
      if (!(err instanceof BrokerRejection)) throw err;
    }
    ids = [o.id];
  }
  // The context's wait: a real sleep, or moving a simulated clock (the sim and the fake follow it).
  const { done, left } = await untilTerminal(broker, ids, omsWait(ctx.clock));
  // The OMS records what the broker says (a cancel that lost the race to a fill books the fill).
  const { applyOrderUpdate } = await import('../../core/oms/apply.js');
  const deps = await ctx.submitDeps();
  for (const o of done) await applyOrderUpdate(deps, o, 'poll');
  for (const o of done) await (await ctx.audit()).append('order_canceled', { broker_order_id: o.id, client_order_id: o.client_order_id, symbol: o.symbol, status: o.status, by: ctx.user });
  (await ctx.events()).emit('orders_canceled', { count: done.length, not_terminal: left });
  const result = { canceled: done.map((o) => ({ id: o.id, client_order_id: o.client_order_id, symbol: o.symbol, status: o.status })), not_terminal: left };
  if (left.length) throw new CheckFailed(`${left.length} order(s) not terminal after retries: ${left.join(', ')}`, { result, hint: 'check the broker; re-run `kobe orders cancel --all`' });
  return result;
}

export function renderCancel(out: Output, r: CancelResult): void {
  if (r.canceled.length === 0) out.line('no open orders');
  for (const c of r.canceled) out.changed(`${c.symbol} ${c.id} (${c.client_order_id}): ${c.status}`);
}
