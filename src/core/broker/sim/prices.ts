// Prices for the simulated broker, from the local bar store. Inside a session whose bar the store
// has (replays, or after a same-day import), the price follows the session path of path.ts; a
// session without its bar is flat at the last close before it (live sim before the evening fetch).
import type { BarStore } from '../../data/store.js';
import { isTradingDay } from '../../market/calendar.js';
import { etDate } from '../../market/time.js';
import { dayNumber, isoDay, type BarSeries } from '../../strategy/bars.js';
import { pathAt, session } from './path.js';

/** One daily bar; `real` is false for the flat stand-in of a session the store has no bar for. */
export interface SimBar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
  real: boolean;
}

/** Where the sim broker gets its prices. */
export interface SimPrices {
  /** Whether the symbol can be traded. */
  knows(symbol: string): boolean;
  /** The bar of session `date`, a flat bar at the last earlier close when the store lacks it, or null. */
  sessionBar(symbol: string, date: string): SimBar | null;
  /** The date of the last bar dated on or before `date`, or null. */
  lastBarDate(symbol: string, date: string): string | null;
  /** Price at an instant on the session path, or null for an unknown symbol. */
  priceAt(symbol: string, now: Date): number | null;
}

/** SimPrices over the bar store, caching each symbol's series. */
export class StorePrices implements SimPrices {
  private cache = new Map<string, BarSeries | null>();
  private days = new Map<string, number>();
  constructor(private readonly store: Pick<BarStore, 'load' | 'list'>) {}

  private series(symbol: string): BarSeries | null {
    if (!this.cache.has(symbol)) {
      let s: BarSeries | null = null;
      try {
        s = this.store.load(symbol);
      } catch {
        s = null;
      }
      this.cache.set(symbol, s && s.length > 0 ? s : null);
    }
    return this.cache.get(symbol) ?? null;
  }

  knows(symbol: string): boolean {
    return this.series(symbol) !== null;
  }

  private lastIndexOnOrBefore(s: BarSeries, day: number): number {
    let lo = 0;
    let hi = s.length - 1;
    let ans = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (s.dates[mid] <= day) {
        ans = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return ans;
  }

  private dayOf(date: string): number {
    let d = this.days.get(date);
    if (d === undefined) {
      d = dayNumber(date);
      this.days.set(date, d);
    }
    return d;
  }

  sessionBar(symbol: string, date: string): SimBar | null {
    const s = this.series(symbol);
    if (!s) return null;
    const day = this.dayOf(date);
    const i = this.lastIndexOnOrBefore(s, day);
    if (i < 0) return null;
    if (s.dates[i] === day) return { date, open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i], real: true };
    const c = s.close[i];
    return { date, open: c, high: c, low: c, close: c, real: false };
  }

  lastBarDate(symbol: string, date: string): string | null {
    const s = this.series(symbol);
    if (!s) return null;
    const i = this.lastIndexOnOrBefore(s, dayNumber(date));
    return i < 0 ? null : isoDay(s.dates[i]);
  }

  priceAt(symbol: string, now: Date): number | null {
    const s = this.series(symbol);
    if (!s) return null;
    const today = etDate(now);
    const t = now.getTime();
    if (isTradingDay(today) && t >= session(today).open) {
      const bar = this.sessionBar(symbol, today);
      return bar ? pathAt(session(today), bar, t) : null;
    }
    // Before the open (or on a closed day) the market shows the last close before today's session.
    const i = this.lastIndexOnOrBefore(s, dayNumber(today) - (isTradingDay(today) ? 1 : 0));
    if (i >= 0) return s.close[i];
    return s.dates[0] === dayNumber(today) ? s.open[0] : null;
  }
}
