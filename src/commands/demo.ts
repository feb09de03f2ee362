// The narrated tour on the embedded default, in a temporary home with a simulated clock set to
// the next session's morning window. Each step runs the same runXxx functions the commands use,
// so the demo cannot drift from the product.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { createContext, type KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { verifyChain } from '../core/audit/chain.js';
import { errorText } from '../core/errors.js';
import { addSessions, nextSession, previousSession } from '../core/market/calendar.js';
import { lastCompletedSession } from '../core/market/sessions.js';
import { etToUtc } from '../core/market/time.js';
import { submitIntent } from '../core/oms/submit.js';
import type { OrderReport } from '../core/ports/broker.js';
import { FakeClock } from '../core/ports/clock.js';
import { dailyScan } from '../core/scan/run.js';
import { readTrades } from '../core/trade/journal.js';
import { writeWatchlist } from '../core/trade/watchlist-file.js';
import { runAccount } from './account.js';
import { runReplay } from './brain/replay.js';
import { runPreflight } from './preflight.js';
import { runBacktestCommand } from './backtest.js';
import { runDataSeed } from './data/seed.js';
import { runDataVerify } from './data/verify.js';
import { runInit } from './init.js';
import { runKillOff } from './kill/off.js';
import { runKillOn } from './kill/on.js';
import { runMarket } from './market.js';
import { runPositions } from './positions.js';
import { runReconcile } from './reconcile.js';
import { runTrade } from './trade.js';
import { runVerifyChain } from './verify-chain.js';

export interface DemoStep {
  step: string;
  outcome: string;
}

export interface DemoResult {
  home: string;
  kept: boolean;
  simulated_now: string;
  steps: DemoStep[];
}

export function register(program: Command, kit: Kit): void {
  program
    .command('demo')
    .description('a narrated tour on the embedded default: synthetic market, scan, paper orders through the risk gate to the sim broker, kill switch, reconcile, audit chain (temporary home, no account, no network)')
    .option('--keep', 'keep the temporary home afterwards and print its path')
    .addHelpText('after', '\nExample:\n  kobe demo\n  kobe demo --keep --json')
    .action(kit.action((raw) => ({ keep: !!raw.keep }), runDemo, renderDemo));
}

export async function runDemo(ctx: KobeContext, opts: { keep: boolean }): Promise<DemoResult> {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-demo-'));
  // The simulated clock: 10:30 ET (a trading window) on the session after the most recent close
  // with signals, found once the market exists; until then the next session's.
  let session = nextSession(lastCompletedSession(ctx.clock.now()));
  const clock = new FakeClock(etToUtc(session, '10:30'));
  const steps: DemoStep[] = [];
  const say = (step: string, outcome: string) => {
    steps.push({ step, outcome });
    if (!ctx.out.json) ctx.out.info(`${ctx.out.s.bold(`[${steps.length}]`)} ${step}\n    ${outcome}`);
  };
  const quiet = { write: () => true };
  const d = await createContext({ home, json: true, color: false, clock, env: { ...ctx.env, USER: 'demo' }, streams: { stdout: quiet, stderr: quiet } });
  try {
    const init = await runInit(d, { force: false });
    say('kobe init: a home with config, frozen params v2.2 and their sha256 pin', `pin ${init.pin.slice(0, 16)}...; paper mode, sim broker (no account needed)`);
    // Seeded through the simulated session: that day's bar is the sim's market (its quotes and fills
    // follow the bar's path); strategies only see completed sessions.
    const seed = await runDataSeed(d, { symbols: 100, years: 10, seed: 42, withFaults: false });
    say('kobe data seed: a SYNTHETIC market on real NYSE sessions', `${seed.symbols} symbols x ${seed.sessions} sessions = ${seed.bars.toLocaleString('en-US')} bars (${seed.first}..${seed.last}), ${seed.splits} splits pre-adjusted`);
    const v = await runDataVerify(d, {});
    say('kobe data verify: the data audit (calendar gaps, NaN, OHLC, splits, staleness)', `${v.findings_total === 0 ? 'clean' : `${v.findings_total} finding(s)`}: ${v.symbols_checked} symbols, ${v.bars_checked.toLocaleString('en-US')} bars`);
    // Signals are rare: the demo trades the session after the most recent close that had picks, and
    // replays the brain over a week after an earlier one, so both show trading.
    const { config: cfg0, params: p0 } = await d.config();
    const scanDeps = { config: cfg0, params: p0, bars: await d.bars(), home, logsDir: d.paths.logsDir, dataDir: d.paths.dataDir, now: clock.now() };
    const picksOn = async (from: string) => {
      let day = from;
      for (let i = 0; i < 60; i++, day = previousSession(day)) if ((await dailyScan(scanDeps, { date: day, top: 3, deterministic: true, write: false })).picks.length) return day;
      return from;
    };
    const signalDay = await picksOn(lastCompletedSession(clock.now()));
    session = nextSession(signalDay);
    clock.set(etToUtc(session, '10:30'));
    const m = await runMarket(d, {});
    say(`kobe market (simulated clock: ${session} 10:30 ET)`, `${m.isTradingDay ? 'trading day' : 'closed'}, phase ${m.phase}`);
    const pf = await runPreflight(d, { mode: 'paper', timeoutMs: 5_000 });
    say('kobe preflight --mode paper: every check before trading', `${pf.go ? 'GO' : 'NO-GO'}: ${pf.rows.filter((r) => r.status === 'ok').length} ok, ${pf.rows.filter((r) => r.status === 'warn').length} warn, ${pf.rows.filter((r) => r.status === 'skip').length} skip, ${pf.rows.filter((r) => r.status === 'fail').length} fail`);
    const earlier = await picksOn(addSessions(signalDay, -7));
    const weekFrom = nextSession(earlier);
    const weekTo = addSessions(earlier, 5);
    const week = await runReplay(d, { from: weekFrom, to: weekTo, research: false });
    say(`kobe brain start --foreground --replay ${weekFrom}..${weekTo}: the 24/7 loop over a simulated week`, `${week.sessions} sessions in ${(week.wall_ms / 1000).toFixed(1)} s: ${week.cycles} cycles, ${week.orders} orders (${week.fills} fills, ${week.exits} exits), ${week.vetoes} vetoes, ${week.heartbeats} heartbeats; health ${week.health.healthy ? 'ok' : week.health.reasons.join(', ')}`);
    const bt = await runBacktestCommand(d, { perSignal: false, checkLookahead: false, start: addSessions(lastCompletedSession(clock.now()), -3 * 252) });
    const m3 = bt.summary.metrics.combined;
    const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)}%`);
    say('kobe backtest: both strategies, portfolio mode, last 3 years (SYNTHETIC data)', `${m3.trades} trades, win rate ${pct(m3.win_rate)}, profit factor ${m3.profit_factor?.toFixed(2) ?? 'n/a'}, CAGR ${pct(m3.cagr)}, max drawdown ${pct(m3.max_drawdown)}  ${bt.sparkline.slice(0, 40)}`);
    const { config, params } = await d.config();
    const deps = { config, params, bars: await d.bars(), home, logsDir: d.paths.logsDir, dataDir: d.paths.dataDir, now: clock.now() };
    const from = signalDay;
    const scan = await dailyScan(deps, { date: from, top: 3, deterministic: true, write: true });
    say(`kobe scan: both strategies over the universe at the close of ${from}`, scan.picks.length ? scan.picks.map((p) => `${p.symbol} ${p.strategy} conf ${p.confidence.toFixed(2)} stop ${p.stop}`).join('; ') : 'no signals in the last sessions');
    await writeWatchlist(d.paths.logsDir, { version: 1, built_at: clock.now().toISOString(), from_session: from, for_session: session, picks: scan.picks, validated: { at: clock.now().toISOString(), results: scan.picks.map((p) => ({ symbol: p.symbol, ok: true, reason: null, gap_pct: 0 })) } });
    const trade = await runTrade(d, { forceWindow: false, top: 3 });
    const stops = trade.protection.filter((p) => p.action === 'placed').map((p) => p.symbol);
    say('kobe trade --once: sizing -> risk gate -> idempotency store -> sim broker (accepted, then filled) -> protective stop at the broker', `${trade.outcomes.map((o) => `${o.symbol} ${o.qty} @ ${o.limit} -> ${o.status}${o.filled_qty ? ` ${o.filled_qty} filled` : ''}${o.reason ? ` (${o.reason})` : ''}`).join('; ') || 'nothing to trade'}${stops.length ? `; GTC stop resting for ${stops.join(', ')}` : ''}`);
    const again = await runTrade(d, { forceWindow: false, top: 3 });
    const before = trade.outcomes.filter((o) => (o.filled_qty ?? 0) > 0 || o.status === 'SUBMITTED').length;
    say('kobe trade --once again (same session)', `no duplicates: the same ${again.outcomes.length} intent(s) reuse their client_order_id (${again.outcomes.map((o) => o.status).join(', ') || 'none'}); ${before} order(s) placed today, as before`);
    const pos = await runPositions(d);
    say('kobe positions: broker joined with the ledger', pos.positions.map((p) => `${p.symbol} ${p.qty} @ ${p.avg_entry_price} stop ${p.stop} time stop ${p.time_stop_bars}`).join('; ') || 'none');
    const acct = await runAccount(d);
    say('kobe account', `equity $${acct.account.equity.toFixed(2)}, cash $${acct.account.cash.toFixed(2)}`);
    await runKillOn(d, { reason: 'demo: operator halts trading', mode: 'halt' });
    const stopOf = (o: OrderReport) => (o.type === 'stop' ? o.stop_price : (o.legs.find((l) => l.type === 'stop')?.stop_price ?? null));
    const resting = (await (await d.broker()).listOrders({ status: 'open' })).filter((o) => o.side === 'sell' && stopOf(o) !== null);
    say('kobe kill on: new orders refused, protective stops keep resting at the broker', `${resting.length} stop(s) still resting: ${resting.map((o) => `${o.symbol} ${o.qty} stop ${stopOf(o)}${o.order_class === 'oco' ? ` / target ${o.limit_price} (OCO)` : ''}`).join(', ') || 'none'}`);
    const blocked = await submitIntent(await d.submitDeps(), { session_date: session, symbol: scan.picks[0]?.symbol ?? 'XAT1', side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 1_000, stop_price: null, strategy: 'manual', kind: 'manual' });
    say('an order is attempted while halted', `${blocked.status}: ${blocked.reason}`);
    fs.writeFileSync(d.paths.killSwitch, 'plain text from echo\n');
    say('echo "..." > state/KILL_SWITCH also halts (kobe did not write it)', `${d.tradingState().state}: "${d.tradingState().record?.reason}"`);
    // The session goes on with trading halted and no brain: the broker still enforces the stops.
    clock.set(etToUtc(session, '15:55'));
    const later = await runPositions(d);
    const closed = readTrades(d.paths.logsDir).trades.filter((x) => x.event === 'close' && x.ts >= etToUtc(session, '09:30').toISOString());
    say('15:55, halted, no brain running: kobe positions (every command first books what the broker did)', `${later.positions.map((p) => `${p.symbol} ${p.qty} held`).join(', ') || 'nothing held'}${closed.length ? `; closed at the broker: ${closed.map((c) => `${c.symbol} ${c.qty} @ ${c.price} (${c.reason}, P&L ${c.pnl})`).join(', ')}` : ''}`);
    const rec = await runReconcile(d, { fix: false, yes: false }).catch((e) => e);
    say('kobe reconcile: broker vs ledger vs idempotency store', rec instanceof Error ? `not clean: ${errorText(rec)}` : `clean (${rec.discrepancies.length} discrepancies)`);
    const off = await runKillOff(d, { yes: true, force: false, note: 'demo: reconciled clean' });
    say('kobe kill off --yes (allowed: clean, recent reconcile and no unresolved orders)', off.changed ? 'ACTIVE again' : 'was not on');
    const chain = await runVerifyChain(d, { repair: false });
    say('kobe verify-chain: every order, veto and kill switch change is in the audit chain', `${chain.status}: ${chain.blocks} blocks`);
    const lines = fs.readFileSync(d.paths.chain, 'utf8').split('\n');
    fs.writeFileSync(d.paths.chain, [lines[0], lines[1].replace('"type":"', '"type":"x'), ...lines.slice(2)].join('\n'));
    const broken = verifyChain(d.paths.chain, d.paths.chainHead);
    say('someone edits block 2 of the chain by hand', `verify-chain: ${broken.status} at block ${broken.brokenAt} (exit 5)`);
    fs.writeFileSync(d.paths.chain, lines.join('\n'));
  } finally {
    if (!opts.keep) fs.rmSync(home, { recursive: true, force: true });
  }
  return { home, kept: opts.keep, simulated_now: clock.now().toISOString(), steps };
}

export function renderDemo(out: Output, r: DemoResult): void {
  out.line(`demo finished: ${r.steps.length} steps on a simulated ${r.simulated_now}${r.kept ? `; home kept at ${r.home}` : ''}`);
}
