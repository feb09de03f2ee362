// Bar fixtures for the backtest tests: tiny series on real NYSE sessions, small-period parameters so a
// handful of bars is enough history, hand-made signals, and a seeded random-walk universe.
import type { BacktestSettings } from '../../../src/core/backtest/types.js';
import type { StrategyParams } from '../../../src/core/config/schema.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { type BarSeries, isoDay, seriesFromRows } from '../../../src/core/strategy/bars.js';
import type { Signal, StrategyName } from '../../../src/core/strategy/features.js';
import { mulberry32 } from '../strategy/fixtures.js';

export { mulberry32 };

/** One bar; volume defaults to 1,000,000. */
export interface B {
  o: number;
  h: number;
  l: number;
  c: number;
  v?: number;
}

/** Sessions from 2024-01-02 on (2024-01-15 is MLK day, so dates skip it). */
export const SESSIONS = sessionsBetween('2024-01-02', '2026-12-31');

/**
 * Small periods so five bars are enough history: SMA(3), ATR(2), RSI(2) as simple means (no losses in
 * the window -> 50, below rsi_entry 60). Turtle Soup: 3-bar lookback, a 0.1-ATR sweep, stop 0.4 ATR
 * under the low, target 1R. Exits IBS > 0.8 or RSI > 70; time stops 5 and 3 bars.
 */
export const P: StrategyParams = {
  version: 'test-small',
  common: { sma_period: 3, atr_period: 2, min_price: 1, min_history_bars: 5, feature_lag: 0 },
  ibs_rsi: { ibs_entry: 0.2, ibs_exit: 0.8, rsi_period: 2, rsi_method: 'sma', rsi_entry: 60, rsi_exit: 70, stop_atr_mult: 2, time_stop_bars: 5 },
  turtle_soup: { lookback: 3, min_bars_since_extreme: 1, min_sweep_atr: 0.1, stop_buffer_atr: 0.4, r_multiple: 1, time_stop_bars: 3 },
};

/** A flat bar: IBS 0.5, true range 2, no change in the close. */
export const FLAT: B = { o: 100, h: 101, l: 99, c: 100 };

/** A series of `bars` on consecutive NYSE sessions from 2024-01-02 (offset `from` sessions later). */
export function series(symbol: string, bars: readonly B[], from = 0): BarSeries {
  return seriesFromRows(
    symbol,
    bars.map((b, i) => ({ date: SESSIONS[from + i], open: b.o, high: b.h, low: b.l, close: b.c, volume: b.v ?? 1_000_000 })),
  );
}

/** n flat bars. */
export function flat(n: number): B[] {
  return Array.from({ length: n }, () => ({ ...FLAT }));
}

/**
 * The IBS+RSI signal bar after flat bars: close 100.5 > SMA3 (100.1667), IBS (100.5 - 100.3) / 2.7 =
 * 0.074 < 0.2, RSI 50 (no loss) < 60. ATR(2): TR 2 on flat bars, then max(2.7, |103 - 100|, 0.3) = 3,
 * so ATR = (2 + 3) / 2 = 2.5 and stop = 100.5 - 2 x 2.5 = 95.5.
 */
export const IBS_BAR: B = { o: 100, h: 103, l: 100.3, c: 100.5 };

/**
 * The Turtle Soup pair after flat bars: a higher low (99.5) so the 99 low is one bar older (k = 1),
 * then a sweep to 98 closing at 100.5 (IBS 2.5 / 2.8 = 0.89: no IBS+RSI signal). ATR(2): TR 1.5 then
 * 2.8: (2 + 1.5) / 2 = 1.75, (1.75 + 2.8) / 2 = 2.275. Stop = 98 - 0.4 x 2.275 = 97.09; target =
 * 100.5 + 1 x (100.5 - 97.09) = 103.91.
 */
export const SOUP_BARS: B[] = [
  { o: 100, h: 101, l: 99.5, c: 100 },
  { o: 100, h: 100.8, l: 98, c: 100.5 },
];

/** Settings: 100k cash, 5 slots, 1% risk, 10% cap, 5 bps. */
export function settings(o: Partial<BacktestSettings> = {}): BacktestSettings {
  return { mode: 'portfolio', startingCash: 100_000, maxOpenPositions: 5, riskPct: 0.01, maxPositionPct: 0.1, slippageBps: 5, ...o };
}

/** A hand-made signal at bar t of s (entry = close), for tests of the simulators' mechanics. */
export function signalAt(s: BarSeries, t: number, o: { strategy?: StrategyName; stop: number; target?: number | null; confidence?: number; timeStop?: number }): Signal {
  const strategy = o.strategy ?? 'turtle_soup';
  return {
    date: isoDay(s.dates[t]),
    symbol: s.symbol,
    strategy,
    bar: t,
    entry: s.close[t],
    stop: o.stop,
    target: o.target ?? null,
    entry_raw: s.close[t],
    stop_raw: o.stop,
    target_raw: o.target ?? null,
    time_stop_bars: o.timeStop ?? 3,
    score: (o.confidence ?? 0.5) * 300,
    confidence: o.confidence ?? 0.5,
    ibs: 0,
    rsi: 0,
    atr: 1,
    sma: 0,
    level: null,
    bars_since: null,
    sweep: null,
  };
}

/** A signal function that emits exactly the given signals for each symbol. */
export function fixedSignals(list: readonly Signal[]): (s: BarSeries) => Signal[] {
  return (s) => list.filter((x) => x.symbol === s.symbol && x.bar < s.length);
}


/** A seeded random walk on real sessions with long lower wicks (plenty of signals of both strategies). */
export function randomWalk(symbol: string, sessions: readonly string[], seed: number): BarSeries {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() || 1e-12)) * Math.cos(2 * Math.PI * rnd());
  let c = 20 + 80 * rnd();
  return seriesFromRows(
    symbol,
    sessions.map((date) => {
      const o = c * (1 + 0.006 * gauss());
      c = o * (1 + 0.018 * gauss() + 0.0006);
      const h = Math.max(o, c) * (1 + Math.abs(0.008 * gauss()));
      const l = Math.min(o, c) * (1 - Math.abs(0.014 * gauss()));
      return { date, open: o, high: h, low: l, close: c, volume: 500_000 + 500_000 * rnd() };
    }),
  );
}

/** n random-walk symbols (R00, R01, ...) over `sessions`. */
export function universe(n: number, sessions: readonly string[], seed = 1): BarSeries[] {
  return Array.from({ length: n }, (_, i) => randomWalk(`R${String(i).padStart(2, '0')}`, sessions, seed * 1000 + i));
}
