// Booking one fill into the position ledger and the trade journal. Each target keeps its own
// marker of the fills it holds (the journal line's fill_key, the ledger's applied_fills), so
// booking the same fill again, from a second process or after a SIGKILL between the two writes,
// changes nothing. Only src/core/oms/apply.ts calls this.
import fs from 'node:fs';
import path from 'node:path';
import { countSessions } from '../market/calendar.js';
import { lastCompletedSession } from '../market/sessions.js';
import { PositionsFile, type IdempotencyRecord, type PositionEntry } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { appendTrade } from '../trade/journal.js';

/** One fill as the store records it. */
export type FillRecord = IdempotencyRecord['fills'][number];

/** Bars held: completed sessions after the entry date (the entry session counts as 0). */
export function barsHeld(entryDate: string, lastSession: string): number {
  return lastSession <= entryDate ? 0 : countSessions(entryDate, lastSession) - 1;
}

const KEEP_KEYS = 5_000;
const round4 = (x: number) => Math.round(x * 10_000) / 10_000;
const round2 = (x: number) => Math.round(x * 100) / 100;

/** What booking did; `problem` names a fill that contradicts the ledger (never a negative position). */
export interface Booked {
  position_before: PositionEntry | null;
  position_after: PositionEntry | null;
  problem: string | null;
}

function journalHas(logsDir: string, key: string): boolean {
  try {
    return fs.readFileSync(path.join(logsDir, 'trades.jsonl'), 'utf8').includes(`"fill_key":${JSON.stringify(key)}`);
  } catch {
    return false;
  }
}

function exitReason(r: IdempotencyRecord, f: FillRecord): string {
  if (r.intent.kind === 'protect') return f.leg ?? 'stop';
  return r.intent.kind === 'exit' ? 'signal' : r.intent.kind;
}

/**
 * Book `f` of record `r` into the journal, then the ledger (each idempotent by the fill key).
 * `recovering`: the fill was recorded by an earlier run that may have journaled it before dying,
 * so the journal is searched for it; a fill recorded just now cannot be there (no scan).
 */
export async function bookFill(store: StateStore, logsDir: string, r: IdempotencyRecord, f: FillRecord, now: Date, recovering: boolean): Promise<Booked> {
  const i = r.intent;
  const ledger = store.peek(PositionsFile);
  const before = ledger.positions.find((p) => p.symbol === i.symbol) ?? null;
  const already = ledger.applied_fills.includes(f.key);
  // A sell is journaled for what the ledger held (the rest is a named problem, never booked).
  const journalQty = i.side === 'buy' ? f.qty : Math.min(f.qty, before?.qty ?? 0);
  if (!already && journalQty > 0 && !(recovering && journalHas(logsDir, f.key))) {
    const common = { ts: f.at, symbol: i.symbol, qty: journalQty, price: f.price, client_order_id: r.client_order_id, session_date: i.session_date, fill_key: f.key };
    if (i.side === 'buy') {
      await appendTrade(logsDir, { ...common, event: 'fill', side: 'buy', strategy: i.strategy, stop: r.plan?.stop ?? null, target: r.plan?.target ?? null, time_stop_bars: r.plan?.time_stop_bars ?? null, signal_price: r.plan?.signal_price ?? null, signal_date: r.plan?.signal_date ?? null });
    } else {
      const entry = before?.avg_price ?? f.price;
      await appendTrade(logsDir, { ...common, event: 'close', side: 'sell', strategy: before?.strategy ?? i.strategy, entry_price: entry, pnl: round2((f.price - entry) * journalQty), reason: exitReason(r, f), bars_held: barsHeld(before?.entry_date ?? i.session_date, lastCompletedSession(now)) });
    }
  }
  let out: Booked = { position_before: before, position_after: before, problem: null };
  await store.update(PositionsFile, (file) => {
    if (file.applied_fills.includes(f.key)) return file;
    const at = now.toISOString();
    const positions = file.positions.filter((p) => p.symbol !== i.symbol);
    const cur = file.positions.find((p) => p.symbol === i.symbol) ?? null;
    let next: PositionEntry | null = cur;
    let problem: string | null = null;
    if (i.side === 'buy') {
      const qty = (cur?.qty ?? 0) + f.qty;
      const avg = round4(((cur?.qty ?? 0) * (cur?.avg_price ?? 0) + f.qty * f.price) / qty);
      next = cur
        ? { ...cur, qty, avg_price: avg, updated_at: at }
        : { symbol: i.symbol, qty, avg_price: avg, strategy: i.kind === 'entry' ? i.strategy : null, entry_date: i.session_date, stop: r.plan?.stop ?? null, target: r.plan?.target ?? null, time_stop_bars: r.plan?.time_stop_bars ?? null, bars_held: 0, client_order_id: r.client_order_id, protective_client_order_id: null, opened_at: f.at, updated_at: at };
    } else {
      const held = cur?.qty ?? 0;
      if (f.qty > held + 1e-9) problem = `a sell fill of ${f.qty} ${i.symbol} (${r.client_order_id}) is larger than the ${held} the ledger holds: booked ${held}, the rest left for reconcile`;
      const qty = round4(Math.max(0, held - f.qty));
      next = cur && qty > 0 ? { ...cur, qty, updated_at: at } : null;
    }
    if (next) positions.push(next);
    out = { position_before: cur, position_after: next, problem };
    return { ...file, updated_at: at, positions: positions.sort((a, b) => (a.symbol < b.symbol ? -1 : 1)), applied_fills: [...file.applied_fills, f.key].slice(-KEEP_KEYS) };
  });
  return out;
}

/** Record which order protects a position (null when none). */
export async function setProtective(store: StateStore, symbol: string, cid: string | null, now: Date): Promise<void> {
  await store.update(PositionsFile, (file) => ({
    ...file,
    positions: file.positions.map((p) => (p.symbol === symbol ? { ...p, protective_client_order_id: cid, updated_at: now.toISOString() } : p)),
  }));
}
