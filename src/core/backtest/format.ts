// The run's files as text: trade_list.csv, equity_curve.csv, summary.json, plus the monthly returns
// and the terminal sparkline. Numbers are printed with fixed decimals (toFixed, never locale), so
// the same run gives the same bytes on any machine.
import type { UniverseProblem } from '../data/universe.js';
import type { LoadProblem } from '../data/store.js';
import { isoDay } from '../strategy/bars.js';
import type { StrategyName } from '../strategy/features.js';
import { SEC_FEE_PER_DOLLAR, TAF_MAX_PER_TRADE, TAF_PER_SHARE } from './costs.js';
import type { LookaheadReport } from './lookahead.js';
import type { BacktestMode, BacktestResult, BadBars, EquityCurve, Metrics, SignalCounts, Trade } from './types.js';

/** What the run was given, as declared (paths relative to the home). */
export interface RunInputs {
  universe: string | null;
  cap: number | null;
  symbols_requested: number;
  start: string | null;
  end: string | null;
  params: { version: string; sha256: string; file: string; pinned: boolean };
  /** Loaded symbols by bar source (synthetic, polygon, import). */
  data_sources: Record<string, number>;
}

/** Everything in the universe that did not make it into the run, or made it with bad bars. */
export interface DataProblems {
  /** Universe symbols with no bars in the store. */
  missing: string[];
  /** Symbols whose bar file could not be loaded. */
  unloadable: LoadProblem[];
  /** Universe file lines that were not used. */
  universe: UniverseProblem[];
  bad_bars: BadBars[];
}

/** summary.json. */
export interface BacktestSummary {
  version: 1;
  mode: BacktestMode;
  /** True when any loaded bars are synthetic: the figures describe no real market. */
  synthetic: boolean;
  inputs: RunInputs;
  settings: { starting_cash: number; max_open_positions: number; risk_pct: number; max_position_pct: number; slippage_bps: number; fees: string };
  period: { first_date: string | null; last_date: string | null; sessions: number; symbols: number };
  metrics: { combined: Metrics; by_strategy: Record<StrategyName, Metrics> };
  signals: { combined: SignalCounts; by_strategy: Record<StrategyName, SignalCounts> };
  data_problems: DataProblems;
  lookahead: LookaheadReport | null;
  notes: string[];
}

const finite = Number.isFinite;

/** x with n decimals; '' for non-finite; never "-0.00". */
export function fixed(x: number | null, n: number): string {
  if (x === null || !finite(x)) return '';
  const s = x.toFixed(n);
  return /^-0\.?0*$/.test(s) ? s.slice(1) : s;
}

/** Assemble summary.json's object. */
export function buildSummary(r: BacktestResult, inputs: RunInputs, problems: DataProblems, lookahead: LookaheadReport | null, synthetic: boolean): BacktestSummary {
  const st = r.settings;
  const notes: string[] = [];
  if (synthetic) notes.push('SYNTHETIC DATA: generated bars, not market history; the figures describe no real market');
  if (r.mode === 'per_signal') notes.push('per-signal mode: one share per signal, no cash limit, no fees; equity is cumulative P&L in dollars, so CAGR, Sharpe, Sortino and max_drawdown (fraction) are null');
  else notes.push('by-strategy CAGR, Sharpe, Sortino and drawdown are each strategy\'s P&L on the whole starting cash');
  return {
    version: 1,
    mode: r.mode,
    synthetic,
    inputs,
    settings: {
      starting_cash: st.startingCash,
      max_open_positions: st.maxOpenPositions,
      risk_pct: st.riskPct,
      max_position_pct: st.maxPositionPct,
      slippage_bps: st.slippageBps,
      fees: r.mode === 'per_signal' ? 'none' : `SEC ${fixed(SEC_FEE_PER_DOLLAR * 1e6, 2)}/$1M of sells; FINRA TAF ${TAF_PER_SHARE}/share, max ${fixed(TAF_MAX_PER_TRADE, 2)}/trade; each rounded up to the cent`,
    },
    period: { first_date: r.first_date, last_date: r.last_date, sessions: r.curve.days.length, symbols: r.symbols },
    metrics: r.metrics,
    signals: r.signals,
    data_problems: problems,
    lookahead,
    notes,
  };
}

/** summary.json text. */
export function summaryJson(s: BacktestSummary): string {
  return `${JSON.stringify(s, null, 2)}\n`;
}

const TRADE_HEAD = 'symbol,strategy,signal_date,entry_date,entry_price,exit_date,exit_price,qty,pnl,return,bars_held,exit_reason,stop,target,fees,confidence';

/** trade_list.csv text. */
export function tradeListCsv(trades: readonly Trade[]): string {
  const lines = [TRADE_HEAD];
  for (const t of trades) {
    lines.push(
      [
        t.symbol, t.strategy, t.signal_date, t.entry_date, fixed(t.entry_price, 4), t.exit_date, fixed(t.exit_price, 4), String(t.qty),
        fixed(t.pnl, 2), fixed(t.return, 6), String(t.bars_held), t.exit_reason, fixed(t.stop, 2), fixed(t.target, 2), fixed(t.fees, 2), fixed(t.confidence, 6),
      ].join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** equity_curve.csv text (drawdown: a fraction in portfolio mode, dollars in per-signal mode). */
export function equityCurveCsv(c: EquityCurve, mode: BacktestMode): string {
  const lines = ['date,cash,positions_value,equity,drawdown,open_positions'];
  const dd = mode === 'portfolio' ? 6 : 2;
  for (let d = 0; d < c.days.length; d++) {
    lines.push(`${isoDay(c.days[d])},${fixed(c.cash[d], 2)},${fixed(c.positions[d], 2)},${fixed(c.equity[d], 2)},${fixed(c.drawdown[d], dd)},${c.openPositions[d]}`);
  }
  return `${lines.join('\n')}\n`;
}

/** One calendar month of the run. */
export interface MonthlyReturn {
  month: string;
  /** Portfolio: month-end equity over the previous month-end (or starting cash) - 1. Per-signal: P&L in dollars. */
  value: number;
}

/** Monthly returns (portfolio) or monthly P&L (per-signal) from the daily curve. */
export function monthlyReturns(c: EquityCurve, mode: BacktestMode, startingCash: number): MonthlyReturn[] {
  const out: MonthlyReturn[] = [];
  let prev = mode === 'portfolio' ? startingCash : 0;
  const D = c.days.length;
  for (let d = 0; d < D; d++) {
    const month = isoDay(c.days[d]).slice(0, 7);
    if (d < D - 1 && isoDay(c.days[d + 1]).slice(0, 7) === month) continue;
    const e = c.equity[d];
    out.push({ month, value: mode === 'portfolio' ? (prev > 0 ? e / prev - 1 : 0) : e - prev });
    prev = e;
  }
  return out;
}

const BLOCKS = '▁▂▃▄▅▆▇█';

/** Unicode-block sparkline of `values` in at most `width` characters (last value of each bucket). */
export function sparkline(values: ArrayLike<number>, width = 60): string {
  const n = values.length;
  if (n === 0) return '';
  const w = Math.min(width, n);
  const pts: number[] = [];
  for (let i = 0; i < w; i++) pts.push(values[Math.min(n - 1, Math.floor(((i + 1) * n) / w) - 1)]);
  const lo = Math.min(...pts);
  const hi = Math.max(...pts);
  return pts.map((v) => BLOCKS[hi > lo ? Math.round(((v - lo) / (hi - lo)) * 7) : 0]).join('');
}
