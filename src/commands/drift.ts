import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { dateFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { runBacktest, settingsFromConfig } from '../core/backtest/engine.js';
import { loadUniverseBars } from '../core/backtest/load.js';
import { loadUniverse } from '../core/data/universe.js';
import { compareWithBacktest, liveTrades, type DriftReport } from '../core/drift/drift.js';
import { CheckFailed, UsageError } from '../core/errors.js';
import { addSessions } from '../core/market/calendar.js';
import { lastCompletedSession } from '../core/market/sessions.js';
import { readTrades } from '../core/trade/journal.js';

export interface DriftOptions {
  since?: string;
  until?: string;
}

export type DriftResult = DriftReport & { journal_problems: string[]; universe_missing: string[] };


export function register(program: Command, kit: Kit): void {
  program
    .command('drift')
    .description('trades in logs/trades.jsonl against what the backtest does on the same sessions: missed and extra signals, slippage (bps), P&L divergence; exit 5 beyond policy K3')
    .option('--since <YYYY-MM-DD>', 'first session compared (default: 21 sessions before --until)')
    .option('--until <YYYY-MM-DD>', 'last session compared (default: the last completed session)')
    .addHelpText('after', '\nExample:\n  kobe drift --since 2025-01-07\n  kobe drift --json | jq .pnl')
    .action(kit.action((raw) => ({ since: dateFlag('--since', raw.since), until: dateFlag('--until', raw.until) }), runDrift, renderDrift));
}

export async function runDrift(ctx: KobeContext, o: DriftOptions): Promise<DriftResult> {
  ctx.requireHome();
  const { config, params } = await ctx.config();
  const until = o.until ?? lastCompletedSession(ctx.clock.now());
  const since = o.since ?? addSessions(until, -20);
  if (since > until) throw new UsageError(`--since ${since} is after --until ${until}`);
  const { trades, problems } = readTrades(ctx.paths.logsDir);
  const u = loadUniverse(path.resolve(ctx.paths.home, config.data.universe), config.data.cap);
  const bars = loadUniverseBars(await ctx.bars(), u.symbols);
  const bt = runBacktest({ series: bars.series, params, settings: settingsFromConfig(config, 'portfolio', { start: since, end: until }) });
  const report = compareWithBacktest(liveTrades(trades, since, until), bt.trades, since, until, config.drift.max_pnl_divergence);
  const result = { ...report, journal_problems: problems, universe_missing: bars.missing };
  (await ctx.events()).emit('drift', { since, until, matched: report.matched.length, missed: report.missed.length, extra: report.extra.length, divergence: report.pnl.divergence, breached: report.breached }, report.breached ? 'warn' : 'info');
  if (report.breached) throw new CheckFailed(`P&L diverges ${(report.pnl.divergence! * 100).toFixed(1)}% from the backtest (policy K3 limit ${(report.threshold * 100).toFixed(0)}%)`, { result, hint: 'review fills and missed signals; consider `kobe kill on --reason "K3 drift"`' });
  return result;
}

export function renderDrift(out: Output, r: DriftResult): void {
  out.line(`drift ${r.since}..${r.until}: ${r.live_entries} live entr${r.live_entries === 1 ? 'y' : 'ies'}, ${r.backtest_entries} in the backtest, ${r.matched.length} matched`);
  out.line(`missed signals  ${r.missed.length}${r.missed.length ? `: ${r.missed.slice(0, 8).map((t) => `${t.symbol} ${t.entry_date}`).join(', ')}` : ''}`);
  out.line(`extra trades    ${r.extra.length}${r.extra.length ? `: ${r.extra.slice(0, 8).map((t) => `${t.symbol} ${t.entry_date}`).join(', ')}` : ''}`);
  out.line(`fill slippage   ${r.slippage_bps.n ? `mean ${r.slippage_bps.mean} bps, median ${r.slippage_bps.median} bps over ${r.slippage_bps.n}` : 'no matched fills'}`);
  out.line(`P&L per share   live ${r.pnl.live}, backtest ${r.pnl.backtest}; divergence ${r.pnl.divergence === null ? 'n/a' : `${(r.pnl.divergence * 100).toFixed(1)}%`} (K3 ${(r.threshold * 100).toFixed(0)}%)`);
  for (const p of r.journal_problems) out.warn(p);
}
