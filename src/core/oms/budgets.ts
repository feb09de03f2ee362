// Daily notional and weekly exposure are derived from the idempotency store, never counted apart:
// an entry holds its reserved notional from the moment its PENDING record is written (the same
// atomic write), then its filled notional once final, so the unfilled part of an IOC is released
// and no crash between "sent" and "charged" can lift a cap. daily_budget.json and
// weekly_budget.json are snapshots of this for readers (status, budget, preflight).
import { weekStartOf } from '../budget/trading.js';
import { DailyBudgetFile, IdempotencyFile, WeeklyBudgetFile, type IdempotencyRecord } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import { FINAL } from './status.js';

/** USD an entry record holds against the budgets now. */
export function entryCharge(r: IdempotencyRecord): number {
  if (r.intent.kind !== 'entry') return 0;
  const filled = r.filled_qty * (r.filled_avg_price ?? 0);
  return FINAL.has(r.status) ? filled : Math.max(r.reserved_notional, filled);
}

/** True when an entry record counts toward the entries-per-day limit. */
export function countsAsEntry(r: IdempotencyRecord): boolean {
  return r.intent.kind === 'entry' && !(FINAL.has(r.status) && r.filled_qty === 0);
}

/** Entries of one ET session: notional held and how many count. */
export function dailyUsage(orders: Record<string, IdempotencyRecord>, day: string): { notional: number; entries: number } {
  let notional = 0;
  let entries = 0;
  for (const r of Object.values(orders)) {
    if (r.intent.session_date !== day || r.intent.kind !== 'entry') continue;
    notional += entryCharge(r);
    if (countsAsEntry(r)) entries++;
  }
  return { notional: Math.round(notional * 100) / 100, entries };
}

/** Entries of the week (Monday ET) holding `day`. */
export function weeklyUsage(orders: Record<string, IdempotencyRecord>, day: string): { week_start: string; new_exposure: number; entries_by_day: Record<string, number> } {
  const ws = weekStartOf(day);
  let exposure = 0;
  const byDay: Record<string, number> = {};
  for (const r of Object.values(orders)) {
    if (r.intent.kind !== 'entry' || weekStartOf(r.intent.session_date) !== ws) continue;
    exposure += entryCharge(r);
    if (countsAsEntry(r)) byDay[r.intent.session_date] = (byDay[r.intent.session_date] ?? 0) + 1;
  }
  return { week_start: ws, new_exposure: Math.round(exposure * 100) / 100, entries_by_day: byDay };
}

/** Rewrite the budget snapshots for `day` from the store. */
export async function writeBudgetSnapshots(store: StateStore, day: string): Promise<void> {
  const orders = store.peek(IdempotencyFile).orders;
  const d = dailyUsage(orders, day);
  const w = weeklyUsage(orders, day);
  const daily = { version: 1 as const, date: day, notional_used: d.notional, entries: d.entries };
  const weekly = { version: 1 as const, week_start: w.week_start, new_exposure: w.new_exposure, entries_by_day: w.entries_by_day };
  // Most updates (accepted -> new, a fill already reserved) leave the figures as they were: no rewrite.
  if (JSON.stringify(store.peek(DailyBudgetFile)) !== JSON.stringify(daily)) await store.write(DailyBudgetFile, daily);
  if (JSON.stringify(store.peek(WeeklyBudgetFile)) !== JSON.stringify(weekly)) await store.write(WeeklyBudgetFile, weekly);
}
