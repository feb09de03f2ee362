// Prices for the simulated broker, from the local bar store. Inside a session whose bar is known
// (replays), the price moves linearly from the open to the close; otherwise it is the last close.
import type { BarStore } from '../../data/store.js';
import { isTradingDay, sessionCloseUtc, sessionOpenUtc } from '../../market/calendar.js';
import { etDate } from '../../market/time.js';
import { dayNumber, isoDay, type BarSeries } from '../../strategy/bars.js';

/** One daily bar. */
export interface SimBar {
  date: string;
  open: number;
  high: number;
  low: number;
  close: number;
}

/** Where the sim broker gets its prices. */
export interface SimPrices {
  /** Price now, or null for an unknown symbol. */
  priceAt(symbol: string, now: Date): number | null;
  /** Complete bars dated in [from, to] (ISO, inclusive). */
  bars(symbol: string, from: string, to: string): SimBar[];
  /** Whether the symbol can be traded. */
  knows(symbol: string): boolean;
}

/** SimPrices over the bar store, caching each symbol's series. */
export class StorePrices implements SimPrices {
  private cache = new Map<string, BarSeries | null>();
  constructor(private readonly store: Pick<BarStore, 'load' | 'list'>) {}

  private series(symbol: string): BarSeries | null {
    if (!this.cache.has(symbol)) {
      let s: BarSeries | null = null;
      try {
        s = this.store.load(symbol);
      } catch {
        s = null;
      }
      this.cache.set(symbol, s);
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

  priceAt(symbol: string, now: Date): number | null {
    const s = this.series(symbol);
    if (!s || s.length === 0) return null;
    const today = etDate(now);
    const i = this.lastIndexOnOrBefore(s, dayNumber(today));
    if (i < 0) return null;
    if (s.dates[i] !== dayNumber(today) || !isTradingDay(today)) return s.close[i];
    const open = sessionOpenUtc(today).getTime();
    const close = sessionCloseUtc(today).getTime();
    const t = now.getTime();
    if (t < open) return i > 0 ? s.close[i - 1] : s.open[i];
    if (t >= close) return s.close[i];
    const f = (t - open) / (close - open);
    return s.open[i] + (s.close[i] - s.open[i]) * f;
  }

  bars(symbol: string, from: string, to: string): SimBar[] {
    const s = this.series(symbol);
    if (!s) return [];
    const a = dayNumber(from);
    const b = dayNumber(to);
    const out: SimBar[] = [];
    for (let i = this.lastIndexOnOrBefore(s, a - 1) + 1; i < s.length && s.dates[i] <= b; i++) {
      out.push({ date: isoDay(s.dates[i]), open: s.open[i], high: s.high[i], low: s.low[i], close: s.close[i] });
    }
    return out;
  }
}
