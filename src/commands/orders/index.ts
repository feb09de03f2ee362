import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { intFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import { UsageError } from '../../core/errors.js';
import { recentIntents } from '../../core/oms/idempotency.js';
import type { OrderReport } from '../../core/ports/broker.js';
import { IdempotencyFile, type IdempotencyRecord } from '../../core/state/schemas.js';
import { registerOrdersCancel } from './cancel.js';

export interface OrdersOptions {
  open: boolean;
  recent: number;
  clientId?: string;
}

export interface OrdersResult {
  broker_orders: OrderReport[];
  /** The idempotency store: every intent kobe sent, newest first. */
  store: IdempotencyRecord[];
}

export function parseOrders(raw: Record<string, unknown>): OrdersOptions {
  const clientId = typeof raw.clientId === 'string' ? raw.clientId.trim() : undefined;
  if (clientId === '') throw new UsageError('--client-id must not be empty', { hint: 'kobe orders --client-id kobe-20250114-AAPL-buy-ibsrsi-entry' });
  return { open: !!raw.open, recent: intFlag('--recent', raw.recent, 1, 500) ?? 20, clientId };
}

export function register(program: Command, kit: Kit): void {
  const orders = program
    .command('orders')
    .description('broker orders and the idempotency store (every intent kobe sent, with its status)')
    .option('--open', 'only open orders')
    .option('--recent <n>', 'how many recent orders and store records', '20')
    .option('--client-id <id>', 'one order by client_order_id: the store record and the broker\'s view')
    .addHelpText('after', '\nExample:\n  kobe orders --open\n  kobe orders --client-id kobe-20250114-AAPL-buy-ibsrsi-entry\n  kobe orders cancel --all')
    .action(kit.action(parseOrders, runOrders, renderOrders));
  registerOrdersCancel(orders, kit);
}

export async function runOrders(ctx: KobeContext, opts: OrdersOptions): Promise<OrdersResult> {
  ctx.requireHome();
  const broker = await ctx.broker();
  const store = await ctx.state();
  const { syncOrders } = await import('../../core/oms/sync.js');
  await syncOrders(await ctx.submitDeps());
  if (opts.clientId) {
    const rec = store.read(IdempotencyFile).orders[opts.clientId];
    const o = await broker.getOrderByClientId(opts.clientId);
    if (!rec && !o) throw new UsageError(`no order with client id ${opts.clientId} in the store or at the broker`);
    return { broker_orders: o ? [o] : [], store: rec ? [rec] : [] };
  }
  const broker_orders = await broker.listOrders({ status: opts.open ? 'open' : 'all', limit: opts.recent });
  const recs = recentIntents(store, opts.recent);
  return { broker_orders, store: opts.open ? recs.filter((r) => r.status === 'PENDING' || r.status === 'UNKNOWN' || r.status === 'SUBMITTED' || r.status === 'PARTIALLY_FILLED') : recs };
}

export function renderOrders(out: Output, r: OrdersResult): void {
  const px = (x: number | null) => (x === null ? '-' : x.toFixed(2));
  if (r.broker_orders.length === 0) out.line('broker: no orders');
  else void out.table(['submitted', 'id', 'client id', 'symbol', 'side', 'qty', 'type', 'limit', 'stop', 'filled', 'avg', 'status'], r.broker_orders.map((o) => [o.submitted_at ?? '-', o.id, o.client_order_id, o.symbol, o.side, o.qty ?? `$${o.notional ?? '?'}`, `${o.type}/${o.time_in_force}`, px(o.limit_price), px(o.stop_price), o.filled_qty, px(o.filled_avg_price), o.status]));
  if (r.store.length) {
    out.line('');
    void out.table(['created', 'client id', 'status', 'broker id', 'attempts', 'reason'], r.store.map((s) => [s.created_at, s.client_order_id, s.status, s.broker_order_id ?? '-', s.attempts, s.reason ?? '']));
  }
  const unresolved = r.store.filter((s) => s.status === 'PENDING' || s.status === 'UNKNOWN');
  if (unresolved.length) out.warn(`${unresolved.length} unresolved order(s): run \`kobe reconcile --fix --yes\` to resolve them by client id`);
}
