// The exit manager (SPEC sections 5 and 10): stop, target and time stop from the ledger, plus the
// strategy's own exit, enforced through the submit path. It also catches up exits missed while
// kobe was down: a stop or target crossed by a completed bar since entry exits now.
import type { StrategyParams } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import type { EventLog } from '../log/logger.js';
import { countSessions } from '../market/calendar.js';
import { lastCompletedSession } from '../market/sessions.js';
import { etDate } from '../market/time.js';
import { submitIntent, type SubmitDeps, type SubmitOutcome } from '../oms/submit.js';
import type { Quotes } from '../ports/quotes.js';
import { PositionsFile, type PositionEntry } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { dayNumber } from '../strategy/bars.js';
import { computeFeatures } from '../strategy/features.js';
import { ibsRsiExit } from '../strategy/ibs-rsi.js';
import { appendTrade } from './journal.js';

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
  status?: SubmitOutcome['status'];
  client_order_id?: string;
}

/** Bars held: completed sessions after the entry date (the entry session counts as 0). */
export function barsHeld(entryDate: string, lastSession: string): number {
  return lastSession <= entryDate ? 0 : countSessions(entryDate, lastSession) - 1;
}

function decide(d: ExitDeps, p: PositionEntry, bid: number, now: Date): Omit<ExitDecision, 'qty'> {
  const last = lastCompletedSession(now);
  const entry = p.entry_date ?? last;
  let s;
  try {
    s = d.bars.load(p.symbol);
  } catch {
    s = null;
  }
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
  if (p.stop !== null && bid <= p.stop) return { symbol: p.symbol, reason: 'stop', detail: `bid ${bid} <= stop ${p.stop}`, caught_up: false };
  if (p.target !== null && bid >= p.target) return { symbol: p.symbol, reason: 'target', detail: `bid ${bid} >= target ${p.target}`, caught_up: false };
  const held = barsHeld(entry, last);
  if (p.time_stop_bars !== null && held >= p.time_stop_bars) return { symbol: p.symbol, reason: 'time', detail: `${held} bars held >= time stop ${p.time_stop_bars}`, caught_up: false };
  if (s && p.strategy === 'ibs_rsi' && s.length && s.dates[s.length - 1] > dayNumber(entry)) {
    const why = ibsRsiExit(computeFeatures(s, d.params), d.params, s.length - 1);
    if (why) return { symbol: p.symbol, reason: 'signal', detail: `${why} on the last completed bar`, caught_up: false };
  }
  return { symbol: p.symbol, reason: null, detail: `holding (${held} bars)`, caught_up: false };
}

/** Check every ledger position and send the exits that are due. */
export async function manageExits(d: ExitDeps): Promise<ExitDecision[]> {
  const now = d.submit.clock.now();
  const session = etDate(now);
  const held = new Map((await d.submit.broker.positions()).map((p) => [p.symbol, p]));
  const out: ExitDecision[] = [];
  for (const p of d.store.read(PositionsFile).positions) {
    const b = held.get(p.symbol);
    if (!b || b.qty <= 0) continue;
    const q = await d.quotes.latestQuote(p.symbol);
    const bid = q?.bid ?? b.current_price ?? p.avg_price;
    const dec: ExitDecision = { ...decide(d, p, bid, now), qty: b.qty };
    if (dec.reason) {
      const r = await submitIntent(d.submit, { session_date: session, symbol: p.symbol, side: 'sell', qty: b.qty, type: 'market', time_in_force: 'day', limit_price: null, stop_price: null, strategy: p.strategy ?? 'unknown', kind: dec.reason === 'signal' ? 'exit' : dec.reason });
      dec.status = r.status;
      dec.client_order_id = r.client_order_id;
      if (!r.reused && r.order && r.order.filled_qty > 0) {
        const price = r.order.filled_avg_price ?? bid;
        const qty = r.order.filled_qty;
        await d.store.update(PositionsFile, (f) => {
          const rest = f.positions.flatMap((x) => (x.symbol !== p.symbol ? [x] : x.qty - qty > 0 ? [{ ...x, qty: x.qty - qty, updated_at: now.toISOString() }] : []));
          return { version: 1 as const, updated_at: now.toISOString(), positions: rest };
        });
        await appendTrade(d.logsDir, { ts: now.toISOString(), event: 'close', symbol: p.symbol, side: 'sell', qty, price, strategy: p.strategy ?? 'unknown', client_order_id: r.client_order_id, session_date: session, entry_price: p.avg_price, pnl: Math.round((price - p.avg_price) * qty * 100) / 100, reason: dec.reason, bars_held: barsHeld(p.entry_date ?? session, lastCompletedSession(now)) });
        d.events.emit('position_closed', { symbol: p.symbol, qty, price, reason: dec.reason, caught_up: dec.caught_up, pnl: Math.round((price - p.avg_price) * qty * 100) / 100 });
      }
    }
    out.push(dec);
  }
  return out;
}
