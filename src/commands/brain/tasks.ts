// The brain's trading-day tasks: data refresh, reconcile, preflight, the watchlist, the exit
// manager and the trading cycles. Each one calls the same core services and run functions as the
// commands an operator would type, through the task context (bars cut at the last completed
// session). Entries are gated here; exits only shrink positions the broker confirms, so they
// run even while entries are refused (the kill switch still stops them at the submit path).
import path from 'node:path';
import { loadUniverse } from '../../core/data/universe.js';
import { AuthError, CheckFailed, ConnectivityError, PlanLimitError, SafetyRefusal, UsageError, errorText } from '../../core/errors.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import { etDate, formatEt } from '../../core/market/time.js';
import { reconcile } from '../../core/reconcile/apply.js';
import { LastReconcileFile, PositionsFile } from '../../core/state/schemas.js';
import { tradeCycle } from '../../core/trade/cycle.js';
import { manageExits } from '../../core/trade/exits.js';
import { runDataPrefetch } from '../data/prefetch.js';
import { runPreflight, type PreflightResult } from '../preflight.js';
import { runWatchlistBuild, runWatchlistValidate } from '../watchlist.js';
import { failed, ok, skipped, type BrainEnv, type TaskResult } from './env.js';

/** Count a submit outcome toward the metrics and the K7 streak; alert on what the operator wants to hear. */
function noteOrder(env: BrainEnv, status: string, what: string, kind: 'entry' | 'exit'): void {
  env.metrics.order(status);
  if (status === 'REJECTED') env.run.brokerRejections++;
  else if (status === 'SUBMITTED' || status === 'FILLED' || status === 'PARTIALLY_FILLED') {
    env.run.brokerRejections = 0;
    if (kind === 'exit') env.metrics.exits++;
    env.alerts.send(kind === 'entry' ? 'trade_executed' : 'position_closed', what);
  }
}

/** Pre- and post-close data: a prefetch from the configured provider when it has keys, else a freshness check. */
export async function dataRefresh(env: BrainEnv): Promise<TaskResult> {
  const now = env.clock.now();
  const u = loadUniverse(path.resolve(env.ctx.paths.home, env.config.data.universe), env.config.data.cap);
  const idx = env.bars.index().symbols;
  const synthetic = u.symbols.some((s) => idx[s]?.source === 'synthetic');
  const secrets = await env.ctx.secrets();
  const provider = env.config.data.provider;
  const key = provider === 'alpaca' ? secrets.ALPACA_API_KEY_ID && secrets.ALPACA_API_SECRET_KEY : secrets.POLYGON_API_KEY;
  if (!synthetic && key && !env.replay) {
    try {
      const r = await runDataPrefetch(env.ctx, { universe: env.config.data.universe, cap: env.config.data.cap, provider });
      env.run.dataDownSince = null;
      return ok(`${r.source} prefetch ${r.start}..${r.end}: ${r.counts.fetched} fetched, ${r.counts.skipped} already complete`);
    } catch (err) {
      if (err instanceof ConnectivityError || err instanceof AuthError) env.run.dataDownSince ??= now.toISOString();
      // A plan refusal or a behind symbol is the provider answering: it is not down.
      else if (err instanceof CheckFailed || err instanceof PlanLimitError) env.run.dataDownSince = null;
      throw err;
    }
  }
  const why = synthetic ? 'SYNTHETIC bars: nothing to fetch' : env.replay ? 'replay: the store already holds the replayed sessions' : `no ${provider === 'alpaca' ? 'ALPACA_API_KEY_ID/ALPACA_API_SECRET_KEY' : 'POLYGON_API_KEY'}: nothing to fetch from`;
  const want = lastCompletedSession(now);
  const missing = u.symbols.filter((s) => !idx[s]);
  const stale = u.symbols.filter((s) => idx[s] && (idx[s].last ?? '') < want);
  if (missing.length || stale.length) {
    return failed(`${why}; freshness: ${stale.length} stale and ${missing.length} missing of ${u.symbols.length} (want last bar ${want})${stale.length ? `, e.g. ${stale.slice(0, 3).map((s) => `${s} ${idx[s].last}`).join(', ')}` : ''}`, { stale: stale.length, missing: missing.length });
  }
  return ok(`${why}; freshness verified: ${u.symbols.length} symbols through ${want}`);
}

/** Read-only reconcile; a dirty one refuses entries until a clean one (the brain's or an operator's). */
export async function reconcileTask(env: BrainEnv): Promise<TaskResult> {
  const r = await reconcile(await env.ctx.reconcileDeps(), { fix: false });
  if (r.clean) {
    if (env.run.tradingRefused?.by === 'reconcile') {
      env.events.emit('brain_entries_resumed', { reason: 'clean reconcile', was: env.run.tradingRefused.reason });
      env.run.tradingRefused = null;
    }
    return ok('clean: broker, ledger and store agree');
  }
  const types = [...new Set(r.discrepancies.map((d) => d.type))].join(', ');
  const reason = `reconcile at ${formatEt(env.clock.now())} found ${r.discrepancies.length} discrepancy(ies): ${types}; fix with \`kobe reconcile --fix --yes\``;
  if (!env.run.tradingRefused) env.alerts.send('error', `entries refused: ${reason}`);
  env.run.tradingRefused = { reason, since: r.ts, by: 'reconcile' };
  env.events.emit('brain_entries_refused', { reason, mismatch_notional: r.mismatch_notional }, 'warn');
  return ok(`dirty (${types}, mismatch ${r.mismatch_notional.toFixed(2)} USD): entries refused`, { discrepancies: r.discrepancies.length });
}

/** Run preflight and remember today's verdict. */
export async function preflightTask(env: BrainEnv): Promise<TaskResult> {
  const date = etDate(env.clock.now());
  try {
    const r = await runPreflight(env.ctx, { timeoutMs: 5_000 });
    const warned = r.rows.filter((x) => x.status === 'warn').map((x) => x.name);
    env.run.preflight = { date, go: true, detail: `GO${warned.length ? ` (warnings: ${warned.join(', ')})` : ''}` };
    return ok(env.run.preflight.detail);
  } catch (err) {
    if (!(err instanceof CheckFailed)) throw err;
    const rows = (err.result as PreflightResult | undefined)?.rows ?? [];
    const detail = `NO-GO: ${rows.filter((x) => x.blocking && x.status === 'fail').map((x) => `${x.name} (${x.detail})`).join('; ') || err.message}`;
    env.run.preflight = { date, go: false, detail };
    return failed(detail);
  }
}

/** Why entries may not be sent now, or null. A refusal from reconcile lifts once a newer reconcile is clean. */
export async function entriesBlocked(env: BrainEnv): Promise<string | null> {
  const refused = env.run.tradingRefused;
  if (refused?.by === 'reconcile') {
    const store = await env.ctx.state();
    const last = store.exists(LastReconcileFile) ? store.read(LastReconcileFile) : null;
    if (last && last.clean && last.ts > refused.since) {
      env.events.emit('brain_entries_resumed', { reason: `clean reconcile at ${last.ts}`, was: refused.reason });
      env.run.tradingRefused = null;
    }
  }
  if (env.run.tradingRefused) return `entries refused: ${env.run.tradingRefused.reason}`;
  const ts = env.ctx.tradingState();
  if (ts.state === 'HALTED') return `halted: ${ts.record?.reason ?? ts.detail ?? 'kill switch on'}`;
  if (ts.state === 'REDUCING') return `reduce-only: ${ts.record?.reason ?? 'kill switch in reduce mode'}; no entries`;
  const today = etDate(env.clock.now());
  if (env.run.preflight?.date !== today || !env.run.preflight.go) {
    const r = await preflightTask(env);
    if (r.status !== 'ok') return `preflight ${r.detail}`;
  }
  return null;
}

/** The exit manager: every ledger position against stop, target, time stop and strategy exit, incl. catch-up. */
export async function exitsTask(env: BrainEnv): Promise<TaskResult> {
  const now = env.clock.now();
  const store = await env.ctx.state();
  const ledger = store.read(PositionsFile).positions.filter((p) => p.qty !== 0);
  env.run.lastExitScanTs = now.toISOString();
  if (ledger.length === 0) return { status: 'ok', detail: 'no positions in the ledger', idle: true };
  const deps = await env.ctx.tradeDeps();
  const decisions = await manageExits(deps);
  for (const p of ledger) {
    const q = await deps.quotes.latestQuote(p.symbol).catch(() => null);
    if (q) env.run.prices[p.symbol] = q.bid;
  }
  const acted = decisions.filter((d) => d.reason);
  for (const d of acted) {
    env.run.lastExitTriggerTs = now.toISOString();
    noteOrder(env, d.status ?? 'SKIPPED', `exit ${d.symbol} ${d.qty} (${d.reason}${d.caught_up ? ', caught up' : ''}): ${d.status}`, 'exit');
  }
  const bad = acted.filter((d) => d.status === 'REJECTED' || d.status === 'UNKNOWN' || d.status === 'VETOED');
  const text = `${decisions.length} position(s), ${acted.length} exit(s)${acted.length ? `: ${acted.map((d) => `${d.symbol} ${d.reason}${d.caught_up ? ' (caught up)' : ''} ${d.status}`).join(', ')}` : ''}`;
  const data = { exits: acted.map((d) => ({ symbol: d.symbol, reason: d.reason, caught_up: d.caught_up, status: d.status, client_order_id: d.client_order_id })) };
  return bad.length ? failed(text, data) : ok(text, data);
}

/** One trading cycle (SPEC section 5 via src/core/trade/cycle.ts), gated by the brain's refusals. */
export async function tradeCycleTask(env: BrainEnv): Promise<TaskResult> {
  const blocked = await entriesBlocked(env);
  if (blocked) return skipped(blocked);
  let r;
  try {
    r = await tradeCycle(await env.ctx.tradeDeps(), { forceWindow: false, top: env.config.watchlist.top });
  } catch (err) {
    // A switch touched between the gate above and the cycle's own check: nothing was sent.
    if (err instanceof SafetyRefusal) return skipped(err.message);
    throw err;
  }
  for (const o of r.outcomes) noteOrder(env, o.status, `buy ${o.qty} ${o.symbol} (${o.strategy}) limit ${o.limit ?? '-'}: ${o.status}`, 'entry');
  const sent = r.outcomes.filter((o) => o.status !== 'SKIPPED');
  const text = `${r.source}: ${r.picks} pick(s), ${sent.length} order(s)${r.outcomes.length ? `: ${r.outcomes.map((o) => `${o.symbol} ${o.status}${o.reason ? ` (${o.reason})` : ''}`).join(', ')}` : ''}`;
  const data = { source: r.source, outcomes: r.outcomes.map((o) => ({ symbol: o.symbol, status: o.status, qty: o.qty, limit: o.limit, client_order_id: o.client_order_id })) };
  return r.outcomes.some((o) => o.status === 'REJECTED' || o.status === 'UNKNOWN') ? failed(text, data) : ok(text, data);
}

/** Pre-market validation of the overnight watchlist. */
export async function watchlistValidateTask(env: BrainEnv): Promise<TaskResult> {
  try {
    const w = await runWatchlistValidate(env.ctx);
    const res = w.validated?.results ?? [];
    return ok(`${res.filter((x) => x.ok).length} of ${w.picks.length} pick(s) valid for ${w.for_session}${w.stale ? ' (stale watchlist: all dropped)' : ''}`);
  } catch (err) {
    if (err instanceof UsageError) return skipped(errorText(err));
    throw err;
  }
}

/** Post-close: the scan at the close -> logs/watchlist.json for the next session. */
export async function watchlistBuildTask(env: BrainEnv): Promise<TaskResult> {
  const w = await runWatchlistBuild(env.ctx, { top: env.config.watchlist.top });
  return ok(`${w.picks.length} pick(s) from the close of ${w.from_session} for ${w.for_session}${w.picks.length ? `: ${w.picks.map((p) => `${p.symbol} ${p.strategy}`).join(', ')}` : ''}`);
}
