// Summary metrics of a run. Annualisation is in sessions: 252 a year for Sharpe, Sortino and CAGR
// alike, so a run's figures do not depend on where its holidays fall.
import type { StrategyName } from '../strategy/features.js';
import { type BacktestMode, type EquityCurve, type ExitReason, type Metrics, type Trade, EXIT_REASONS, STRATEGIES } from './types.js';

/** Sessions per year used for annualising. */
export const SESSIONS_PER_YEAR = 252;

const { sqrt, pow, round } = Math;

/** Ratio rounded to 6 decimals (summary readability; the CSVs keep their own precision). */
function r6(x: number): number {
  return round(x * 1e6) / 1e6 || 0;
}

/** Money rounded to cents. */
function r2(x: number): number {
  return round(x * 100) / 100 || 0;
}

function tradeStats(trades: readonly Trade[]) {
  let wins = 0;
  let losses = 0;
  let gain = 0;
  let loss = 0;
  let ret = 0;
  let bars = 0;
  const exit_reasons = Object.fromEntries(EXIT_REASONS.map((r) => [r, 0])) as Record<ExitReason, number>;
  for (const t of trades) {
    if (t.pnl > 0) {
      wins++;
      gain += t.pnl;
    } else if (t.pnl < 0) {
      losses++;
      loss -= t.pnl;
    }
    ret += t.return;
    bars += t.bars_held;
    exit_reasons[t.exit_reason]++;
  }
  const n = trades.length;
  return {
    trades: n,
    wins,
    losses,
    win_rate: n ? r6(wins / n) : null,
    profit_factor: loss > 0 ? r6(gain / loss) : null,
    total_pnl: r2(gain - loss),
    avg_pnl: n ? r2((gain - loss) / n) : null,
    avg_return: n ? r6(ret / n) : null,
    avg_bars_held: n ? r6(bars / n) : null,
    exit_reasons,
  };
}

/** Annualised Sharpe and Sortino of daily returns (sample sd; downside deviation against 0). */
export function sharpeSortino(returns: Float64Array): { sharpe: number | null; sortino: number | null } {
  const n = returns.length;
  if (n < 2) return { sharpe: null, sortino: null };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += returns[i];
  const mean = sum / n;
  let ss = 0;
  let down = 0;
  for (let i = 0; i < n; i++) {
    const x = returns[i];
    ss += (x - mean) * (x - mean);
    if (x < 0) down += x * x;
  }
  const sd = sqrt(ss / (n - 1));
  const dd = sqrt(down / n);
  const k = sqrt(SESSIONS_PER_YEAR);
  return { sharpe: sd > 0 ? r6((mean / sd) * k) : null, sortino: dd > 0 ? r6((mean / dd) * k) : null };
}

/** Daily returns of an equity series that starts from `base` before its first day. */
export function dailyReturns(equity: Float64Array, base: number): Float64Array {
  const out = new Float64Array(equity.length);
  let prev = base;
  for (let i = 0; i < equity.length; i++) {
    out[i] = prev > 0 ? equity[i] / prev - 1 : 0;
    prev = equity[i];
  }
  return out;
}

/** Largest fall from a running peak (starting at `base`), in dollars and as a fraction of the peak. */
export function maxDrawdown(equity: Float64Array, base: number): { usd: number; fraction: number } {
  let peak = base;
  let usd = 0;
  let fraction = 0;
  for (let i = 0; i < equity.length; i++) {
    const e = equity[i];
    if (e > peak) peak = e;
    if (peak - e > usd) usd = peak - e;
    if (peak > 0 && 1 - e / peak > fraction) fraction = 1 - e / peak;
  }
  return { usd, fraction };
}

/** Compound annual growth over `sessions` sessions; -1 when the equity is gone. */
export function cagr(start: number, end: number, sessions: number): number | null {
  if (!(start > 0) || sessions < 1) return null;
  if (!(end > 0)) return -1;
  return pow(end / start, SESSIONS_PER_YEAR / sessions) - 1;
}

function groupMetrics(mode: BacktestMode, trades: readonly Trade[], equity: Float64Array, held: Float64Array, total: Float64Array, base: number): Metrics {
  const t = tradeStats(trades);
  const D = equity.length;
  const dd = maxDrawdown(equity, base);
  let exposure = 0;
  for (let i = 0; i < D; i++) exposure += mode === 'portfolio' ? (total[i] > 0 ? held[i] / total[i] : 0) : held[i] > 0 ? 1 : 0;
  exposure = D ? exposure / D : 0;
  if (mode === 'per_signal') {
    return { ...t, total_return: null, cagr: null, sharpe: null, sortino: null, max_drawdown: null, max_drawdown_usd: r2(dd.usd), exposure: r6(exposure) };
  }
  const { sharpe, sortino } = sharpeSortino(dailyReturns(equity, base));
  const end = D ? equity[D - 1] : base;
  const g = cagr(base, end, D);
  return {
    ...t,
    total_return: r6(end / base - 1),
    cagr: g === null ? null : r6(g),
    sharpe,
    sortino,
    max_drawdown: r6(dd.fraction),
    max_drawdown_usd: r2(dd.usd),
    exposure: r6(exposure),
  };
}

/** Metrics combined and by strategy. Portfolio strategies are measured on the whole starting cash. */
export function summarise(mode: BacktestMode, trades: readonly Trade[], curve: EquityCurve, startingCash: number): { combined: Metrics; by_strategy: Record<StrategyName, Metrics> } {
  const base = mode === 'portfolio' ? startingCash : 0;
  const combined = groupMetrics(mode, trades, curve.equity, curve.positions, curve.equity, base);
  const by_strategy = {} as Record<StrategyName, Metrics>;
  STRATEGIES.forEach((name, k) => {
    by_strategy[name] = groupMetrics(mode, trades.filter((t) => t.strategy === name), curve.byStrategy[k], curve.positionsByStrategy[k], curve.equity, base);
  });
  return { combined, by_strategy };
}
