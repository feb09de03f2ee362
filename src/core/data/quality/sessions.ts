// NYSE sessions as a sorted Int32Array of day numbers, so the audit walks a symbol's dates against
// the calendar with one pointer instead of a lookup per bar.
import { sessionsBetween } from '../../market/calendar.js';
import { MAX_YEAR, MIN_YEAR, parseIsoDate } from '../../market/iso-date.js';
import { dayNumber, isoDay } from '../../strategy/bars.js';

/** First day number the calendar knows (1990-01-01). */
export const CALENDAR_FIRST = dayNumber(`${MIN_YEAR}-01-01`);
/** Last day number the calendar knows (2100-12-31). */
export const CALENDAR_LAST = dayNumber(`${MAX_YEAR}-12-31`);

/** Sessions of whole calendar years, grown on demand to cover the days asked about. */
export class SessionDays {
  days = new Int32Array(0);
  private fromYear = 0;
  private toYear = -1;

  /** Make sure the table covers day numbers `from`..`to` (clamped to the calendar's range). */
  cover(from: number, to: number): void {
    const a = Math.max(from, CALENDAR_FIRST);
    const b = Math.min(to, CALENDAR_LAST);
    if (a > b) return;
    const ya = Number(isoDay(a).slice(0, 4));
    const yb = Number(isoDay(b).slice(0, 4));
    if (this.toYear >= this.fromYear && ya >= this.fromYear && yb <= this.toYear) return;
    const fy = this.toYear >= this.fromYear ? Math.min(ya, this.fromYear) : ya;
    const ty = this.toYear >= this.fromYear ? Math.max(yb, this.toYear) : yb;
    const isos = sessionsBetween(`${fy}-01-01`, `${ty}-12-31`);
    const days = new Int32Array(isos.length);
    for (let i = 0; i < isos.length; i++) days[i] = parseIsoDate(isos[i]);
    this.days = days;
    this.fromYear = fy;
    this.toYear = ty;
  }

  /** Index of the first session >= day (days.length when none). */
  lowerBound(day: number): number {
    const xs = this.days;
    let lo = 0;
    let hi = xs.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < day) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Whether `day` lies inside the calendar's range (1990-2100), where sessions are known. */
  knows(day: number): boolean {
    return day >= CALENDAR_FIRST && day <= CALENDAR_LAST;
  }
}
