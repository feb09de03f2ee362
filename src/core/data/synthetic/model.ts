// One synthetic symbol's daily bars. The model, per symbol:
// - start price lognormal around $60 (5%..95% roughly $16..$225); base volatility lognormal
//   around 28%/yr; a small per-symbol drift bias; mean dollar volume lognormal around $30M/day
//   (about 1 in 12 symbols below the scan's $5M liquidity floor).
// - two Markov regimes with geometric durations: trend bull/flat/bear (months) and volatility
//   calm/volatile (weeks to months); they set the drift and the variance target.
// - GARCH(1,1) daily variance around that target, so volatility clusters.
// - a bar = overnight gap (normal, plus rare earnings-like jumps) then an intraday move; high and
//   low are the extremes of a Brownian bridge from open to close, so high >= max(open, close) and
//   low <= min(open, close) hold by construction and the range is realistic.
// - mild short-term mean reversion (low IBS and a fall tilt the next day up): the effect the
//   IBS+RSI strategy trades on, so backtests on this market have something to find.
// - a soft floor and ceiling on the price level keep cent rounding meaningful for ten years.
// - volume lognormal around the dollar-volume mean, higher on large-move days.
// Every number comes from the symbol's own Rng, in a fixed order: same stream, same bars.
import type { BarSeries } from '../../strategy/bars.js';
import type { Rng } from './random.js';

// Math's functions are bound once: under jest's vm sandbox every global `Math.x` lookup costs about
// half a microsecond, and the day loop makes a dozen per bar.
const { abs, exp, floor, log, max, min, round, sqrt } = Math;
const TRADING_DAYS = 252;
/** Annual drift of the trend regimes: bull, flat, bear. */
const TREND_DRIFT = [0.3, 0.02, -0.3];
/** Mean regime lengths in sessions, and the odds of each trend state when one ends. */
const TREND_DAYS = 90;
const TREND_ODDS = [0.5, 0.3, 0.2];
const VOL_MULT = [0.85, 1.6];
const VOL_DAYS = [60, 30];
const GARCH_ALPHA = 0.07;
const GARCH_BETA = 0.9;
/** Shares of a day's variance overnight and intraday (they sum to about 1). */
const GAP_SD = 0.45;
const DAY_SD = 0.89;
const JUMP_PROB = 0.006;
const JUMP_SD = 0.05;
/** Caps on one bar's log moves: a clean market never shows a split-sized jump. */
const MAX_GAP = 0.22;
const MAX_DAY = 0.18;
const SPLIT_ODDS = 1 / 40;

/** A recorded stock split (the bars are already adjusted for it). */
export interface SplitEvent {
  /** First session traded at the post-split price. */
  date: string;
  /** Shares after per share before: 2 for a 2-for-1. */
  ratio: number;
}

/** Bars of one symbol plus its corporate actions. */
export interface SymbolBars {
  series: BarSeries;
  splits: SplitEvent[];
}

const round2 = (x: number) => round(x * 100) / 100;
const clamp = (x: number, lo: number, hi: number) => (x < lo ? lo : x > hi ? hi : x);

function geometric(rng: Rng, meanDays: number): number {
  return 1 + floor(rng.exponential() * meanDays);
}

function pickTrend(rng: Rng): number {
  const u = rng.float();
  return u < TREND_ODDS[0] ? 0 : u < TREND_ODDS[0] + TREND_ODDS[1] ? 1 : 2;
}

/** Generate `symbol` on the session day numbers `dates` (ascending) from its own stream. */
export function generateSymbol(rng: Rng, symbol: string, dates: Int32Array, isos: readonly string[]): SymbolBars {
  const n = dates.length;
  const p0 = clamp(exp(log(60) + 0.8 * rng.normal()), 8, 900);
  const annVol = clamp(exp(log(0.28) + 0.35 * rng.normal()), 0.12, 0.9);
  const driftBias = 0.03 + 0.05 * rng.normal();
  const dollarVolume = clamp(exp(log(30e6) + 1.3 * rng.normal()), 3e5, 3e9);
  const hasSplit = rng.float() < SPLIT_ODDS;
  const splitRatio = rng.float() < 0.6 ? 2 : 3;
  const splitAt = floor(n * (0.15 + 0.7 * rng.float()));
  const splits = hasSplit && n > 2 ? [{ date: isos[clamp(splitAt, 1, n - 1)], ratio: splitRatio }] : [];

  const s: BarSeries = {
    symbol,
    dates: dates.slice(),
    open: new Float64Array(n),
    high: new Float64Array(n),
    low: new Float64Array(n),
    close: new Float64Array(n),
    volume: new Float64Array(n),
    length: n,
  };
  simulate(rng, s, p0, annVol, driftBias, dollarVolume);
  return { series: s, splits };
}

/** The day loop; kept apart from the setup so V8 optimises it once for every symbol. */
function simulate(rng: Rng, s: BarSeries, p0: number, annVol: number, driftBias: number, dollarVolume: number): void {
  const { open, high, low, close, volume, length: n } = s;
  let trend = pickTrend(rng);
  let trendLeft = geometric(rng, TREND_DAYS);
  let vol = rng.float() < 0.65 ? 0 : 1;
  let volLeft = geometric(rng, VOL_DAYS[vol]);
  let h = (annVol * VOL_MULT[vol]) ** 2 / TRADING_DAYS;
  let eps = 0;
  let prevClose = p0;
  let lastRet = 0;
  let lastIbs = 0.5;

  for (let t = 0; t < n; t++) {
    if (--trendLeft <= 0) {
      trend = pickTrend(rng);
      trendLeft = geometric(rng, TREND_DAYS);
    }
    if (--volLeft <= 0) {
      vol = 1 - vol;
      volLeft = geometric(rng, VOL_DAYS[vol]);
    }
    const target = (annVol * VOL_MULT[vol]) ** 2 / TRADING_DAYS;
    h = target * (1 - GARCH_ALPHA - GARCH_BETA) + GARCH_ALPHA * eps * eps + GARCH_BETA * h;
    const sd = sqrt(h);
    let mu = (TREND_DRIFT[trend] + driftBias) / TRADING_DAYS - 0.05 * lastRet + 0.12 * sd * (0.5 - lastIbs);
    if (prevClose < 5) mu += 0.004 * log(5 / prevClose);
    else if (prevClose > 2500) mu -= 0.004 * log(prevClose / 2500);

    let gap = t === 0 ? 0 : GAP_SD * sd * rng.normal();
    if (rng.float() < JUMP_PROB && t > 0) gap += JUMP_SD * rng.normal();
    gap = clamp(gap, -MAX_GAP, MAX_GAP);
    const daySd = DAY_SD * sd;
    const x = clamp(mu - h / 2 + daySd * rng.normal(), -MAX_DAY, MAX_DAY);
    const v2 = 2 * daySd * daySd;
    const up = (x + sqrt(x * x + v2 * rng.exponential())) / 2;
    const down = (x - sqrt(x * x + v2 * rng.exponential())) / 2;

    const openRaw = prevClose * exp(gap);
    const o = max(0.01, round2(openRaw));
    const c = max(0.01, round2(openRaw * exp(x)));
    const hi = max(round2(openRaw * exp(up)), o, c);
    const lo = max(0.01, min(round2(openRaw * exp(down)), o, c));
    open[t] = o;
    high[t] = hi;
    low[t] = lo;
    close[t] = c;

    // The unrounded log move stands in for log(c / prevClose): cent rounding is noise here.
    const r = gap + x;
    const z = abs(r - mu) / sd;
    const shares = (dollarVolume / ((o + c) / 2)) * exp(0.35 * rng.normal() - 0.06) * ((1 + 0.6 * min(z, 6)) / 1.48);
    volume[t] = max(100, round(shares));

    eps = r - mu;
    lastRet = r;
    lastIbs = hi > lo ? (c - lo) / (hi - lo) : 0.5;
    prevClose = c;
  }
}
