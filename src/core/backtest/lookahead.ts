// `--check-lookahead`: at every bar t, the signals generated on the series cut right after t must
// be exactly the full-data run's signals at t: none missing, none extra, none changed. A difference
// means some value at bar t used a bar after t, and every backtest figure built on it is fiction.
import type { StrategyParams } from '../config/schema.js';
import { type BarSeries, dayNumber, sliceSeries } from '../strategy/bars.js';
import type { Signal } from '../strategy/features.js';
import { allSignals } from '../strategy/signals.js';
import type { SignalFn } from './prepare.js';
import { type Steps, drain, drainAsync } from './steps.js';
import type { ProgressFn } from './types.js';

/** A signal bar whose signals differ between full and truncated data. */
export interface LookaheadMismatch {
  symbol: string;
  date: string;
  detail: string;
}

/** Result of the check: how much was checked and every mismatch (first 100 kept). */
export interface LookaheadReport {
  symbols: number;
  /** (symbol, bar) pairs where the full or the truncated run has a signal (every bar is re-generated). */
  checked_bars: number;
  /** Signals compared. */
  checked_signals: number;
  mismatch_count: number;
  mismatches: LookaheadMismatch[];
  ok: boolean;
}

/** Options of the check; `signalFn` is replaceable so a test can prove the check catches a peek. */
export interface LookaheadOptions {
  start?: string;
  end?: string;
  onProgress?: ProgressFn;
  signalFn?: SignalFn;
}

const KEEP = 100;

function describe(list: readonly Signal[]): string {
  return list.length ? list.map((s) => s.strategy).join('+') : 'none';
}

/** First field that differs between two signal lists (bit-exact numbers), or null. */
export function signalDifference(full: readonly Signal[], cut: readonly Signal[]): string | null {
  if (full.length !== cut.length || full.some((s, i) => s.strategy !== cut[i].strategy)) return `full data: ${describe(full)}; truncated: ${describe(cut)}`;
  for (let i = 0; i < full.length; i++) {
    const a = full[i] as unknown as Record<string, unknown>;
    const b = cut[i] as unknown as Record<string, unknown>;
    for (const k of Object.keys(a)) {
      if (!Object.is(a[k], b[k])) return `${full[i].strategy} ${k}: full data ${String(a[k])}, truncated ${String(b[k])}`;
    }
  }
  return null;
}

/** Re-generate every signal on data truncated at its bar and compare with the full-data signal. */
export function checkLookahead(input: readonly BarSeries[], p: StrategyParams, opts: LookaheadOptions = {}): LookaheadReport {
  return drain(lookaheadSteps(input, p, opts));
}

/** checkLookahead, awaiting `pause` after every symbol (lets a spinner draw). */
export function checkLookaheadAsync(input: readonly BarSeries[], p: StrategyParams, opts: LookaheadOptions, pause: () => Promise<void>): Promise<LookaheadReport> {
  return drainAsync(lookaheadSteps(input, p, opts), pause);
}

function* lookaheadSteps(input: readonly BarSeries[], p: StrategyParams, opts: LookaheadOptions): Steps<LookaheadReport> {
  const fn = opts.signalFn ?? allSignals;
  const start = opts.start === undefined ? -Infinity : dayNumber(opts.start);
  const end = opts.end === undefined ? Infinity : dayNumber(opts.end);
  const mismatches: LookaheadMismatch[] = [];
  let bars = 0;
  let compared = 0;
  let count = 0;
  for (let k = 0; k < input.length; k++) {
    const whole = input[k];
    let n = whole.length;
    while (n > 0 && whole.dates[n - 1] > end) n--;
    const s = n === whole.length ? whole : sliceSeries(whole, n);
    const full = fn(s, p).filter((x) => s.dates[x.bar] >= start);
    const byBar = new Map<number, Signal[]>();
    for (const x of full) byBar.set(x.bar, [...(byBar.get(x.bar) ?? []), x]);
    // Every bar in range, not only the signal bars: a peek can also remove a signal (e.g. drop the
    // ones whose next bar hits the stop), and only a cut at such a bar shows the signal it hides.
    for (let t = 0; t < s.length; t++) {
      if (s.dates[t] < start) continue;
      const here = byBar.get(t) ?? [];
      const cut = fn(sliceSeries(s, t + 1), p).filter((x) => x.bar === t);
      if (here.length === 0 && cut.length === 0) continue;
      const diff = signalDifference(here, cut);
      bars++;
      compared += Math.max(here.length, cut.length);
      if (diff) {
        count++;
        if (mismatches.length < KEEP) mismatches.push({ symbol: s.symbol, date: here[0]?.date ?? cut[0].date, detail: diff });
      }
    }
    opts.onProgress?.('lookahead', k + 1, input.length);
    yield;
  }
  return { symbols: input.length, checked_bars: bars, checked_signals: compared, mismatch_count: count, mismatches, ok: count === 0 };
}
