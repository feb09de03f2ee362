// Helpers both simulators share: the empty daily curve, skip counters and trade records.
import { isoDay } from '../strategy/bars.js';
import type { Signal } from '../strategy/features.js';
import { EXIT_NAMES } from './exits.js';
import { type EquityCurve, type SignalCounts, type SkipReason, type Trade, SKIP_REASONS, STRATEGIES } from './types.js';

/** Index of a strategy in STRATEGIES. */
export function strategyIndex(sig: Signal): number {
  return sig.strategy === 'ibs_rsi' ? 0 : 1;
}

/** A zeroed curve over `days`. */
export function newCurve(days: Int32Array): EquityCurve {
  const n = days.length;
  const arr = () => new Float64Array(n);
  return {
    days,
    cash: arr(),
    positions: arr(),
    equity: arr(),
    drawdown: arr(),
    openPositions: new Int32Array(n),
    byStrategy: STRATEGIES.map(arr),
    positionsByStrategy: STRATEGIES.map(arr),
  };
}

/** Skip counters per strategy: skips[strategy * SKIP_REASONS.length + reason]. */
export class SkipCounter {
  readonly counts = new Int32Array(STRATEGIES.length * SKIP_REASONS.length);
  readonly traded = new Int32Array(STRATEGIES.length);
  readonly total = new Int32Array(STRATEGIES.length);

  /** Count one skipped signal. */
  skip(strategy: number, reason: SkipReason): void {
    this.counts[strategy * SKIP_REASONS.length + SKIP_REASONS.indexOf(reason)]++;
  }

  /** Counts of one strategy, or of all when `strategy` is -1. */
  of(strategy: number): SignalCounts {
    const skipped = {} as Record<SkipReason, number>;
    let total = 0;
    let traded = 0;
    SKIP_REASONS.forEach((r, j) => {
      let c = 0;
      for (let k = 0; k < STRATEGIES.length; k++) if (strategy < 0 || strategy === k) c += this.counts[k * SKIP_REASONS.length + j];
      skipped[r] = c;
    });
    for (let k = 0; k < STRATEGIES.length; k++) {
      if (strategy < 0 || strategy === k) {
        total += this.total[k];
        traded += this.traded[k];
      }
    }
    return { total, traded, skipped };
  }
}

/** The closed-trade record. */
export function makeTrade(sig: Signal, entryDate: string, entryPrice: number, exitDate: string, exitPrice: number, qty: number, fees: number, barsHeld: number, code: number): Trade {
  const cost = entryPrice * qty;
  const pnl = exitPrice * qty - fees - cost;
  return {
    symbol: sig.symbol,
    strategy: sig.strategy,
    signal_date: sig.date,
    entry_date: entryDate,
    entry_price: entryPrice,
    exit_date: exitDate,
    exit_price: exitPrice,
    qty,
    pnl,
    return: cost > 0 ? pnl / cost : 0,
    bars_held: barsHeld,
    exit_reason: EXIT_NAMES[code],
    stop: sig.stop,
    target: sig.target,
    fees,
    confidence: sig.confidence,
  };
}

/** ISO dates of the session axis, built once so trades never format a date. */
export function isoDays(days: Int32Array): string[] {
  return Array.from(days, isoDay);
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Trades by entry date, symbol, strategy, exit date: an order independent of the simulators' loops. */
export function sortTrades(trades: Trade[]): Trade[] {
  return trades.sort((a, b) => cmp(a.entry_date, b.entry_date) || cmp(a.symbol, b.symbol) || cmp(a.strategy, b.strategy) || cmp(a.exit_date, b.exit_date));
}
