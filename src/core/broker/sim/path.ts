// The sim's intraday price path of one session, from its daily bar. Quotes and fills both read it,
// so that what the sim shows at an instant is what it fills at. The path order is:
//
//   open (09:30 ET) -> low -> high -> close   when close >= open
//   open (09:30 ET) -> high -> low -> close   when close <  open
//
// piecewise linear in time: the open at the session open, the first extreme at 1/3 of the session,
// the second at 2/3, the close at the close (13:00 ET on early closes). A rising day visits its low
// first, so a stop below and a target above on a wide green bar resolve stop first, as the
// backtest's "stops before targets inside a bar" rule does.
import { isTradingDay, nextSession, previousSession, sessionCloseUtc, sessionOpenUtc } from '../../market/calendar.js';
import { etDate } from '../../market/time.js';

/** One session's regular hours as epoch ms. */
export interface Session {
  date: string;
  open: number;
  close: number;
}

/** The prices of a session's path. */
export interface PathBar {
  open: number;
  high: number;
  low: number;
  close: number;
}

const sessions = new Map<string, Session>();

/** Regular hours of trading day `date` (memoised: catch-up asks for the same days again and again). */
export function session(date: string): Session {
  let s = sessions.get(date);
  if (!s) {
    s = { date, open: sessionOpenUtc(date).getTime(), close: sessionCloseUtc(date).getTime() };
    sessions.set(date, s);
  }
  return s;
}

// The last answer of sessionFrom and the instant from which it holds (the previous close).
let hit: { from: number; s: Session } | null = null;

/** The session in progress at instant t, or the next one when none is (the first whose close is after t). */
export function sessionFrom(t: number): Session {
  if (hit && t >= hit.from && t < hit.s.close) return hit.s;
  const d = etDate(new Date(t));
  const s = isTradingDay(d) && t < session(d).close ? session(d) : session(nextSession(d));
  hit = { from: session(previousSession(s.date)).close, s };
  return s;
}

/** True when t is inside the regular hours of its day. */
export function inSession(t: number): boolean {
  const d = etDate(new Date(t));
  if (!isTradingDay(d)) return false;
  const s = session(d);
  return t >= s.open && t < s.close;
}

function points(s: Session, b: PathBar): { ts: number[]; ps: number[] } {
  const third = (s.close - s.open) / 3;
  const [first, second] = b.close >= b.open ? [b.low, b.high] : [b.high, b.low];
  return { ts: [s.open, s.open + third, s.open + 2 * third, s.close], ps: [b.open, first, second, b.close] };
}

function lerp(t: number, ta: number, pa: number, tb: number, pb: number): number {
  return tb === ta ? pb : pa + ((pb - pa) * (t - ta)) / (tb - ta);
}

/** The path's price at t (clamped to the session's hours). */
export function pathAt(s: Session, b: PathBar, t: number): number {
  const { ts, ps } = points(s, b);
  if (t <= ts[0]) return ps[0];
  for (let i = 0; i < 3; i++) if (t <= ts[i + 1]) return lerp(t, ts[i], ps[i], ts[i + 1], ps[i + 1]);
  return ps[3];
}

/** Which way a level is reached: 'down' means price <= level, 'up' means price >= level. */
export type Direction = 'down' | 'up';

/** First instant in [a, b] (inside the session) at which the path reaches `level`, or null. */
export function firstReach(s: Session, b: PathBar, a: number, end: number, level: number, dir: Direction): number | null {
  const { ts, ps } = points(s, b);
  const hit = (p: number) => (dir === 'down' ? p <= level : p >= level);
  for (let i = 0; i < 3; i++) {
    const sa = Math.max(a, ts[i]);
    const sb = Math.min(end, ts[i + 1]);
    if (sa > sb) continue;
    const va = lerp(sa, ts[i], ps[i], ts[i + 1], ps[i + 1]);
    const vb = lerp(sb, ts[i], ps[i], ts[i + 1], ps[i + 1]);
    if (hit(va)) return sa;
    if (hit(vb)) return Math.min(sb, Math.ceil(sa + ((va - level) / (va - vb)) * (sb - sa)));
  }
  return null;
}
