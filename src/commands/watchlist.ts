// The overnight watchlist: built from the last close for the next session, then validated before
// the open (a gap beyond the configured % of the close or through the stop, stale data, or a
// symbol without a quote drops the pick). The trade cycle trades only validated picks.
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { UsageError } from '../core/errors.js';
import { nextSession } from '../core/market/calendar.js';
import { lastCompletedSession } from '../core/market/sessions.js';
import { etDate } from '../core/market/time.js';
import { dailyScan } from '../core/scan/run.js';
import { readWatchlist, writeWatchlist, type Watchlist, type WatchlistCheck } from '../core/trade/watchlist-file.js';

export type WatchlistResult = Watchlist & { action: 'build' | 'validate'; stale: boolean };

export function register(program: Command, kit: Kit): void {
  const w = program.command('watchlist').description('the overnight watchlist: build after the close, validate before the open').addHelpText('after', '\nExample:\n  kobe watchlist build\n  kobe watchlist validate');
  w.command('build').description('scan the last close and save the picks for the next session (logs/watchlist.json)').option('--top <n>', 'picks (default: config watchlist.top)').action(
    kit.action((raw) => {
      return { top: intFlag('--top', raw.top, 1, 100) };
    }, runWatchlistBuild, renderWatchlist),
  );
  w.command('validate').description('pre-market: drop picks that gapped beyond the limit or through the stop, have stale data, or no quote').action(kit.action(() => ({}), runWatchlistValidate, renderWatchlist));
}

export async function runWatchlistBuild(ctx: KobeContext, o: { top?: number }): Promise<WatchlistResult> {
  ctx.requireHome();
  const { config, params } = await ctx.config();
  const now = ctx.clock.now();
  const from = lastCompletedSession(now);
  const r = await dailyScan({ config, params, bars: await ctx.bars(), home: ctx.paths.home, logsDir: ctx.paths.logsDir, dataDir: ctx.paths.dataDir, now }, { date: from, top: o.top ?? config.watchlist.top, deterministic: false, write: true });
  const w: Watchlist = { version: 1, built_at: now.toISOString(), from_session: from, for_session: nextSession(from), picks: r.picks, validated: null };
  await writeWatchlist(ctx.paths.logsDir, w);
  (await ctx.events()).emit('watchlist_built', { from_session: from, for_session: w.for_session, picks: r.picks.map((p) => p.symbol) });
  return { ...w, action: 'build', stale: false };
}

export async function runWatchlistValidate(ctx: KobeContext): Promise<WatchlistResult> {
  ctx.requireHome();
  const w = readWatchlist(ctx.paths.logsDir);
  if (!w) throw new UsageError('no watchlist: build one after the close with `kobe watchlist build`');
  const { config } = await ctx.config();
  const now = ctx.clock.now();
  const expectedFrom = lastCompletedSession(now);
  const stale = w.from_session !== expectedFrom;
  const quotes = await ctx.quotes();
  const results: WatchlistCheck[] = [];
  for (const p of w.picks) {
    const q = stale ? null : await quotes.latestQuote(p.symbol);
    const px = q ? (q.bid + q.ask) / 2 : null;
    const gap = px === null ? null : px / p.entry - 1;
    let reason: string | null = null;
    if (stale) reason = `stale: built from ${w.from_session}, the last close is ${expectedFrom}`;
    else if (!q || px === null) reason = 'no quote (halted or unknown symbol)';
    else if ((now.getTime() - Date.parse(q.ts)) / 1000 > config.trading.max_quote_age_s) reason = 'quote is stale';
    else if (px <= p.stop) reason = `gapped through the stop (${px.toFixed(2)} <= ${p.stop})`;
    else if (Math.abs(gap!) > config.watchlist.max_gap_pct) reason = `gap ${(gap! * 100).toFixed(1)}% beyond ${(config.watchlist.max_gap_pct * 100).toFixed(1)}% of the close`;
    results.push({ symbol: p.symbol, ok: reason === null, reason, gap_pct: gap === null ? null : Math.round(gap * 10_000) / 100 });
  }
  const validated: Watchlist = { ...w, validated: { at: now.toISOString(), results } };
  await writeWatchlist(ctx.paths.logsDir, validated);
  (await ctx.events()).emit('watchlist_validated', { for_session: w.for_session, ok: results.filter((r) => r.ok).map((r) => r.symbol), dropped: results.filter((r) => !r.ok).map((r) => `${r.symbol}: ${r.reason}`) });
  if (w.for_session !== etDate(now) && w.for_session !== nextSession(etDate(now))) ctx.out.warn(`the watchlist is for ${w.for_session}, not today`);
  return { ...validated, action: 'validate', stale };
}

export function renderWatchlist(out: Output, r: WatchlistResult): void {
  if (r.action === 'build') {
    out.changed(`watchlist for ${r.for_session} from the close of ${r.from_session}: ${r.picks.length} pick(s)`);
    for (const p of r.picks) out.line(`${p.symbol}\t${p.strategy}\tclose ${p.entry}\tstop ${p.stop}\tconf ${p.confidence.toFixed(2)}`);
    return;
  }
  for (const c of r.validated?.results ?? []) out.line(`${c.symbol}\t${c.ok ? 'OK' : 'DROPPED'}\t${c.gap_pct === null ? '' : `gap ${c.gap_pct}%`}\t${c.reason ?? ''}`);
  out.info(`${r.validated?.results.filter((c) => c.ok).length ?? 0} of ${r.picks.length} pick(s) valid for ${r.for_session}`);
}
