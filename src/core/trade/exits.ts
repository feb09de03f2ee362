// The exit manager (SPEC sections 5 and 10). Stops (and targets, as OCO) rest at the broker, so
// the broker enforces them even when kobe is down; their fills are booked by the sync that starts
// every run. Here: time stops and the strategy's own exit, plus stop and target for a position
// that has no protective order resting (then also catching up a level crossed while kobe was down).
import type { StrategyParams } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import type { EventLog } from '../log/logger.js';
import { lastCompletedSession } from '../market/sessions.js';
import { exitPosition } from '../oms/exit.js';
import { barsHeld } from '../oms/ledger.js';
import { ensureProtection, protectiveOf } from '../oms/protect.js';
import type { SubmitDeps, SubmitOutcome } from '../oms/submit.js';
import { syncOrders } from '../oms/sync.js';
import type { Quotes } from '../ports/quotes.js';
import { IdempotencyFile, PositionsFile, type PositionEntry } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { dayNumber } from '../strategy/bars.js';
import { computeFeatures } from '../strategy/features.js';
import { ibsRsiExit } from '../strategy/ibs-rsi.js';

export { barsHeld } from '../oms/ledger.js';

export type ExitReason = 'stop' | 'target' | 'time' | 'signal';

/** What the exit manager needs. */
export interface ExitDeps {
  submit: SubmitDeps;
  quotes: Quotes;
  store: StateStore;
  bars: BarStore;
  params: StrategyParams;
  events: EventLog;
  logsDir: string;
}

/** The decision for one position. */
export interface ExitDecision {
  symbol: string;
  qty: number;
  reason: ExitReason | null;
  detail: string;
  caught_up: boolean;
  status?: SubmitOutcome['status'] | 'WAITING' | 'CLOSED';
  client_order_id?: string;
}

/** How long an exit waits for a cancel to confirm and a market sell to fill. */
const EXIT_WAIT_MS = 10_000;

function decide(d: ExitDeps, p: PositionEntry, bid: number | null, now: Date, brokerEnforces: boolean): Omit<ExitDecision, 'qty'> {
  const last = lastCompletedSession(now);
  const entry = p.entry_date ?? last;
  let s;
  try {
    s = d.bars.load(p.symbol);
  } catch {
    s = null;
  }
  if (!brokerEnforces) {
    if (s && p.entry_date) {
      // Completed bars after the entry session, up to the last completed session.
      const from = dayNumber(entry);
      const to = dayNumber(last);
      for (let i = 0; i < s.length; i++) {
        if (s.dates[i] <= from || s.dates[i] > to) continue;
        if (p.stop !== null && s.low[i] <= p.stop) return { symbol: p.symbol, reason: 'stop', detail: `a completed bar traded through the stop ${p.stop}`, caught_up: true };
        if (p.target !== null && s.high[i] >= p.target) return { symbol: p.symbol, reason: 'target', detail: `a completed bar reached the target ${p.target}`, caught_up: true };
      }
    }
    if (bid !== null && p.stop !== null && bid <= p.stop) return { symbol: p.symbol, reason: 'stop', detail: `bid ${bid} <= stop ${p.stop}`, caught_up: false };
    if (bid !== null && p.target !== null && bid >= p.target) return { symbol: p.symbol, reason: 'target', detail: `bid ${bid} >= target ${p.target}`, caught_up: false };
  }
  const held = barsHeld(entry, last);
  if (p.time_stop_bars !== null && held >= p.time_stop_bars) return { symbol: p.symbol, reason: 'time', detail: `${held} bars held >= time stop ${p.time_stop_bars}`, caught_up: false };
  // The entry session's own close counts (it comes after the fill, and the backtest exits on it).
  if (s && p.strategy === 'ibs_rsi' && s.length && s.dates[s.length - 1] >= dayNumber(entry)) {
    const why = ibsRsiExit(computeFeatures(s, d.params), d.params, s.length - 1);
    if (why) return { symbol: p.symbol, reason: 'signal', detail: `${why} on the last completed bar`, caught_up: false };
  }
  const where = brokerEnforces ? '; stop resting at the broker' : '';
  return { symbol: p.symbol, reason: null, detail: `holding (${held} bars${where})`, caught_up: false };
}

/** Sync, then check every ledger position and send the exits that are due; then re-protect. */
export async function manageExits(d: ExitDeps): Promise<ExitDecision[]> {
  await syncOrders(d.submit);
  const now = d.submit.clock.now();
  const held = new Map((await d.submit.broker.positions()).map((p) => [p.symbol, p]));
  const out: ExitDecision[] = [];
  for (const p of d.store.read(PositionsFile).positions) {
    const b = held.get(p.symbol);
    if (!b || b.qty <= 0 || p.qty <= 0) continue;
    // The ledger's levels are only good for the quantity they were set for: after a split (or any
    // disagreement) nothing is sold on them until reconcile has fixed the book.
    if (Math.abs(b.qty - p.qty) > 1e-9) {
      out.push({ symbol: p.symbol, qty: p.qty, reason: null, detail: `the broker holds ${b.qty}, the ledger ${p.qty}: no exit until \`kobe reconcile --fix --yes\``, caught_up: false });
      continue;
    }
    const resting = protectiveOf(d.store.peek(IdempotencyFile).orders, p.symbol) !== null;
    const q = resting ? null : await d.quotes.latestQuote(p.symbol).catch(() => null);
    // Only a fresh quote judges a stop or target: never the entry price or a stale last trade.
    const fresh = q !== null && q.bid > 0 && (now.getTime() - Date.parse(q.ts)) / 1000 <= d.submit.config.trading.max_quote_age_s;
    const dec: ExitDecision = { ...decide(d, p, fresh ? q.bid : null, now, resting), qty: p.qty };
    if (!resting && !fresh && dec.reason === null) dec.detail += q ? `; quote ${Math.round((now.getTime() - Date.parse(q.ts)) / 1000)} s old: stop and target not checked now` : '; no quote: stop and target not checked now';
    if (dec.reason) {
      const kind = dec.reason === 'signal' ? 'exit' : dec.reason;
      const r = await exitPosition(d.submit, p.symbol, kind, p.strategy ?? 'unknown', { waitMs: EXIT_WAIT_MS });
      dec.status = r.status;
      dec.client_order_id = r.client_order_id ?? undefined;
      d.events.emit('exit_decision', { symbol: p.symbol, reason: dec.reason, caught_up: dec.caught_up, status: r.status, detail: r.reason });
    }
    out.push(dec);
  }
  await ensureProtection(d.submit);
  return out;
}
