// The data audit of SPEC section 6, one symbol at a time, in one pass over the bars (plus one walk
// against the session table). Decisions:
// - Missing sessions are reported per gap (a run of consecutive missing sessions is one finding).
// - Zero volume: a run of `zeroVolumeRun` (3) or more consecutive zero-volume bars is a finding. A
//   single zero-volume day happens on real halts and thin names; three in a row is a dead feed.
// - Stale: the last bar is behind `expectedLast` (the caller's --as-of, else the newest last bar of
//   the set verified, so an honest historical data set is not "stale" as a whole).
// - Split-like jump: open/previous close AND close/previous close both within `splitTolerance` (5%)
//   of a split ratio, unless the store recorded a split on that date (either ratio convention). 5%:
//   on the S&P 2013-2018 set it finds the unadjusted Discovery split (DISCA open off by 4.2%) and
//   none of the earnings crashes near -33% (EVHC, NWL: one ratio 5.5-6% off). A previous bar that
//   failed the OHLC check is no reference: the jump back from a bad close is that bar's finding.
// - Prices are compared with a 1e-6 relative tolerance: far below any tick, above float noise.
import type { BarSeries } from '../../strategy/bars.js';
import { isoDay } from '../../strategy/bars.js';
import type { SessionDays } from './sessions.js';

/** Every check `data verify` runs, in report order. */
export const CHECKS = [
  'damaged_file',
  'missing_symbol',
  'missing_sessions',
  'duplicate_date',
  'unsorted_dates',
  'not_a_session',
  'nan_field',
  'ohlc_inconsistent',
  'non_positive_price',
  'negative_volume',
  'zero_volume_run',
  'stale_last_bar',
  'split_like_jump',
] as const;
/** One check's name. */
export type QualityCheck = (typeof CHECKS)[number];

/** One problem found; `date` is the bar's ISO date (or the first of a run), null for whole-file problems. */
export interface Finding {
  symbol: string;
  check: QualityCheck;
  date: string | null;
  detail: string;
}

/** A split recorded in the store's index. */
export interface RecordedSplit {
  date: string;
  ratio: number;
}

/** Inputs besides the bars. */
export interface VerifyOptions {
  sessions: SessionDays;
  /** Day number the last bar should reach; null to skip the staleness check. */
  expectedLast?: number | null;
  splits?: readonly RecordedSplit[];
  zeroVolumeRun?: number;
  splitTolerance?: number;
}

/** Price ratios a split or reverse split produces. */
export const SPLIT_RATIOS = [1 / 10, 1 / 5, 1 / 4, 1 / 3, 1 / 2, 2 / 3, 3 / 2, 2, 3, 4, 5, 10];
const RATIO_NAMES = ['1/10', '1/5', '1/4', '1/3', '1/2', '2/3', '3/2', '2', '3', '4', '5', '10'];
const EPS = 1e-6;
const COLS = ['open', 'high', 'low', 'close', 'volume'] as const;

/** Run every bar-level check on one series; findings in date order. */
export function verifySeries(s: BarSeries, opts: VerifyOptions): Finding[] {
  const out: Finding[] = [];
  const sym = s.symbol;
  const add = (check: QualityCheck, day: number | null, detail: string) => out.push({ symbol: sym, check, date: day === null ? null : isoDay(day), detail });
  const n = s.length;
  if (n === 0) return out;
  const { dates, open, high, low, close, volume } = s;
  const runMin = opts.zeroVolumeRun ?? 3;
  const tol = opts.splitTolerance ?? 0.05;
  // no split ratio lies between these: most bars skip the ratio loop
  const quietLo = (2 / 3) * (1 + tol);
  const quietHi = 1.5 * (1 - tol);
  let prevOk = false;
  const splitDays = new Set((opts.splits ?? []).map((x) => x.date));
  let sorted = true;
  let zeroRun = 0;
  const endZeroRun = (i: number) => {
    if (zeroRun >= runMin) add('zero_volume_run', dates[i - zeroRun], `${zeroRun} consecutive bars with zero volume, ${isoDay(dates[i - zeroRun])}..${isoDay(dates[i - 1])}`);
    zeroRun = 0;
  };
  for (let i = 0; i < n; i++) {
    const d = dates[i];
    if (i > 0 && d <= dates[i - 1]) {
      sorted = false;
      if (d === dates[i - 1]) add('duplicate_date', d, `second bar dated ${isoDay(d)}`);
      else add('unsorted_dates', d, `bar ${i} (${isoDay(d)}) comes after ${isoDay(dates[i - 1])}`);
    }
    const o = open[i];
    const h = high[i];
    const l = low[i];
    const c = close[i];
    const v = volume[i];
    // x - x is 0 for finite x and NaN for NaN and infinities (cheaper than Number.isFinite in a hot loop)
    if (!(o - o === 0 && h - h === 0 && l - l === 0 && c - c === 0 && v - v === 0)) {
      const bad = [o, h, l, c, v].map((x, k) => (Number.isFinite(x) ? '' : COLS[k])).filter(Boolean);
      add('nan_field', d, `${bad.join(', ')} empty or not a number`);
    }
    if (o <= 0 || h <= 0 || l <= 0 || c <= 0) {
      const bad = [o, h, l, c].map((x, k) => (x <= 0 ? `${COLS[k]} ${x}` : '')).filter(Boolean);
      add('non_positive_price', d, bad.join(', '));
    }
    const tl = l - (l < 0 ? -l : l) * EPS;
    const th = h + (h < 0 ? -h : h) * EPS;
    const inconsistent = h < tl || c < tl || c > th || o < tl || o > th;
    if (inconsistent) {
      const why: string[] = [];
      if (h < tl) why.push(`high ${h} < low ${l}`);
      if (c < tl || c > th) why.push(`close ${c} outside [${l}, ${h}]`);
      if (o < tl || o > th) why.push(`open ${o} outside [${l}, ${h}]`);
      add('ohlc_inconsistent', d, why.join('; '));
    }
    if (v < 0) add('negative_volume', d, `volume ${v}`);
    if (v === 0) zeroRun++;
    else if (zeroRun) endZeroRun(i);
    if (prevOk) {
      const pc = close[i - 1];
      const r = c / pc;
      if (o > 0 && c > 0 && (r < quietLo || r > quietHi)) {
        const ro = o / pc;
        for (let k = 0; k < SPLIT_RATIOS.length; k++) {
          const R = SPLIT_RATIOS[k];
          const dr = r / R - 1;
          const dro = ro / R - 1;
          if (dr <= tol && dr >= -tol && dro <= tol && dro >= -tol) {
            if (!explained(opts.splits, isoDay(d), R, tol, splitDays)) {
              add('split_like_jump', d, `open/prev close ${ro.toFixed(3)} and close/prev close ${r.toFixed(3)} match a ${RATIO_NAMES[k]} price ratio; no split recorded`);
            }
            break;
          }
        }
      }
    }
    prevOk = !inconsistent && c > 0 && c - c === 0 && h - h === 0 && l - l === 0;
  }
  if (zeroRun) endZeroRun(n);
  calendarChecks(s, sorted, opts, add);
  // by date; the sort is stable, so one date's findings keep the order the checks ran in
  return out.sort((a, b) => (a.date === b.date ? 0 : (a.date ?? '') < (b.date ?? '') ? -1 : 1));
}

function explained(splits: readonly RecordedSplit[] | undefined, iso: string, R: number, tol: number, days: Set<string>): boolean {
  if (!splits || !days.has(iso)) return false;
  return splits.some((x) => x.date === iso && (Math.abs(x.ratio * R - 1) <= tol || Math.abs(x.ratio / R - 1) <= tol));
}

type Add = (check: QualityCheck, day: number | null, detail: string) => void;

/** Missing sessions, bars on non-sessions, and staleness, against the NYSE calendar. */
function calendarChecks(s: BarSeries, sorted: boolean, opts: VerifyOptions, add: Add): void {
  const cal = opts.sessions;
  const dates = sorted ? s.dates : Int32Array.from(new Set(s.dates)).sort();
  const n = dates.length;
  const first = dates[0];
  const last = dates[n - 1];
  cal.cover(first, Math.max(last, opts.expectedLast ?? last));
  const sess = cal.days;
  let j = cal.lowerBound(first);
  let gapStart = -1;
  let gapLen = 0;
  const flushGap = () => {
    if (gapLen) add('missing_sessions', sess[gapStart], gapLen === 1 ? `no bar for session ${isoDay(sess[gapStart])}` : `${gapLen} sessions missing: ${isoDay(sess[gapStart])}..${isoDay(sess[gapStart + gapLen - 1])}`);
    gapLen = 0;
  };
  for (let i = 0; i < n; i++) {
    const d = dates[i];
    if (!cal.knows(d)) {
      add('not_a_session', d, `${isoDay(d)} is outside the calendar range 1990-2100`);
      continue;
    }
    while (j < sess.length && sess[j] < d) {
      if (gapLen === 0) gapStart = j;
      gapLen++;
      j++;
    }
    flushGap();
    if (j < sess.length && sess[j] === d) j++;
    else add('not_a_session', d, `${isoDay(d)} is not an NYSE session (weekend or holiday)`);
  }
  const expected = opts.expectedLast;
  if (expected != null && last < expected && cal.knows(last) && cal.knows(expected)) {
    const behind = cal.lowerBound(expected + 1) - cal.lowerBound(last + 1);
    if (behind > 0) add('stale_last_bar', last, `last bar ${isoDay(last)} is ${behind} session(s) behind ${isoDay(expected)}`);
  }
}
