// The brain's day plan (SPEC sections 6 and 10): which real tasks run at which ET wall time, by day
// type. Pure: a date and the config in, tasks out; the loop (runtime.ts) and `brain schedule` both
// read it, so what the operator sees is what runs.
//   sessions:      07:00 data refresh; 08:00 reconcile, preflight, watchlist validation; exits every
//                  15 min from 09:35 to the close; a trading cycle 5 min into each entry window;
//                  close+5 reconcile; close+30 daily report; when the extended session ends
//                  (close + 4 h: 20:00, 17:00 on an early close) +5 the data refresh and the
//                  watchlist build on the session's final bar; 20:30 nightly research
//   early close:   the same, with windows, exit slots and post-close times clipped to 13:00
//   FOMC and OpEx: reduced: only the first entry window trades (exits and the rest unchanged)
//   holidays:      research only (20:30); Saturday: deep backtest, log rotation; Sunday: data
//                  audit, state backup
import type { KobeConfig } from '../config/schema.js';
import { closeTimeEt, earlyClose, holidayName, isTradingDay } from '../market/calendar.js';
import { FRIDAY, SATURDAY, SUNDAY, parseIsoDate, toIsoDate, weekdayOf } from '../market/iso-date.js';
import { etToUtc, parseHhmm } from '../market/time.js';

/** What a task does; each kind has one implementation in tasks.ts. */
export type TaskKind =
  | 'data_refresh'
  | 'reconcile'
  | 'preflight'
  | 'watchlist_validate'
  | 'exits'
  | 'trade_cycle'
  | 'watchlist_build'
  | 'daily_report'
  | 'nightly_research'
  | 'deep_backtest'
  | 'log_rotation'
  | 'data_audit'
  | 'state_backup';

/** Kind of ET day for the brain. */
export type BrainDayType = 'session' | 'early_close' | 'holiday' | 'saturday' | 'sunday';

/** One scheduled task of a day. */
export interface Task {
  /** Unique within the day, e.g. `exits@10:05`. */
  id: string;
  kind: TaskKind;
  /** ET date and wall time the task is due. */
  date: string;
  at: string;
  /** The same instant in UTC (ISO). */
  at_utc: string;
  /** ET wall time after which a missed run (brain down) is no longer worth doing. */
  until: string;
  /** Entries: skipped while trading is refused (dirty reconcile at start, preflight NO-GO). */
  trading: boolean;
  /** Counts toward K2 (consecutive critical task failures). */
  critical: boolean;
  /** Why it is there, for `brain schedule`. */
  note: string;
}

/** A day's plan with its day type and the reasons for any reduction. */
export interface DayPlan {
  date: string;
  type: BrainDayType;
  close: '16:00' | '13:00' | null;
  fomc: boolean;
  opex: boolean;
  holiday: string | null;
  notes: string[];
  tasks: Task[];
}

const hhmm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** Monthly options expiration: the third Friday, or the session before it when that Friday is a closure (Good Friday). */
export function isOpexDay(date: string): boolean {
  const day = parseIsoDate(date);
  const fridayOf = (d: number) => {
    const dom = Number(toIsoDate(d).slice(8, 10));
    return weekdayOf(d) === FRIDAY && dom >= 15 && dom <= 21;
  };
  if (fridayOf(day)) return isTradingDay(date);
  // Thursday before a third Friday that is a closure.
  return weekdayOf(day) === FRIDAY - 1 && fridayOf(day + 1) && !isTradingDay(toIsoDate(day + 1)) && isTradingDay(date);
}

/** The brain's type of an ET date. */
export function brainDayType(date: string): BrainDayType {
  const wd = weekdayOf(parseIsoDate(date));
  if (wd === SATURDAY) return 'saturday';
  if (wd === SUNDAY) return 'sunday';
  if (!isTradingDay(date)) return 'holiday';
  return earlyClose(date) ? 'early_close' : 'session';
}

/** The full plan of an ET date. */
export function dayPlan(date: string, config: KobeConfig): DayPlan {
  const type = brainDayType(date);
  const fomc = config.calendar.fomc_dates.includes(date);
  const opex = isOpexDay(date);
  const notes: string[] = [];
  const tasks: Task[] = [];
  const add = (kind: TaskKind, at: number, until: number, note: string, o: { trading?: boolean; critical?: boolean; id?: string } = {}) =>
    tasks.push({ id: o.id ?? kind, kind, date, at: hhmm(at), at_utc: etToUtc(date, hhmm(at)).toISOString(), until: hhmm(Math.min(until, 24 * 60 - 1)), trading: !!o.trading, critical: !!o.critical, note });
  const night = parseHhmm('20:30');
  const eod = 24 * 60;
  if (type === 'saturday') {
    add('deep_backtest', parseHhmm('09:00'), eod, 'full-history portfolio backtest of both strategies (reports/backtest/)');
    add('log_rotation', parseHhmm('10:00'), eod, 'rotate logs/events.jsonl and logs/kobe.log into logs/archive/ (never trades.jsonl)');
    return { date, type, close: null, fomc, opex, holiday: null, notes: ['Saturday: deep research and cleanup, no trading'], tasks };
  }
  if (type === 'sunday') {
    add('data_audit', parseHhmm('09:00'), eod, 'data verify over the whole bar store');
    add('state_backup', parseHhmm('10:00'), eod, 'snapshot state/ to data/snapshots/');
    return { date, type, close: null, fomc, opex, holiday: null, notes: ['Sunday: data audit and state backup, no trading'], tasks };
  }
  if (type === 'holiday') {
    add('nightly_research', night, eod, 'research only on an exchange holiday');
    return { date, type, close: null, fomc, opex, holiday: holidayName(date), notes: [`${holidayName(date) ?? 'exchange closed'}: research only, no trading tasks`], tasks };
  }
  const close = closeTimeEt(date);
  const closeM = parseHhmm(close);
  const open = parseHhmm('09:30');
  if (type === 'early_close') notes.push(`early close ${close} ET: entry windows, exit slots and post-close tasks clipped to the close`);
  add('data_refresh', parseHhmm('07:00'), open, 'pre-market data refresh (Polygon prefetch, or a freshness check of local bars)');
  add('reconcile', parseHhmm('08:00'), open, 'pre-market read-only reconcile (broker as truth; dirty = no entries)', { id: 'reconcile@pre', critical: true });
  add('preflight', parseHhmm('08:00'), open, 'preflight checks; NO-GO = no entries until a later run passes');
  add('watchlist_validate', parseHhmm('08:00'), open, 'validate the overnight watchlist: gaps, stops, stale data, quotes');
  // Exit slots every 15 minutes while the market is open; the last one before the close.
  for (let m = open + 5; m < closeM; m += 15) add('exits', m, Math.min(m + 15, closeM), 'exit manager: stop, target, time stop, strategy exit, catch-up of missed exits', { id: `exits@${hhmm(m)}`, critical: true });
  const reduced = fomc || opex;
  if (fomc) notes.push('FOMC day (config calendar.fomc_dates): reduced, only the first entry window trades');
  if (opex) notes.push('monthly OpEx (third Friday): reduced, only the first entry window trades');
  const windows = config.trading.windows.map((w) => ({ start: parseHhmm(w.start), end: Math.min(parseHhmm(w.end), closeM) })).filter((w) => w.end > w.start + 5);
  const dropped = config.trading.windows.length - windows.length;
  if (dropped > 0 && type === 'early_close') notes.push(`${dropped} entry window(s) fall after the ${close} close`);
  for (const w of reduced ? windows.slice(0, 1) : windows) {
    const label = w.start < parseHhmm('12:00') ? 'morning' : 'afternoon';
    add('trade_cycle', w.start + 5, w.end, `${label} trading cycle: validated watchlist -> sizing -> risk gate -> orders (window ${hhmm(w.start)}-${hhmm(w.end)})`, { id: `trade_cycle@${hhmm(w.start + 5)}`, trading: true, critical: true });
  }
  add('reconcile', closeM + 5, eod, 'post-close read-only reconcile', { id: 'reconcile@post', critical: true });
  add('daily_report', closeM + 30, eod, 'reports/daily_YYYY-MM-DD.md: P&L, trades, positions, vetoes');
  // Providers finish a day's bar (after-hours volume, late prints) once the extended session ends.
  const extendedEnd = closeM + 4 * 60;
  add('data_refresh', extendedEnd + 5, eod, 'evening data refresh after the extended session: the session\'s final bar before the scan', { id: 'data_refresh@post' });
  add('watchlist_build', extendedEnd + 5, eod, 'scan at the close -> logs/watchlist.json for the next session');
  add('nightly_research', night, eod, 'nightly walk-forward or short-window backtest');
  // Same-time tasks run in plan order: stable sort by time keeps the order they were added in.
  tasks.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  return { date, type, close, fomc, opex, holiday: null, notes, tasks };
}

/** The tasks of an ET date, in the order they run. */
export function brainSchedule(date: string, config: KobeConfig): Task[] {
  return dayPlan(date, config).tasks;
}
