// The risk gate (SPEC section 5): pure, in the spec's order, first veto wins, every veto named.
// Exits that shrink a long position skip the entry budgets: reducing risk is never blocked by a
// risk budget (only by invalid input or by trading an unowned position, i.e. a short).
import type { KobeConfig } from '../config/schema.js';
import type { TradingStateName } from './trading-state.js';

export const VETOES = [
  'invalid_price_qty', 'price_out_of_range', 'shorts_disabled', 'order_notional', 'daily_notional', 'max_open_positions',
  'one_position_per_symbol', 'concurrent_exposure', 'new_daily_exposure', 'position_size', 'entries_per_day', 'trading_window', 'trading_state',
] as const;
export type VetoReason = (typeof VETOES)[number];

/** What the gate looks at for one order. */
export interface GateInput {
  side: 'buy' | 'sell';
  qty: number;
  /** Limit price, or the quote for other order types. */
  price: number;
  symbol: string;
  /** True for entries (new exposure); false for exits. */
  entry: boolean;
  equity: number;
  /** Current long quantity per symbol (broker positions). */
  positions: Record<string, { qty: number; market_value: number }>;
  /** Symbols with an open buy order (entries in flight). */
  openBuySymbols: ReadonlySet<string>;
  /** Notional and count of entries already sent today (ET) — the persisted daily budget. */
  dailyNotionalUsed: number;
  entriesToday: number;
  /** ET minutes since midnight. */
  etMinutes: number;
  tradingState: TradingStateName;
  /** Paper only: bypass the trading window (kobe trade --force-window). */
  ignoreWindow?: boolean;
}

/** The gate's verdict. */
export type GateVerdict = { ok: true; notional: number } | { ok: false; veto: VetoReason; detail: string };

const mins = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Evaluate one order against the risk policy. */
export function riskGate(cfg: KobeConfig, g: GateInput): GateVerdict {
  const t = cfg.trading;
  const x = cfg.exposure;
  const notional = g.qty * g.price;
  const no = (veto: VetoReason, detail: string): GateVerdict => ({ ok: false, veto, detail });
  // Entries are whole shares; exits may sell a fractional position (from a split or an operator buy).
  const qtyOk = Number.isFinite(g.qty) && g.qty > 0 && (Number.isInteger(g.qty) || (!g.entry && g.side === 'sell'));
  if (!Number.isFinite(g.price) || g.price <= 0 || !qtyOk) return no('invalid_price_qty', `qty ${g.qty} at ${g.price}`);
  if (g.entry && (g.price < t.min_price || g.price > t.max_price)) return no('price_out_of_range', `${g.price} outside [${t.min_price}, ${t.max_price}]`);
  const held = g.positions[g.symbol]?.qty ?? 0;
  if (g.side === 'sell' && g.qty > held && !t.allow_shorts) return no('shorts_disabled', `selling ${g.qty} with ${held} held`);
  if (g.entry) {
    if (notional > t.max_order_notional) return no('order_notional', `${notional.toFixed(2)} > ${t.max_order_notional}`);
    if (g.dailyNotionalUsed + notional > t.max_daily_notional) return no('daily_notional', `${(g.dailyNotionalUsed + notional).toFixed(2)} > ${t.max_daily_notional} today`);
    const open = Object.values(g.positions).filter((p) => p.qty !== 0).length;
    if (held === 0 && open >= t.max_open_positions) return no('max_open_positions', `${open} open, limit ${t.max_open_positions}`);
    if (held !== 0 || g.openBuySymbols.has(g.symbol)) return no('one_position_per_symbol', held !== 0 ? `already holding ${held} ${g.symbol}` : `an entry order for ${g.symbol} is open`);
    const concurrent = Object.values(g.positions).reduce((a, p) => a + Math.abs(p.market_value), 0);
    if (concurrent + notional > x.max_concurrent_pct * g.equity) return no('concurrent_exposure', `${(concurrent + notional).toFixed(2)} > ${(x.max_concurrent_pct * 100).toFixed(0)}% of equity ${g.equity.toFixed(2)}`);
    if (g.dailyNotionalUsed + notional > x.max_new_daily_pct * g.equity) return no('new_daily_exposure', `new today ${(g.dailyNotionalUsed + notional).toFixed(2)} > ${(x.max_new_daily_pct * 100).toFixed(0)}% of equity`);
    if (notional > x.max_position_pct * g.equity) return no('position_size', `${notional.toFixed(2)} > ${(x.max_position_pct * 100).toFixed(0)}% of equity`);
    if (g.entriesToday >= x.max_entries_per_day) return no('entries_per_day', `${g.entriesToday} entries today, limit ${x.max_entries_per_day}`);
    const inWindow = t.windows.some((w) => g.etMinutes >= mins(w.start) && g.etMinutes < mins(w.end));
    if (!inWindow && !g.ignoreWindow) return no('trading_window', `outside ${t.windows.map((w) => `${w.start}-${w.end}`).join(', ')} ET`);
  }
  if (g.tradingState === 'HALTED') return no('trading_state', 'kill switch on: HALTED');
  const shrinks = !g.entry && ((g.side === 'sell' && g.qty <= held) || (g.side === 'buy' && held < 0 && g.qty <= -held));
  if (g.tradingState === 'REDUCING' && !shrinks) return no('trading_state', 'kill switch in reduce-only mode: only orders that shrink a position');
  return { ok: true, notional };
}

/** Shares for an entry (SPEC section 5): risk-based, capped by the position size limit. */
export function positionSize(equity: number, entry: number, stop: number, riskPct: number, maxPositionPct: number): number {
  if (!(entry > 0) || !(stop > 0) || stop >= entry || !(equity > 0)) return 0;
  return Math.max(0, Math.min(Math.floor((equity * riskPct) / (entry - stop)), Math.floor((equity * maxPositionPct) / entry)));
}
