// Market phases in Eastern time (SPEC section 6). A phase starts at its time and lasts until the
// next one starts (09:29:59 is pre_market_active, 09:30:00 is opening):
//   00:00 night, 04:00 pre_market_early, 07:00 pre_market_active, 09:30 opening (observe only),
//   10:00 morning (trading), 11:30 lunch, 14:00 afternoon (trading), 15:30 close,
//   16:00 after_hours, 20:00 night.
// Early-close days (13:00) keep the same morning and shorten the rest: lunch 11:30-12:30, close
// 12:30-13:00 (the same last half hour as a full day), after_hours 13:00-17:00 (NYSE Arca's late
// session ends at 17:00 on those days), night from 17:00. There is no afternoon trading window,
// so a strategy that only enters in 'afternoon' simply does not enter that day.
// Saturdays and Sundays are 'weekend' all day and exchange closures 'holiday' all day, by ET date.
import { earlyClose, holidayName, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc } from './calendar.js';
import { SATURDAY, SUNDAY, parseIsoDate, weekdayOf } from './iso-date.js';
import { etDate, etMinutes, parseHhmm } from './time.js';

/** One of the ET phases of a day. */
export type Phase =
  | 'pre_market_early'
  | 'pre_market_active'
  | 'opening'
  | 'morning'
  | 'lunch'
  | 'afternoon'
  | 'close'
  | 'after_hours'
  | 'night'
  | 'weekend'
  | 'holiday';

/** Kind of ET calendar day; a holiday on a weekend counts as the weekend day. */
export type DayType = 'weekday' | 'saturday' | 'sunday' | 'holiday';

/** A phase and the ET wall time it starts at. */
export interface PhaseStart {
  phase: Phase;
  startEt: string;
}

/** Where the market stands at an instant. */
export interface MarketStatus {
  /** ET calendar date of the instant. */
  date: string;
  phase: Phase;
  isTradingDay: boolean;
  /** Closure name when the exchange is closed on this weekday, else null. */
  holiday: string | null;
  earlyClose: '13:00' | null;
  /** Today's regular open and close; null when today is not a trading day. */
  open: Date | null;
  close: Date | null;
  /** Inside the regular session [open, close). */
  isOpen: boolean;
  /** The next regular open strictly after the instant (today's if still ahead). */
  nextOpen: Date;
  /** The next regular close after the instant (today's if still ahead). */
  nextClose: Date;
  dayType: DayType;
}

const FULL_DAY: readonly PhaseStart[] = [
  { phase: 'night', startEt: '00:00' },
  { phase: 'pre_market_early', startEt: '04:00' },
  { phase: 'pre_market_active', startEt: '07:00' },
  { phase: 'opening', startEt: '09:30' },
  { phase: 'morning', startEt: '10:00' },
  { phase: 'lunch', startEt: '11:30' },
  { phase: 'afternoon', startEt: '14:00' },
  { phase: 'close', startEt: '15:30' },
  { phase: 'after_hours', startEt: '16:00' },
  { phase: 'night', startEt: '20:00' },
];

const EARLY_CLOSE_DAY: readonly PhaseStart[] = [
  { phase: 'night', startEt: '00:00' },
  { phase: 'pre_market_early', startEt: '04:00' },
  { phase: 'pre_market_active', startEt: '07:00' },
  { phase: 'opening', startEt: '09:30' },
  { phase: 'morning', startEt: '10:00' },
  { phase: 'lunch', startEt: '11:30' },
  { phase: 'close', startEt: '12:30' },
  { phase: 'after_hours', startEt: '13:00' },
  { phase: 'night', startEt: '17:00' },
];

const toMinutes = (s: readonly PhaseStart[]) => s.map((p) => [parseHhmm(p.startEt), p.phase] as const);
const FULL_MINUTES = toMinutes(FULL_DAY);
const EARLY_MINUTES = toMinutes(EARLY_CLOSE_DAY);

/** True for the phases in which new entries are allowed: morning and afternoon. */
export function isTradingWindow(phase: Phase): boolean {
  return phase === 'morning' || phase === 'afternoon';
}

function dayTypeOf(date: string): DayType {
  const wd = weekdayOf(parseIsoDate(date));
  if (wd === SATURDAY) return 'saturday';
  if (wd === SUNDAY) return 'sunday';
  return isTradingDay(date) ? 'weekday' : 'holiday';
}

/** The phase schedule of an ET date: its phase starts, or a single weekend/holiday entry. */
export function phaseSchedule(date: string): PhaseStart[] {
  const type = dayTypeOf(date);
  if (type === 'saturday' || type === 'sunday') return [{ phase: 'weekend', startEt: '00:00' }];
  if (type === 'holiday') return [{ phase: 'holiday', startEt: '00:00' }];
  return (earlyClose(date) ? EARLY_CLOSE_DAY : FULL_DAY).map((p) => ({ ...p }));
}

function phaseOn(date: string, type: DayType, minutes: number): Phase {
  if (type === 'saturday' || type === 'sunday') return 'weekend';
  if (type === 'holiday') return 'holiday';
  const table = earlyClose(date) ? EARLY_MINUTES : FULL_MINUTES;
  let phase: Phase = 'night';
  for (const [start, p] of table) {
    if (minutes < start) break;
    phase = p;
  }
  return phase;
}

/** The ET phase at an instant. */
export function phaseAt(instant: Date): Phase {
  const date = etDate(instant);
  return phaseOn(date, dayTypeOf(date), etMinutes(instant));
}

/** Full market status at an instant: phase, today's session, and the next open and close. */
export function marketStatus(instant: Date): MarketStatus {
  const date = etDate(instant);
  const t = instant.getTime();
  const dayType = dayTypeOf(date);
  const trading = dayType === 'weekday';
  const open = trading ? sessionOpenUtc(date) : null;
  const close = trading ? sessionCloseUtc(date) : null;
  const next = nextSession(date);
  return {
    date,
    phase: phaseOn(date, dayType, etMinutes(instant)),
    isTradingDay: trading,
    holiday: holidayName(date),
    earlyClose: trading ? earlyClose(date) : null,
    open,
    close,
    isOpen: open !== null && close !== null && t >= open.getTime() && t < close.getTime(),
    nextOpen: open && t < open.getTime() ? open : sessionOpenUtc(next),
    nextClose: close && t < close.getTime() ? close : sessionCloseUtc(next),
    dayType,
  };
}
