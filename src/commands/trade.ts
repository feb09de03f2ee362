import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { assertCanTrade, tradeCycle, type TradeCycleResult } from '../core/trade/cycle.js';
import { manageExits, type ExitDecision } from '../core/trade/exits.js';
import { SafetyRefusal } from '../core/errors.js';

export interface TradeOptions {
  forceWindow: boolean;
  top: number;
}

export interface TradeResult extends TradeCycleResult {
  exits: ExitDecision[];
}

export function register(program: Command, kit: Kit): void {
  program
    .command('trade')
    .description('one paper trading cycle: exits that are due, then the validated watchlist (or today\'s picks) -> sizing -> risk gate -> orders')
    .option('--once', 'run one cycle (the default; the brain schedules cycles)')
    .option('--force-window', 'paper only: run outside the trading windows')
    .option('--top <n>', 'picks to act on when scanning', '3')
    .addHelpText('after', '\nExample:\n  kobe trade --once\n  kobe trade --once --force-window --json')
    .action(
      kit.action(
        (raw) => {
          return { forceWindow: !!raw.forceWindow, top: intFlag('--top', raw.top, 1, 50) ?? 3 };
        },
        runTrade,
        renderTrade,
      ),
    );
}

export async function runTrade(ctx: KobeContext, o: TradeOptions): Promise<TradeResult> {
  ctx.requireHome();
  const deps = await ctx.tradeDeps({ ignoreWindow: o.forceWindow });
  // Refusals come before anything is sent; exits run first so their slots are free for entries.
  assertCanTrade(deps, o.forceWindow);
  const exits = await manageExits(deps);
  const result: TradeResult = { ...(await tradeCycle(deps, { forceWindow: o.forceWindow, top: o.top })), exits };
  // A halt that arrives mid-cycle refuses the remaining orders: the cycle did not do its job.
  const refused = result.outcomes.filter((x) => x.status === 'REFUSED');
  if (refused.length) {
    if (!ctx.out.json) ctx.out.result(result, renderTrade, false);
    throw new SafetyRefusal(`${refused.length} order(s) refused mid-cycle: ${refused[0].reason ?? 'trading halted'}`, {
      result,
      hint: 'see `kobe kill status`; orders sent before the halt are listed in `kobe orders`',
    });
  }
  return result;
}

export function renderTrade(out: Output, r: TradeResult): void {
  for (const x of r.exits.filter((e) => e.reason)) out.changed(`exit ${x.symbol} (${x.reason}${x.caught_up ? ', caught up' : ''}): ${x.status}`);
  if (r.outcomes.length === 0) out.line(`${r.session}: no picks to trade (source: ${r.source})`);
  else void out.table(['symbol', 'strategy', 'qty', 'limit', 'outcome', 'reason'], r.outcomes.map((x) => [x.symbol, x.strategy, x.qty, x.limit?.toFixed(2) ?? '-', x.status, x.reason ?? '']));
}
