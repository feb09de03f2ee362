// NYSE trading calendar on ISO dates ('YYYY-MM-DD'). Pure functions over rule-computed holidays,
// memoised per year, because backtests and data verification walk ranges of ten years and more.
import { closureDays, earlyCloseDays } from './holidays.js';
import { MAX_YEAR, MIN_YEAR, SATURDAY, SUNDAY, assertYear, epochDay, parseIsoDate, toIsoDate, weekdayOf, yearOf } from './iso-date.js';
import { etToUtc } from './time.js';

/** Regular open in ET. */
export const REGULAR_OPEN_ET = '09:30';
/** Regular close in ET. */
export const REGULAR_CLOSE_ET = '16:00';
/** Close on early-close days in ET. */
export const EARLY_CLOSE_ET = '13:00';

interface YearTable {
  closures: Map<number, { name: string; special: boolean }>;
  early: Map<number, string>;
  /** Session epoch days, ascending. */
  days: number[];
  /** The same sessions as ISO strings. */
  isos: string[];
}

const tables = new Map<number, YearTable>();

function table(year: number): YearTable {
  let t = tables.get(year);
  if (!t) {
    assertYear(year);
    const closures = closureDays(year);
    const early = earlyCloseDays(year);
    const days: number[] = [];
    for (let d = epochDay(year, 1, 1), end = epochDay(year + 1, 1, 1); d < end; d++) {
      const wd = weekdayOf(d);
      if (wd !== SATURDAY && wd !== SUNDAY && !closures.has(d)) days.push(d);
    }
    t = { closures, early, days, isos: days.map(toIsoDate) };
    tables.set(year, t);
  }
  return t;
}

/** Index of the first element of a sorted array that is >= x (or length). */
function lowerBound(xs: number[], x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (xs[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function isSessionDay(day: number): boolean {
  const wd = weekdayOf(day);
  return wd !== SATURDAY && wd !== SUNDAY && !table(yearOf(day)).closures.has(day);
}

/** True when the NYSE holds a regular session on date d. */
export function isTradingDay(d: string): boolean {
  return isSessionDay(parseIsoDate(d));
}

/** Why the exchange is closed on weekday d (holiday or special closure), or null. */
export function holidayName(d: string): string | null {
  const day = parseIsoDate(d);
  return table(yearOf(day)).closures.get(day)?.name ?? null;
}

/** True when weekday d is a one-off closure rather than a rule holiday. */
export function isSpecialClosure(d: string): boolean {
  const day = parseIsoDate(d);
  return table(yearOf(day)).closures.get(day)?.special ?? false;
}

/** '13:00' when session d closes early, else null (also null for non-trading days). */
export function earlyClose(d: string): '13:00' | null {
  const day = parseIsoDate(d);
  return table(yearOf(day)).early.has(day) ? '13:00' : null;
}

/** Name of the early close on d ('Christmas Eve', ...), or null. */
export function earlyCloseName(d: string): string | null {
  const day = parseIsoDate(d);
  return table(yearOf(day)).early.get(day) ?? null;
}

/** All sessions of a year, ascending. */
export function sessionsInYear(year: number): string[] {
  return table(year).isos.slice();
}

/** Sessions from..to, both inclusive, ascending; empty when from > to. */
export function sessionsBetween(from: string, to: string): string[] {
  const a = parseIsoDate(from);
  const b = parseIsoDate(to);
  const out: string[] = [];
  for (let y = yearOf(a), last = yearOf(b); y <= last; y++) {
    const t = table(y);
    const i = lowerBound(t.days, a);
    const j = lowerBound(t.days, b + 1);
    for (let k = i; k < j; k++) out.push(t.isos[k]);
  }
  return out;
}

/** Number of sessions from..to, both inclusive. */
export function countSessions(from: string, to: string): number {
  const a = parseIsoDate(from);
  const b = parseIsoDate(to);
  let n = 0;
  for (let y = yearOf(a), last = yearOf(b); y <= last; y++) {
    const t = table(y);
    n += Math.max(0, lowerBound(t.days, b + 1) - lowerBound(t.days, a));
  }
  return n;
}

function nextDay(day: number): number {
  for (let y = yearOf(day); y <= MAX_YEAR + 1; y++) {
    const t = table(y);
    const i = lowerBound(t.days, day + 1);
    if (i < t.days.length) return t.days[i];
  }
  throw new RangeError('unreachable'); // table(MAX_YEAR + 1) throws first
}

function previousDay(day: number): number {
  for (let y = yearOf(day); y >= MIN_YEAR - 1; y--) {
    const t = table(y);
    const i = lowerBound(t.days, day) - 1;
    if (i >= 0) return t.days[i];
  }
  throw new RangeError('unreachable');
}

/** First session strictly after d (d need not be a session). */
export function nextSession(d: string): string {
  return toIsoDate(nextDay(parseIsoDate(d)));
}

/** Last session strictly before d (d need not be a session). */
export function previousSession(d: string): string {
  return toIsoDate(previousDay(parseIsoDate(d)));
}

/** The session n sessions after (n > 0) or before (n < 0) d; n = 0 requires d to be a session. */
export function addSessions(d: string, n: number): string {
  if (!Number.isInteger(n)) throw new RangeError(`session offset must be an integer, got ${n}`);
  let day = parseIsoDate(d);
  if (n === 0 && !isSessionDay(day)) throw new RangeError(`${d} is not a trading day`);
  for (let k = 0; k < n; k++) day = nextDay(day);
  for (let k = 0; k > n; k--) day = previousDay(day);
  return toIsoDate(day);
}

function assertSession(d: string): void {
  if (!isTradingDay(d)) {
    const why = holidayName(d) ?? 'weekend';
    throw new RangeError(`${d} is not a trading day (${why})`);
  }
}

/** ET close time of session d: '16:00', or '13:00' on early-close days. */
export function closeTimeEt(d: string): '16:00' | '13:00' {
  assertSession(d);
  return earlyClose(d) ?? REGULAR_CLOSE_ET;
}

/** Instant of the 09:30 ET open of session d; RangeError when d is not a trading day. */
export function sessionOpenUtc(d: string): Date {
  assertSession(d);
  return etToUtc(d, REGULAR_OPEN_ET);
}

/** Instant of the regular close of session d (16:00 or 13:00 ET); RangeError when d is not a trading day. */
export function sessionCloseUtc(d: string): Date {
  return etToUtc(d, closeTimeEt(d));
}
