// NYSE full-day closures and 13:00 early closes, computed from the exchange's published rules
// (NYSE Rule 7.2 and its holiday notices) plus small tables of one-off events. Verified against the
// published schedules for 2000-2035; earlier years (back to 1990) follow today's rules, so ad-hoc
// closings of the 1990s other than Nixon's funeral, and 14:00 closes, are not modelled.
import {
  FRIDAY,
  MONDAY,
  SATURDAY,
  SUNDAY,
  THURSDAY,
  WEDNESDAY,
  assertYear,
  daysInMonth,
  epochDay,
  parseIsoDate,
  toIsoDate,
  weekdayOf,
} from './iso-date.js';

/** A weekday on which the exchange is closed all day. */
export interface Closure {
  date: string;
  name: string;
  /** True for one-off closures (mourning, weather, attacks); false for rule holidays. */
  special: boolean;
}

/** A trading day on which the regular session ends at 13:00 ET. */
export interface EarlyClose {
  date: string;
  name: string;
  closeEt: '13:00';
}

/** One-off full-day closures that no rule produces. */
export const SPECIAL_CLOSURES: readonly { date: string; name: string }[] = [
  { date: '1994-04-27', name: 'Funeral of former President Nixon' },
  { date: '2001-09-11', name: 'September 11 attacks' },
  { date: '2001-09-12', name: 'September 11 attacks' },
  { date: '2001-09-13', name: 'September 11 attacks' },
  { date: '2001-09-14', name: 'September 11 attacks' },
  { date: '2004-06-11', name: 'National day of mourning for former President Reagan' },
  { date: '2007-01-02', name: 'National day of mourning for former President Ford' },
  { date: '2012-10-29', name: 'Hurricane Sandy' },
  { date: '2012-10-30', name: 'Hurricane Sandy' },
  { date: '2018-12-05', name: 'National day of mourning for former President George H.W. Bush' },
  { date: '2025-01-09', name: 'National day of mourning for former President Carter' },
];

/** One-off 13:00 early closes that no rule produces. */
export const SPECIAL_EARLY_CLOSES: readonly { date: string; name: string }[] = [
  { date: '1997-12-26', name: 'Day after Christmas' },
  { date: '2003-12-26', name: 'Day after Christmas' },
];

/** Easter Sunday of a Gregorian year (anonymous Gregorian / Meeus-Jones-Butcher algorithm). */
export function easterSunday(year: number): string {
  return toIsoDate(easterDay(year));
}

function easterDay(year: number): number {
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return epochDay(year, month, day);
}

/** The n-th (1-based) given weekday of a month. */
function nthWeekday(year: number, month: number, weekday: number, n: number): number {
  const first = epochDay(year, month, 1);
  return first + ((weekday - weekdayOf(first) + 7) % 7) + 7 * (n - 1);
}

/** The last given weekday of a month. */
function lastWeekday(year: number, month: number, weekday: number): number {
  const last = epochDay(year, month, daysInMonth(year, month));
  return last - ((weekdayOf(last) - weekday + 7) % 7);
}

/** Rule 7.2 observance: a Saturday holiday closes the Friday before, a Sunday one the Monday after. */
function observed(day: number): number {
  const wd = weekdayOf(day);
  if (wd === SATURDAY) return day - 1;
  if (wd === SUNDAY) return day + 1;
  return day;
}

function ruleHolidays(year: number): [number, string][] {
  const out: [number, string][] = [];
  const newYear = epochDay(year, 1, 1);
  // Rule 7.2's exception: a Saturday New Year's Day is not moved to Friday, which ends a year.
  if (weekdayOf(newYear) !== SATURDAY) out.push([observed(newYear), "New Year's Day"]);
  if (year >= 1998) out.push([nthWeekday(year, 1, MONDAY, 3), 'Martin Luther King Jr. Day']);
  out.push([nthWeekday(year, 2, MONDAY, 3), "Washington's Birthday"]);
  out.push([easterDay(year) - 2, 'Good Friday']);
  out.push([lastWeekday(year, 5, MONDAY), 'Memorial Day']);
  if (year >= 2022) out.push([observed(epochDay(year, 6, 19)), 'Juneteenth National Independence Day']);
  out.push([observed(epochDay(year, 7, 4)), 'Independence Day']);
  out.push([nthWeekday(year, 9, MONDAY, 1), 'Labor Day']);
  out.push([nthWeekday(year, 11, THURSDAY, 4), 'Thanksgiving Day']);
  out.push([observed(epochDay(year, 12, 25)), 'Christmas Day']);
  return out;
}

const SPECIAL_CLOSURE_DAYS = SPECIAL_CLOSURES.map((s) => [parseIsoDate(s.date), s.name] as const);
const SPECIAL_EARLY_DAYS = SPECIAL_EARLY_CLOSES.map((s) => [parseIsoDate(s.date), s.name] as const);

function inYear(day: number, year: number): boolean {
  return day >= epochDay(year, 1, 1) && day < epochDay(year + 1, 1, 1);
}

/** Weekday closures of a year as epoch days with their names (internal form used by the calendar). */
export function closureDays(year: number): Map<number, { name: string; special: boolean }> {
  assertYear(year);
  const map = new Map<number, { name: string; special: boolean }>();
  for (const [day, name] of ruleHolidays(year)) map.set(day, { name, special: false });
  for (const [day, name] of SPECIAL_CLOSURE_DAYS) {
    if (inYear(day, year)) map.set(day, { name, special: true });
  }
  return map;
}

/** 13:00 early closes of a year as epoch days with their names (internal form used by the calendar). */
export function earlyCloseDays(year: number): Map<number, string> {
  const closed = closureDays(year);
  const candidates: [number, string][] = [];
  const july3 = epochDay(year, 7, 3);
  const wd3 = weekdayOf(july3);
  // NYSE closes early the day before Independence Day, except that before 2013 a Thursday
  // Fourth moved the early close to Friday July 5 instead of Wednesday July 3.
  if (wd3 >= MONDAY && wd3 <= THURSDAY && (wd3 !== WEDNESDAY || year >= 2013)) {
    candidates.push([july3, 'Day before Independence Day']);
  }
  if (wd3 === WEDNESDAY && year < 2013) candidates.push([july3 + 2, 'Day after Independence Day']);
  candidates.push([nthWeekday(year, 11, THURSDAY, 4) + 1, 'Day after Thanksgiving']);
  const dec24 = epochDay(year, 12, 24);
  const wd24 = weekdayOf(dec24);
  if (wd24 >= MONDAY && wd24 <= THURSDAY) candidates.push([dec24, 'Christmas Eve']);
  for (const [day, name] of SPECIAL_EARLY_DAYS) if (inYear(day, year)) candidates.push([day, name]);
  const map = new Map<number, string>();
  for (const [day, name] of candidates) {
    const wd = weekdayOf(day);
    if (wd >= MONDAY && wd <= FRIDAY && !closed.has(day)) map.set(day, name);
  }
  return map;
}

/** NYSE full-day weekday closures of a year (rule holidays and special closures), sorted by date. */
export function holidaysForYear(year: number): Closure[] {
  return [...closureDays(year)]
    .sort((a, b) => a[0] - b[0])
    .map(([day, c]) => ({ date: toIsoDate(day), name: c.name, special: c.special }));
}

/** NYSE 13:00 early closes of a year, sorted by date. */
export function earlyClosesForYear(year: number): EarlyClose[] {
  return [...earlyCloseDays(year)]
    .sort((a, b) => a[0] - b[0])
    .map(([day, name]) => ({ date: toIsoDate(day), name, closeEt: '13:00' as const }));
}
