// NAV tracking and the NAV anomaly guard (seed 004, "NAV Spikes / Drawdown Whiplash"). The brain
// feeds every equity reading through updateNav; the result is logs/state/nav_state.json and the
// equity figures of the K1 trigger.
//
// The guard is asymmetric on purpose. A fall is always trusted: K1 must see every loss, and a
// false fall can only halt trading, which a human then reviews. A rise beyond either configured
// bound (kill_switch.nav_max_jump_pct / nav_max_jump_usd) in one reading is not trusted: it would
// lift the peak or erase a drawdown (a false recovery). It is kept in anomalies_rejected and the
// previous trusted values stay. A jump that persists for NAV_CONFIRM_READINGS consecutive
// readings at a consistent level (a deposit, or the recovery from a glitch low) is then trusted.
import type { KobeConfig } from '../config/schema.js';
import { etDate } from '../market/time.js';
import type { NavState } from './contracts.js';

/** Readings at a new level (the jump and the ones after it) needed before a rejected jump is trusted. */
export const NAV_CONFIRM_READINGS = 3;
/** How many rejected readings nav_state.json keeps. */
export const NAV_MAX_ANOMALIES = 50;

/** The config keys the guard reads. */
export type NavGuardConfig = Pick<KobeConfig['kill_switch'], 'nav_max_jump_pct' | 'nav_max_jump_usd'>;

/** Outcome of one reading: the new state, and why the reading was not trusted (null when it was). */
export interface NavUpdate {
  nav: NavState;
  anomaly: string | null;
}

const cents = (x: number) => Math.round(x * 100);
const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pctText = (x: number) => `${(x * 100).toFixed(2)}%`;

/** Monday (YYYY-MM-DD) of the week holding the ET date `day`. */
export function etWeekStart(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

/** Why a move from `from` to `to` is beyond the guard's bounds, or null when it is within them. */
export function jumpBeyondBounds(from: number, to: number, cfg: NavGuardConfig): string | null {
  const rise = to - from;
  if (rise <= 0) return null;
  // Compared in cents so a move exactly at a bound is within it despite floating point.
  if (from <= 0 || cents(rise) > cents(from * cfg.nav_max_jump_pct)) {
    return `rise of ${from > 0 ? pctText(rise / from) : 'an unbounded share'} (${usd(rise)}) over trusted equity ${usd(from)} exceeds nav_max_jump_pct ${pctText(cfg.nav_max_jump_pct)}`;
  }
  if (cents(rise) > cents(cfg.nav_max_jump_usd)) return `rise of ${usd(rise)} over trusted equity ${usd(from)} exceeds nav_max_jump_usd ${usd(cfg.nav_max_jump_usd)}`;
  return null;
}

function fresh(equity: number, ts: string, day: string): NavState {
  return { version: 1, ts, equity, peak: equity, drawdown: 0, start_of_day: { date: day, equity }, week_peak: { week_start: etWeekStart(day), equity }, anomalies_rejected: [] };
}

/** True when the rejected readings since the last trusted one confirm `equity` as the new level. */
function confirmsLevel(prev: NavState, equity: number, cfg: NavGuardConfig): boolean {
  const streak = prev.anomalies_rejected.filter((a) => a.ts > prev.ts);
  const need = NAV_CONFIRM_READINGS - 1;
  if (streak.length < need) return false;
  // Consistent level: the new reading is within bounds of each of the last readings, both ways.
  return streak.slice(-need).every((a) => jumpBeyondBounds(a.equity, equity, cfg) === null && jumpBeyondBounds(equity, a.equity, cfg) === null);
}

/**
 * Feed one equity reading. `prev` null starts tracking (the first reading must be a finite number).
 * Start-of-day is per ET date and the week peak per ET week (from Monday); both roll on the first
 * reading of a new period with the trusted equity.
 */
export function updateNav(prev: NavState | null, equity: number, now: Date, cfg: NavGuardConfig): NavUpdate {
  const ts = now.toISOString();
  const day = etDate(now);
  if (prev === null) {
    if (!Number.isFinite(equity)) throw new RangeError(`the first equity reading must be a finite number, got ${equity}`);
    return { nav: fresh(equity, ts, day), anomaly: null };
  }
  let anomaly: string | null = null;
  if (!Number.isFinite(equity)) anomaly = `equity reading is not a finite number (${equity})`;
  else {
    const beyond = jumpBeyondBounds(prev.equity, equity, cfg);
    if (beyond && !confirmsLevel(prev, equity, cfg)) anomaly = beyond;
  }
  const trusted = anomaly === null ? equity : prev.equity;
  const week = etWeekStart(day);
  const nav: NavState = {
    version: 1,
    ts: anomaly === null ? ts : prev.ts,
    equity: trusted,
    peak: Math.max(prev.peak, trusted),
    drawdown: 0,
    start_of_day: prev.start_of_day.date === day ? prev.start_of_day : { date: day, equity: trusted },
    week_peak: prev.week_peak.week_start === week ? { week_start: week, equity: Math.max(prev.week_peak.equity, trusted) } : { week_start: week, equity: trusted },
    anomalies_rejected: prev.anomalies_rejected,
  };
  nav.drawdown = nav.peak > 0 ? Math.max(0, (nav.peak - nav.equity) / nav.peak) : 0;
  // A non-finite reading cannot be stored as JSON; it is reported through `anomaly` only.
  if (anomaly !== null && Number.isFinite(equity)) {
    nav.anomalies_rejected = [...prev.anomalies_rejected, { ts, equity, previous: prev.equity, reason: anomaly }].slice(-NAV_MAX_ANOMALIES);
  }
  return { nav, anomaly };
}

/** The K1 inputs from a NAV state at `now`: a period that has not started yet counts from the current equity. */
export function navTriggerFields(nav: NavState, now: Date): { equity: number; startOfDayEquity: number; weekPeakEquity: number } {
  const day = etDate(now);
  return {
    equity: nav.equity,
    startOfDayEquity: nav.start_of_day.date === day ? nav.start_of_day.equity : nav.equity,
    weekPeakEquity: nav.week_peak.week_start === etWeekStart(day) ? nav.week_peak.equity : nav.equity,
  };
}
