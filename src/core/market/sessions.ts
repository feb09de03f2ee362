import { isTradingDay, previousSession, sessionCloseUtc } from './calendar.js';
import { etDate } from './time.js';

/** The last session whose close is at or before `instant` (today's once the bell has rung). */
export function lastCompletedSession(instant: Date): string {
  const today = etDate(instant);
  if (isTradingDay(today) && instant.getTime() >= sessionCloseUtc(today).getTime()) return today;
  return previousSession(today);
}
