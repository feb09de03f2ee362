// Per-signal mode on hand-built bars: every number below is worked out in the comments.
import { describe, expect, test } from '@jest/globals';
import { runBacktest } from '../../../src/core/backtest/engine.js';
import { FLAT, IBS_BAR, P, SESSIONS, SOUP_BARS, type B, flat, series, settings } from './fixtures.js';

const perSignal = settings({ mode: 'per_signal' });
const BUY = 1.0005; // 5 bps against a buy
const SELL = 0.9995; // 5 bps against a sell

/** Bars 0-5 flat, 6 the IBS+RSI signal (stop 95.5), 7 the entry bar, then `after`. */
function ibsCase(after: B[]) {
  return series('AAA', [...flat(6), IBS_BAR, { o: 101, h: 101.5, l: 100.8, c: 101.2 }, ...after]);
}

/** Bars 0-5 flat, 6-7 the Turtle Soup signal at 7 (stop 97.09, target 103.91), 8 the entry bar, then `after`. */
function soupCase(entryBar: B, after: B[]) {
  return series('BBB', [...flat(6), ...SOUP_BARS, entryBar, ...after]);
}

const QUIET: B = { o: 100.5, h: 101, l: 100, c: 100.5 };

describe('per-signal mode', () => {
  test('a fill bar is judged only on its open: a NaN close that day does not skip the entry, its range still stops it out', () => {
    // Entry bar: tradable open 100.6, low 90 through the stop, close missing (NaN).
    const s = soupCase({ o: 100.6, h: 101, l: 90, c: Number.NaN }, [QUIET]);
    const r = runBacktest({ series: [s], params: P, settings: perSignal });
    expect(r.signals.combined.skipped.bad_fill_bar).toBe(0);
    expect(r.trades).toHaveLength(1);
    expect(r.trades[0]).toMatchObject({ entry_date: SESSIONS[8], exit_reason: 'stop', exit_date: SESSIONS[8] });
    // An untradable open is still a bad fill bar.
    const bad = soupCase({ o: Number.NaN, h: 101, l: 100, c: 100.5 }, [QUIET]);
    expect(runBacktest({ series: [bad], params: P, settings: perSignal }).signals.combined.skipped.bad_fill_bar).toBe(1);
  });

  test('IBS+RSI: entry at the next open, strategy exit (IBS 0.9 > 0.8) at the close, P&L per share', () => {
    // Bar 8: IBS = (101.9 - 101) / (102 - 101) = 0.9 > ibs_exit 0.8 -> exit at its close 101.9.
    const s = ibsCase([{ o: 101.2, h: 102, l: 101, c: 101.9 }]);
    const r = runBacktest({ series: [s], params: P, settings: perSignal });
    expect(r.signals.combined).toMatchObject({ total: 1, traded: 1 });
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0];
    expect(t).toMatchObject({ symbol: 'AAA', strategy: 'ibs_rsi', signal_date: SESSIONS[6], entry_date: SESSIONS[7], exit_date: SESSIONS[8], qty: 1, bars_held: 1, exit_reason: 'signal', stop: 95.5, target: null, fees: 0 });
    expect(t.entry_price).toBeCloseTo(101 * BUY, 10); // 101.0505
    expect(t.exit_price).toBeCloseTo(101.9 * SELL, 10); // 101.84905
    expect(t.pnl).toBeCloseTo(101.84905 - 101.0505, 10); // 0.79855
    expect(t.return).toBeCloseTo(0.79855 / 101.0505, 10);
    // Curve: cash starts at 0; on bar 7 it pays the entry and holds one share marked at 101.2.
    const d7 = 7;
    expect(r.curve.cash[d7]).toBeCloseTo(-101.0505, 10);
    expect(r.curve.positions[d7]).toBeCloseTo(101.2, 10);
    expect(r.curve.equity[d7]).toBeCloseTo(101.2 - 101.0505, 10);
    expect(r.curve.equity[8]).toBeCloseTo(0.79855, 10);
    expect(r.curve.positions[8]).toBe(0);
    expect(r.metrics.combined).toMatchObject({ trades: 1, wins: 1, win_rate: 1, profit_factor: null, total_pnl: 0.8, cagr: null, sharpe: null });
  });

  test('a gap through the stop fills at the open, not at the stop', () => {
    const s = ibsCase([{ o: 94, h: 95, l: 93, c: 94.5 }]); // opens under the 95.5 stop
    const [t] = runBacktest({ series: [s], params: P, settings: perSignal }).trades;
    expect(t).toMatchObject({ exit_reason: 'stop', exit_date: SESSIONS[8], bars_held: 1 });
    expect(t.exit_price).toBeCloseTo(94 * SELL, 10);
    expect(t.pnl).toBeCloseTo(94 * SELL - 101 * BUY, 10); // -7.0975
  });

  test('a stop touched inside the bar fills at the stop', () => {
    const s = ibsCase([{ o: 100, h: 100.5, l: 95, c: 96 }]);
    const [t] = runBacktest({ series: [s], params: P, settings: perSignal }).trades;
    expect(t.exit_reason).toBe('stop');
    expect(t.exit_price).toBeCloseTo(95.5 * SELL, 10);
  });

  test('stop and target in the same bar: the stop wins', () => {
    // Entry bar 8 opens at 100.6, then trades 97 (under 97.09) and 104 (over 103.91).
    const s = soupCase({ o: 100.6, h: 104, l: 97, c: 102 }, [QUIET]);
    const [t] = runBacktest({ series: [s], params: P, settings: perSignal }).trades;
    expect(t).toMatchObject({ strategy: 'turtle_soup', entry_date: SESSIONS[8], exit_date: SESSIONS[8], bars_held: 0, exit_reason: 'stop', stop: 97.09, target: 103.91 });
    expect(t.entry_price).toBeCloseTo(100.6 * BUY, 10);
    expect(t.exit_price).toBeCloseTo(97.09 * SELL, 10);
  });

  test('target inside the bar fills at the target; a gap over it fills at the open', () => {
    const hit = soupCase({ ...QUIET, o: 100.6 }, [{ o: 100.5, h: 104, l: 100, c: 103 }]);
    const [a] = runBacktest({ series: [hit], params: P, settings: perSignal }).trades;
    expect(a).toMatchObject({ exit_reason: 'target', bars_held: 1 });
    expect(a.exit_price).toBeCloseTo(103.91 * SELL, 10);
    const gap = soupCase({ ...QUIET, o: 100.6 }, [{ o: 104.5, h: 105, l: 104, c: 104.2 }]);
    const [b] = runBacktest({ series: [gap], params: P, settings: perSignal }).trades;
    expect(b.exit_reason).toBe('target');
    expect(b.exit_price).toBeCloseTo(104.5 * SELL, 10);
    // An open already at or over the target has no edge left: the entry is skipped, like one under the stop.
    const over = soupCase({ o: 104.2, h: 104.6, l: 103.5, c: 104 }, [QUIET]);
    const r = runBacktest({ series: [over], params: P, settings: perSignal });
    expect(r.trades).toEqual([]);
    expect(r.signals.combined.skipped.open_above_target).toBe(1);
  });

  test('time stop: the entry bar counts 0, exit at the close of the bar where bars held reaches time_stop_bars', () => {
    // Turtle Soup time_stop_bars 3: entry bar 8 (0), 9 (1), 10 (2), 11 (3) -> exit at the close of bar 11.
    const s = soupCase({ ...QUIET, o: 100.6 }, [QUIET, QUIET, { ...QUIET, c: 100.7 }, QUIET, QUIET]);
    const [t] = runBacktest({ series: [s], params: P, settings: perSignal }).trades;
    expect(t).toMatchObject({ exit_reason: 'time', entry_date: SESSIONS[8], exit_date: SESSIONS[11], bars_held: 3 });
    expect(t.exit_price).toBeCloseTo(100.7 * SELL, 10);
    // time_stop_bars 1: out at the close of bar 9, one bar after the entry bar.
    const one = { ...P, turtle_soup: { ...P.turtle_soup, time_stop_bars: 1 } };
    const [u] = runBacktest({ series: [s], params: one, settings: perSignal }).trades;
    expect(u).toMatchObject({ exit_reason: 'time', exit_date: SESSIONS[9], bars_held: 1 });
  });

  test('a position still open on the last bar closes there as "end"; a signal on the last bar is not traded', () => {
    const s = ibsCase([]); // the entry bar 7 is the last bar
    const r = runBacktest({ series: [s], params: P, settings: perSignal });
    expect(r.trades[0]).toMatchObject({ exit_reason: 'end', exit_date: SESSIONS[7], bars_held: 0 });
    expect(r.trades[0].exit_price).toBeCloseTo(101.2 * SELL, 10);
    const last = series('CCC', [...flat(6), IBS_BAR]);
    const q = runBacktest({ series: [last], params: P, settings: perSignal });
    expect(q.trades).toHaveLength(0);
    expect(q.signals.combined).toMatchObject({ total: 1, traded: 0 });
    expect(q.signals.combined.skipped.no_next_bar).toBe(1);
  });

  test('an open at or under the stop is not bought; overlapping signals of one symbol are all traded', () => {
    const under = ibsCase([]);
    under.open[7] = 95.5;
    expect(runBacktest({ series: [under], params: P, settings: perSignal }).signals.combined.skipped.open_below_stop).toBe(1);
    // Two IBS+RSI signals on consecutive bars of one symbol: per-signal mode takes both.
    const twice = series('DDD', [...flat(6), IBS_BAR, { o: 100.5, h: 103.5, l: 100.6, c: 100.7 }, FLAT, FLAT]);
    const r = runBacktest({ series: [twice], params: P, settings: perSignal });
    expect(r.signals.combined.total).toBe(2);
    expect(r.trades.map((t) => t.entry_date)).toEqual([SESSIONS[7], SESSIONS[8]]);
  });
});
