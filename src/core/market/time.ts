// Eastern time without a time-zone library: Node ships full ICU, so Intl knows America/New_York's
// DST history. Formatting is slow, so the ET offset is memoised per UTC hour: US DST transitions
// happen at 02:00 local, which is always a whole UTC hour, so one hour never holds two offsets.
import { parseIsoDate } from './iso-date.js';

/** The exchange's time zone. */
export const ET_ZONE = 'America/New_York';

/** Wall-clock parts of an instant in Eastern time. */
export interface EtParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** 0 = Sunday .. 6 = Saturday. */
  weekday: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;

let formatter: Intl.DateTimeFormat | undefined;
const offsetByUtcHour = new Map<number, number>();

function etFormatter(): Intl.DateTimeFormat {
  formatter ??= new Intl.DateTimeFormat('en-US', {
    timeZone: ET_ZONE,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
  return formatter;
}

/** ET offset from UTC in ms (negative: -5h in winter, -4h in summer) at a UTC instant. */
function offsetMs(ms: number): number {
  const hour = Math.floor(ms / HOUR_MS);
  let off = offsetByUtcHour.get(hour);
  if (off === undefined) {
    const base = hour * HOUR_MS;
    const p: Record<string, number> = {};
    for (const part of etFormatter().formatToParts(new Date(base))) {
      if (part.type !== 'literal') p[part.type] = Number(part.value);
    }
    off = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - base;
    if (offsetByUtcHour.size > 100_000) offsetByUtcHour.clear();
    offsetByUtcHour.set(hour, off);
  }
  return off;
}

function instantMs(instant: Date): number {
  const ms = instant instanceof Date ? instant.getTime() : Number.NaN;
  if (!Number.isFinite(ms)) throw new RangeError(`invalid instant: ${String(instant)}`);
  return ms;
}

/** ET offset from UTC in minutes at an instant: -300 (EST) or -240 (EDT). */
export function etOffsetMinutes(instant: Date): number {
  return offsetMs(instantMs(instant)) / MINUTE_MS;
}

/** Eastern wall-clock parts of an instant. */
export function etParts(instant: Date): EtParts {
  const ms = instantMs(instant);
  const wall = new Date(ms + offsetMs(ms));
  return {
    year: wall.getUTCFullYear(),
    month: wall.getUTCMonth() + 1,
    day: wall.getUTCDate(),
    hour: wall.getUTCHours(),
    minute: wall.getUTCMinutes(),
    second: wall.getUTCSeconds(),
    weekday: wall.getUTCDay(),
  };
}

/** Eastern calendar date of an instant as 'YYYY-MM-DD'. */
export function etDate(instant: Date): string {
  const ms = instantMs(instant);
  return new Date(ms + offsetMs(ms)).toISOString().slice(0, 10);
}

/** Whole minutes since Eastern midnight at an instant (09:29:59 ET gives 569). */
export function etMinutes(instant: Date): number {
  const ms = instantMs(instant);
  const wall = ms + offsetMs(ms);
  const dayStart = Math.floor(wall / (24 * HOUR_MS)) * 24 * HOUR_MS;
  return Math.floor((wall - dayStart) / MINUTE_MS);
}

/** Parse 'HH:MM' (24-hour) into minutes since midnight; RangeError otherwise. */
export function parseHhmm(hhmm: string): number {
  const m = typeof hhmm === 'string' ? HHMM.exec(hhmm) : null;
  if (!m) throw new RangeError(`invalid time ${JSON.stringify(hhmm)}: expected HH:MM (00:00-23:59)`);
  return Number(m[1]) * 60 + Number(m[2]);
}

/**
 * The instant at which ET wall clock shows date + time. On the spring-forward gap (02:xx) the wall
 * time is read with the standard offset, landing an hour later in EDT; on the repeated autumn hour
 * (01:xx) the first occurrence (EDT) wins. Session times (04:00-20:00) never hit either case.
 */
export function etToUtc(date: string, hhmm: string): Date {
  const day = parseIsoDate(date);
  const local = day * 24 * HOUR_MS + parseHhmm(hhmm) * MINUTE_MS;
  // America/New_York is always UTC-4 or UTC-5: try the earlier reading first.
  for (const hours of [4, 5]) {
    const candidate = local + hours * HOUR_MS;
    if (offsetMs(candidate) === -hours * HOUR_MS) return new Date(candidate);
  }
  return new Date(local + 5 * HOUR_MS);
}

/** Eastern wall clock of an instant as 'YYYY-MM-DD HH:MM:SS ET', for messages. */
export function formatEt(instant: Date): string {
  const ms = instantMs(instant);
  const iso = new Date(ms + offsetMs(ms)).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)} ET`;
}

