// The dual scanner (SPEC section 7): both strategies on one date over many symbols, liquidity and
// price filters, earnings blackout, deterministic ranking. Every symbol that cannot be scanned is
// listed with its reason: a quiet skip would look exactly like "no signal".
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, badBarReason, barIndex, dayNumber, isoDay } from './bars.js';
import type { Signal } from './features.js';
import { signalsAt } from './signals.js';

/** Default minimum 60-day average dollar volume. */
export const DEFAULT_MIN_DOLLAR_VOLUME = 5_000_000;
/** Bars in the average dollar volume window. */
export const DOLLAR_VOLUME_BARS = 60;

/** Inputs of one scan besides the bars and parameters. */
export interface ScanOptions {
  /** Scan date (YYYY-MM-DD): signals at the close of this session; later bars are ignored. */
  date: string;
  /** Number of picks to return. */
  top: number;
  minDollarVolume?: number;
  /** Defaults to the strategy's common.min_price. */
  minPrice?: number;
  maxPrice?: number;
  /** Symbol -> earnings dates (YYYY-MM-DD); a symbol absent from the map has no blackout. */
  earnings?: ReadonlyMap<string, readonly string[]>;
  /** Keep only the best-ranked signal per symbol among picks (default true: one position per symbol). */
  onePerSymbol?: boolean;
}

/** Why a symbol produced no candidate other than "its rules did not fire". */
export type SkipReason =
  | 'duplicate_symbol'
  | 'no_bar'
  | 'bad_bar'
  | 'insufficient_history'
  | 'price'
  | 'dollar_volume'
  | 'earnings_blackout';

/** A symbol left out of the scan, with a human-readable detail. */
export interface SkippedSymbol {
  symbol: string;
  reason: SkipReason;
  detail: string;
}

/** Result of one scan: ranked candidates, the top picks, and every skipped symbol (by symbol). */
export interface ScanResult {
  date: string;
  /** Symbols on which the strategies ran. */
  evaluated: number;
  /** Every signal that passed the filters, ranked. */
  candidates: Signal[];
  picks: Signal[];
  skipped: SkippedSymbol[];
}

const STRATEGY_ORDER = { ibs_rsi: 0, turtle_soup: 1 } as const;

/** Ranking order: confidence desc, then date asc, symbol asc (code units, never locale), strategy. */
export function compareSignals(a: Signal, b: Signal): number {
  if (a.confidence !== b.confidence) return b.confidence - a.confidence;
  if (a.date !== b.date) return a.date < b.date ? -1 : 1;
  if (a.symbol !== b.symbol) return a.symbol < b.symbol ? -1 : 1;
  return STRATEGY_ORDER[a.strategy] - STRATEGY_ORDER[b.strategy];
}

/** A ranked copy of signals (stable: full ties keep their input order). */
export function rankSignals(signals: readonly Signal[]): Signal[] {
  return [...signals].sort(compareSignals);
}

/** Mean close x volume over the `bars` bars ending at t, ignoring unusable rows; NaN if none is usable. */
export function averageDollarVolume(s: BarSeries, t: number, bars = DOLLAR_VOLUME_BARS): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, t - bars + 1); i <= t; i++) {
    const c = s.close[i];
    const v = s.volume[i];
    if (c > 0 && v >= 0 && Number.isFinite(c) && Number.isFinite(v)) {
      sum += c * v;
      n++;
    }
  }
  return n === 0 ? NaN : sum / n;
}

/** The earnings date that blacks out `day` (within [E - 2, E + 1] calendar days), or null. */
export function earningsBlackout(earnings: readonly string[] | undefined, day: string): string | null {
  if (!earnings || earnings.length === 0) return null;
  const d = dayNumber(day);
  // D in [E-2, E+1]  <=>  E in [D-1, D+2]; ISO dates compare correctly as strings.
  const lo = isoDay(d - 1);
  const hi = isoDay(d + 2);
  for (const e of earnings) if (e >= lo && e <= hi) return e;
  return null;
}

function fmtMoney(x: number): string {
  // Grouping by hand: output must not depend on the ICU data Node was built with.
  return Number.isFinite(x) ? `$${String(Math.round(x)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}` : 'n/a';
}

/** Run both strategies at `opts.date` over `series`, filter, black out earnings, rank, and pick the top N. */
export function scan(series: readonly BarSeries[], p: StrategyParams, opts: ScanOptions): ScanResult {
  const day = dayNumber(opts.date);
  const minDv = opts.minDollarVolume ?? DEFAULT_MIN_DOLLAR_VOLUME;
  const minPrice = opts.minPrice ?? p.common.min_price;
  const maxPrice = opts.maxPrice ?? Infinity;
  const skipped: SkippedSymbol[] = [];
  const candidates: Signal[] = [];
  const seen = new Set<string>();
  let evaluated = 0;
  const skip = (symbol: string, reason: SkipReason, detail: string) => skipped.push({ symbol, reason, detail });

  for (const s of series) {
    if (seen.has(s.symbol)) {
      skip(s.symbol, 'duplicate_symbol', 'symbol given more than once; first series used');
      continue;
    }
    seen.add(s.symbol);
    const t = barIndex(s, day);
    if (t < 0) {
      const last = s.length > 0 ? isoDay(s.dates[s.length - 1]) : 'none';
      skip(s.symbol, 'no_bar', `no bar on ${opts.date} (last bar ${last})`);
      continue;
    }
    const bad = badBarReason(s, t);
    if (bad) {
      skip(s.symbol, 'bad_bar', `${bad} on ${opts.date}`);
      continue;
    }
    if (t + 1 < p.common.min_history_bars) {
      skip(s.symbol, 'insufficient_history', `${t + 1} bars, need ${p.common.min_history_bars}`);
      continue;
    }
    const close = s.close[t];
    if (close < minPrice || close > maxPrice) {
      skip(s.symbol, 'price', `close ${close} outside [${minPrice}, ${maxPrice}]`);
      continue;
    }
    const dv = averageDollarVolume(s, t);
    if (!(dv >= minDv)) {
      skip(s.symbol, 'dollar_volume', `${DOLLAR_VOLUME_BARS}-day average dollar volume ${fmtMoney(dv)} < ${fmtMoney(minDv)}`);
      continue;
    }
    evaluated++;
    const found = signalsAt(s, p, t);
    if (found.length === 0) continue;
    const e = earningsBlackout(opts.earnings?.get(s.symbol), opts.date);
    if (e) {
      const names = found.map((x) => x.strategy).join(', ');
      skip(s.symbol, 'earnings_blackout', `${names} signal within [E-2, E+1] of earnings on ${e}`);
      continue;
    }
    candidates.push(...found);
  }

  const ranked = rankSignals(candidates);
  const onePerSymbol = opts.onePerSymbol ?? true;
  const picks: Signal[] = [];
  const picked = new Set<string>();
  const top = Math.max(0, Math.floor(opts.top));
  for (const sig of ranked) {
    if (picks.length >= top) break;
    if (onePerSymbol && picked.has(sig.symbol)) continue;
    picked.add(sig.symbol);
    picks.push(sig);
  }
  // By symbol, so the result does not depend on the order the universe was listed in.
  skipped.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  return { date: opts.date, evaluated, candidates: ranked, picks, skipped };
}
