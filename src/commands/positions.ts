import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { countSessions } from '../core/market/calendar.js';
import { etDate } from '../core/market/time.js';
import { PositionsFile } from '../core/state/schemas.js';

export interface PositionRow {
  symbol: string;
  qty: number;
  avg_entry_price: number;
  current_price: number | null;
  unrealized_pl: number | null;
  strategy: string | null;
  entry_date: string | null;
  stop: number | null;
  target: number | null;
  time_stop_bars: number | null;
  bars_held: number | null;
  /** True when the broker holds it but the ledger does not (run kobe reconcile). */
  unknown_to_ledger: boolean;
}

export interface PositionsResult {
  positions: PositionRow[];
  /** Ledger entries the broker does not hold (ghosts). */
  ledger_only: string[];
}

export function register(program: Command, kit: Kit): void {
  program
    .command('positions')
    .description('broker positions joined with the ledger: strategy, stop, target, bars held, P&L')
    .addHelpText('after', '\nExample:\n  kobe positions\n  kobe positions --json | jq \'.positions[] | select(.stop == null)\'')
    .action(kit.action(() => ({}), runPositions, renderPositions));
}

export async function runPositions(ctx: KobeContext): Promise<PositionsResult> {
  ctx.requireHome();
  const broker = await ctx.broker();
  const { syncOrders } = await import('../core/oms/sync.js');
  await syncOrders(await ctx.submitDeps());
  const ledger = (await ctx.state()).read(PositionsFile).positions;
  const today = etDate(ctx.clock.now());
  const held = await broker.positions();
  const positions = held.map((p) => {
    const l = ledger.find((e) => e.symbol === p.symbol);
    const bars = l?.entry_date ? Math.max(0, countSessions(l.entry_date, today) - 1) : null;
    return {
      symbol: p.symbol, qty: p.qty, avg_entry_price: p.avg_entry_price, current_price: p.current_price, unrealized_pl: p.unrealized_pl,
      strategy: l?.strategy ?? null, entry_date: l?.entry_date ?? null, stop: l?.stop ?? null, target: l?.target ?? null, time_stop_bars: l?.time_stop_bars ?? null,
      bars_held: bars, unknown_to_ledger: !l,
    };
  });
  return { positions, ledger_only: ledger.filter((e) => e.qty !== 0 && !held.some((p) => p.symbol === e.symbol)).map((e) => e.symbol) };
}

export function renderPositions(out: Output, r: PositionsResult): void {
  if (r.positions.length === 0) out.line('no positions');
  else {
    const f = (x: number | null, d = 2) => (x === null ? '-' : x.toFixed(d));
    void out.table(
      ['symbol', 'qty', 'avg', 'price', 'P&L', 'strategy', 'stop', 'target', 'held/time stop'],
      r.positions.map((p) => [p.symbol, p.qty, f(p.avg_entry_price), f(p.current_price), f(p.unrealized_pl), p.strategy ?? (p.unknown_to_ledger ? 'NOT IN LEDGER' : '-'), f(p.stop), f(p.target), `${p.bars_held ?? '-'}/${p.time_stop_bars ?? '-'}`]),
    );
  }
  if (r.positions.some((p) => p.unknown_to_ledger) || r.ledger_only.length) out.warn(`the broker and the ledger differ${r.ledger_only.length ? ` (ledger only: ${r.ledger_only.join(', ')})` : ''}: run \`kobe reconcile\``);
}
