// Live (or paper) trading against what the backtest does on the same sessions (policy K3): which
// signals were missed or extra, how much the fills slipped, and how far realised P&L diverged.
import type { Trade } from '../backtest/types.js';
import type { TradeRecord } from '../trade/journal.js';

/** One side's trade as drift compares it. */
export interface DriftTrade {
  symbol: string;
  strategy: string;
  entry_date: string;
  entry_price: number;
  qty: number;
  exit_date: string | null;
  pnl: number | null;
}

/** A matched pair. */
export interface DriftMatch {
  symbol: string;
  entry_date: string;
  live_price: number;
  backtest_price: number;
  slippage_bps: number;
  live_pnl: number | null;
  backtest_pnl: number | null;
}

/** The drift report. */
export interface DriftReport {
  since: string;
  until: string;
  live_entries: number;
  backtest_entries: number;
  matched: DriftMatch[];
  missed: DriftTrade[];
  extra: DriftTrade[];
  slippage_bps: { mean: number | null; median: number | null; n: number };
  pnl: { live: number; backtest: number; divergence: number | null; basis: 'backtest_pnl' | 'entry_notional' | 'none' };
  threshold: number;
  breached: boolean;
}

/** Entries from the journal, each paired with the first close of the same symbol after it (FIFO). */
export function liveTrades(records: readonly TradeRecord[], since: string, until: string): DriftTrade[] {
  const out: DriftTrade[] = [];
  const open = new Map<string, DriftTrade[]>();
  for (const r of [...records].sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0))) {
    if (r.event === 'fill' && r.side === 'buy') {
      const t: DriftTrade = { symbol: r.symbol, strategy: r.strategy, entry_date: r.session_date, entry_price: r.price, qty: r.qty, exit_date: null, pnl: null };
      if (r.session_date >= since && r.session_date <= until) out.push(t);
      open.set(r.symbol, [...(open.get(r.symbol) ?? []), t]);
    } else if (r.event === 'close') {
      const q = open.get(r.symbol);
      const t = q?.shift();
      if (t) {
        t.exit_date = r.session_date;
        t.pnl = r.pnl ?? (r.price - t.entry_price) * r.qty;
      }
    }
  }
  return out;
}

const median = (xs: number[]) => {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** Compare the journal's trades with the backtest's trades over [since, until]. */
export function compareWithBacktest(live: readonly DriftTrade[], backtest: readonly Trade[], since: string, until: string, threshold: number): DriftReport {
  const bt: DriftTrade[] = backtest
    .filter((t) => t.entry_date >= since && t.entry_date <= until)
    .map((t) => ({ symbol: t.symbol, strategy: t.strategy, entry_date: t.entry_date, entry_price: t.entry_price, qty: t.qty, exit_date: t.exit_reason === 'end' ? null : t.exit_date, pnl: t.exit_reason === 'end' ? null : t.pnl }));
  const key = (t: DriftTrade) => `${t.symbol}|${t.entry_date}`;
  const btBy = new Map(bt.map((t) => [key(t), t]));
  const liveBy = new Map(live.map((t) => [key(t), t]));
  const matched: DriftMatch[] = [];
  for (const l of live) {
    const b = btBy.get(key(l));
    if (!b) continue;
    matched.push({ symbol: l.symbol, entry_date: l.entry_date, live_price: l.entry_price, backtest_price: b.entry_price, slippage_bps: Math.round(((l.entry_price - b.entry_price) / b.entry_price) * 1e4 * 100) / 100, live_pnl: l.pnl, backtest_pnl: b.pnl });
  }
  const slips = matched.map((m) => m.slippage_bps);
  // P&L on the trades both sides closed, per share so differences in sizing do not count as drift.
  let livePnl = 0;
  let btPnl = 0;
  let notional = 0;
  for (const m of matched) {
    const l = liveBy.get(`${m.symbol}|${m.entry_date}`)!;
    const b = btBy.get(`${m.symbol}|${m.entry_date}`)!;
    if (l.pnl === null || b.pnl === null) continue;
    livePnl += l.pnl / l.qty;
    btPnl += b.pnl / b.qty;
    notional += b.entry_price;
  }
  const basis = Math.abs(btPnl) >= 0.01 * notional && btPnl !== 0 ? 'backtest_pnl' : notional > 0 ? 'entry_notional' : 'none';
  const denom = basis === 'backtest_pnl' ? Math.abs(btPnl) : notional;
  const divergence = basis === 'none' ? null : Math.abs(livePnl - btPnl) / denom;
  return {
    since, until, live_entries: live.length, backtest_entries: bt.length, matched,
    missed: bt.filter((b) => !liveBy.has(key(b))), extra: live.filter((l) => !btBy.has(key(l))),
    slippage_bps: { mean: slips.length ? Math.round((slips.reduce((a, x) => a + x, 0) / slips.length) * 100) / 100 : null, median: median(slips), n: slips.length },
    pnl: { live: Math.round(livePnl * 100) / 100, backtest: Math.round(btPnl * 100) / 100, divergence: divergence === null ? null : Math.round(divergence * 10_000) / 10_000, basis },
    threshold, breached: divergence !== null && divergence > threshold,
  };
}
