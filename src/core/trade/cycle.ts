// One paper trading cycle (SPEC section 2, `kobe trade`): the validated watchlist (or today's
// picks) -> sizing -> the single submit path, each entry carrying its exit plan -> followed to a
// final state -> protective stops. The ledger and journal are written by the OMS from fills.
import type { KobeConfig, StrategyParams } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import { SafetyRefusal } from '../errors.js';
import type { EventLog } from '../log/logger.js';
import { isTradingDay } from '../market/calendar.js';
import { lastCompletedSession } from '../market/sessions.js';
import { etDate, etMinutes } from '../market/time.js';
import { submitIntent, type SubmitDeps, type SubmitOutcome } from '../oms/submit.js';
import type { Quotes } from '../ports/quotes.js';
import { positionSize } from '../risk/gate.js';
import { dailyScan } from '../scan/run.js';
import { ensureProtection, type ProtectOutcome } from '../oms/protect.js';
import { syncOrders, waitFinal } from '../oms/sync.js';
import type { StateStore } from '../state/store.js';
import type { Signal } from '../strategy/features.js';
import { readWatchlist } from './watchlist-file.js';

/** What a trade cycle needs. */
export interface TradeCycleDeps {
  submit: SubmitDeps;
  quotes: Quotes;
  store: StateStore;
  bars: BarStore;
  config: KobeConfig;
  params: StrategyParams;
  events: EventLog;
  home: string;
  logsDir: string;
  dataDir: string;
}

/** What happened to one pick. */
export interface PickOutcome {
  symbol: string;
  strategy: string;
  qty: number;
  limit: number | null;
  status: SubmitOutcome['status'] | 'SKIPPED';
  reason: string | null;
  client_order_id: string | null;
  filled_qty?: number;
  reused?: boolean;
}

/** The cycle's result. */
export interface TradeCycleResult {
  session: string;
  source: 'watchlist' | 'scan';
  picks: number;
  outcomes: PickOutcome[];
  protection: ProtectOutcome[];
}

/** How long a cycle follows its IOC entries (they end in well under a second at the broker). */
const FILL_WAIT_MS = 10_000;

const mins = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Whether `now` is inside a configured entry window on a session day. */
export function inTradingWindow(config: KobeConfig, now: Date): boolean {
  const m = etMinutes(now);
  return isTradingDay(etDate(now)) && config.trading.windows.some((w) => m >= mins(w.start) && m < mins(w.end));
}

/** Entry limit: ask x (1 + buffer), never more than 2% above the quote. */
export function entryLimit(ask: number, buffer: number): number {
  return Math.round(Math.min(ask * (1 + buffer), ask * 1.02) * 100) / 100;
}

/** Refuse outside the trading windows (unless --force-window in paper) and under a halt. */
export function assertCanTrade(d: TradeCycleDeps, forceWindow: boolean): void {
  const now = d.submit.clock.now();
  const paper = d.config.trading.mode === 'paper';
  if (!inTradingWindow(d.config, now) && !(forceWindow && paper)) {
    throw new SafetyRefusal(`outside the trading windows (${d.config.trading.windows.map((w) => `${w.start}-${w.end}`).join(', ')} ET on sessions)`, {
      hint: paper ? 'wait for a window, or pass --force-window (paper only)' : 'live trading never runs outside the windows',
    });
  }
  const ts = d.submit.tradingState();
  if (ts.state === 'HALTED') throw new SafetyRefusal(`kill switch on (HALTED): ${ts.record?.reason ?? ''}`.trim(), { hint: 'see `kobe kill status`; nothing was sent' });
}

/** Run one cycle of entries. */
export async function tradeCycle(d: TradeCycleDeps, o: { forceWindow: boolean; top?: number }): Promise<TradeCycleResult> {
  assertCanTrade(d, o.forceWindow);
  await syncOrders(d.submit);
  const now = d.submit.clock.now();
  const session = etDate(now);
  const wl = readWatchlist(d.logsDir);
  let picks: Signal[];
  let source: TradeCycleResult['source'];
  if (wl && wl.for_session === session && wl.validated) {
    picks = wl.picks.filter((p) => wl.validated!.results.find((r) => r.symbol === p.symbol)?.ok);
    source = 'watchlist';
  } else {
    // Today's picks come from the last close: entries at t+1 on signals at the close of t.
    const r = await dailyScan({ config: d.config, params: d.params, bars: d.bars, home: d.home, logsDir: d.logsDir, dataDir: d.dataDir, now }, { date: lastCompletedSession(now), top: o.top ?? 3, deterministic: false, write: true });
    picks = r.picks;
    source = 'scan';
  }
  const account = await d.submit.broker.account();
  const outcomes: PickOutcome[] = [];
  for (const p of picks) {
    const q = await d.quotes.latestQuote(p.symbol);
    const skip = (reason: string, limit: number | null = null) => outcomes.push({ symbol: p.symbol, strategy: p.strategy, qty: 0, limit, status: 'SKIPPED', reason, client_order_id: null });
    if (!q || !(q.ask > 0)) {
      skip('no quote');
      continue;
    }
    const age = (now.getTime() - Date.parse(q.ts)) / 1000;
    if (age > d.config.trading.max_quote_age_s) {
      skip(`quote is ${Math.round(age)} s old (limit ${d.config.trading.max_quote_age_s} s)`);
      continue;
    }
    const limit = entryLimit(q.ask, d.config.trading.limit_buffer);
    // No edge left: the price is already at the target (or the stop), as the backtest skips it.
    if (p.target !== null && limit >= p.target) {
      skip(`entry ${limit} is at or above the target ${p.target}`, limit);
      continue;
    }
    // SPEC's sizing, also kept under the per-order notional cap so the gate is a safety net and
    // not a routine veto of every large-equity entry.
    const qty = Math.min(positionSize(account.equity, limit, p.stop, d.config.trading.risk_pct, d.config.trading.max_position_pct), Math.floor(d.config.trading.max_order_notional / limit));
    if (qty < 1) {
      skip(`size is 0 shares (entry ${limit}, stop ${p.stop})`, limit);
      continue;
    }
    const out = await submitIntent(d.submit, {
      session_date: session, symbol: p.symbol, side: 'buy', qty, type: 'limit', time_in_force: 'ioc', limit_price: limit, stop_price: null, strategy: p.strategy, kind: 'entry',
      plan: { stop: p.stop, target: p.target, time_stop_bars: p.time_stop_bars, signal_price: p.entry, signal_date: p.date },
    });
    outcomes.push({ symbol: p.symbol, strategy: p.strategy, qty, limit, status: out.status, reason: out.reason, client_order_id: out.client_order_id, filled_qty: out.filled_qty ?? 0, reused: out.reused });
  }
  // Orders are accepted now and filled later: follow this cycle's entries to a final state (the
  // fills book the ledger and journal in the OMS), then rest a protective stop on each position.
  const sent = outcomes.filter((o) => o.client_order_id && (o.status === 'SUBMITTED' || o.status === 'PARTIALLY_FILLED' || o.status === 'PENDING' || o.status === 'UNKNOWN'));
  if (sent.length) {
    const recs = await waitFinal(d.submit, sent.map((o) => o.client_order_id!), FILL_WAIT_MS);
    for (const r of recs) Object.assign(outcomes.find((o) => o.client_order_id === r.client_order_id)!, { status: r.status, filled_qty: r.filled_qty, reason: r.reason });
  }
  const protection = await ensureProtection(d.submit);
  d.events.emit('trade_cycle', { session, source, picks: picks.length, sent: outcomes.filter((x) => x.status !== 'SKIPPED').length, filled: outcomes.filter((x) => (x.filled_qty ?? 0) > 0).length });
  return { session, source, picks: picks.length, outcomes, protection };
}
