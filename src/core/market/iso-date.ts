// ISO calendar dates ('YYYY-MM-DD') as epoch-day numbers. All arithmetic is in UTC so the host's
// time zone can never shift a date; the supported range bounds how far the calendar rules are trusted.

/** First year the calendar accepts. */
export const MIN_YEAR = 1990;
/** Last year the calendar accepts. */
export const MAX_YEAR = 2100;

const DAY_MS = 86_400_000;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Weekday numbers as JavaScript's getUTCDay uses them. */
export const SUNDAY = 0;
/** Monday as a weekday number. */
export const MONDAY = 1;
/** Wednesday as a weekday number. */
export const WEDNESDAY = 3;
/** Thursday as a weekday number. */
export const THURSDAY = 4;
/** Friday as a weekday number. */
export const FRIDAY = 5;
/** Saturday as a weekday number. */
export const SATURDAY = 6;

/** Throw a RangeError unless year is inside the supported calendar range. */
export function assertYear(year: number, what = `year ${year}`): void {
  if (!Number.isInteger(year) || year < MIN_YEAR || year > MAX_YEAR) {
    throw new RangeError(`${what} is outside the supported calendar range ${MIN_YEAR}-${MAX_YEAR}`);
  }
}

/** Days since 1970-01-01 for a (year, month 1-12, day) triple; no validation. */
export function epochDay(year: number, month: number, day: number): number {
  return Math.round(Date.UTC(year, month - 1, day) / DAY_MS);
}

/** Parse a strict 'YYYY-MM-DD' date to an epoch day; RangeError on malformed, unreal or out-of-range dates. */
export function parseIsoDate(s: string): number {
  const m = typeof s === 'string' ? ISO_DATE.exec(s) : null;
  if (!m) throw new RangeError(`invalid date ${JSON.stringify(s)}: expected YYYY-MM-DD`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`invalid date "${s}": no such calendar day`);
  }
  assertYear(year, `date "${s}"`);
  return epochDay(year, month, day);
}

/** Format an epoch day as 'YYYY-MM-DD'. */
export function toIsoDate(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Calendar year of an epoch day. */
export function yearOf(day: number): number {
  return new Date(day * DAY_MS).getUTCFullYear();
}

/** Weekday of an epoch day, 0 = Sunday .. 6 = Saturday. */
export function weekdayOf(day: number): number {
  return (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
}

/** Number of days in a month (1-12) of a year. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}
