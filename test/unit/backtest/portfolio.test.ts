// Portfolio mode: sizing (SPEC section 5), fees on sells, slots in ranking order, one position per
// symbol, the cash limit, and cash + positions = equity on every day.
import { describe, expect, test } from '@jest/globals';
import { sellFees } from '../../../src/core/backtest/costs.js';
import { runBacktest } from '../../../src/core/backtest/engine.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { positionSize } from '../../../src/core/risk/gate.js';
import { barIndex, dayNumber } from '../../../src/core/strategy/bars.js';
import { roundCents } from '../../../src/core/strategy/features.js';
import { IBS_BAR, P, SESSIONS, flat, fixedSignals, series, settings, signalAt, universe } from './fixtures.js';

const BUY = 1.0005;
const SELL = 0.9995;

describe('portfolio: one IBS+RSI trade worked by hand', () => {
  // Bars 0-5 flat, 6 the signal (close 100.5, stop 95.5), 7 entry at the open 101, 8 IBS 0.9 exit at 101.9.
  const s = series('AAA', [...flat(6), IBS_BAR, { o: 101, h: 101.5, l: 100.8, c: 101.2 }, { o: 101.2, h: 102, l: 101, c: 101.9 }]);

  test('size = min(floor(100000 x 1% / (100.5 - 95.5)), floor(100000 x 10% / 100.5)) = min(200, 99) = 99 shares', () => {
    const r = runBacktest({ series: [s], params: P, settings: settings() });
    expect(r.trades).toHaveLength(1);
    const t = r.trades[0];
    expect(t.qty).toBe(99);
    const cost = 99 * 101 * BUY; // 10,003.9995
    const proceeds = 99 * 101.9 * SELL; // 10,083.05595
    // SEC: 10,083.06 x $27.80 / 1M = 0.2803 -> 0.29; TAF: 99 x 0.000166 = 0.0164 -> 0.02.
    expect(t.fees).toBeCloseTo(0.31, 10);
    expect(t.pnl).toBeCloseTo(proceeds - 0.31 - cost, 8); // 78.74645
    expect(t.exit_reason).toBe('signal');
    // Day 7: cash paid the entry, the position is marked at the close 101.2.
    expect(r.curve.cash[7]).toBeCloseTo(100_000 - cost, 8);
    expect(r.curve.positions[7]).toBeCloseTo(99 * 101.2, 8);
    expect(r.curve.equity[7]).toBeCloseTo(100_000 - cost + 99 * 101.2, 8);
    expect(r.curve.equity[8]).toBeCloseTo(100_000 + t.pnl, 8);
    expect(r.curve.cash[8]).toBeCloseTo(100_000 + t.pnl, 8);
    expect(r.metrics.combined.total_pnl).toBeCloseTo(78.75, 2);
    expect(r.metrics.combined.exit_reasons).toEqual({ stop: 0, target: 0, signal: 1, time: 0, end: 0 });
  });

  test('when the risk budget binds: 1% of 100,000 over a 5.00 stop distance = 200 shares', () => {
    const r = runBacktest({ series: [s], params: P, settings: settings({ maxPositionPct: 0.5 }) });
    expect(r.trades[0].qty).toBe(200);
    expect(positionSize(100_000, 100.5, 95.5, 0.01, 0.5)).toBe(200);
  });

  test('a size of zero shares is a skipped signal', () => {
    const r = runBacktest({ series: [s], params: P, settings: settings({ startingCash: 400 }) }); // 10% of 400 buys no share at 100.5
    expect(r.trades).toHaveLength(0);
    expect(r.signals.combined.skipped.size_zero).toBe(1);
  });
});

describe('fees on sells', () => {
  test('SEC $27.80 per million and TAF $0.000166 a share capped at $8.30, each rounded up to the cent', () => {
    expect(sellFees(10_000, 100)).toBeCloseTo(0.28 + 0.02, 10); // 0.278 -> 0.28; 0.0166 -> 0.02
    expect(sellFees(1_000_000, 100_000)).toBeCloseTo(27.8 + 8.3, 10); // TAF 16.60 capped at 8.30
    expect(sellFees(0, 10)).toBe(0);
  });
});

describe('slots', () => {
  // Flat bars: hand-made signals with a stop at 90 never stop out; a 2-bar time stop ends each trade.
  const bars = flat(14);
  const X = series('XXX', bars);
  const Y = series('YYY', bars);
  const Z = series('ZZZ', bars);
  const sig = (s: typeof X, t: number, confidence: number) => signalAt(s, t, { stop: 90, confidence, timeStop: 2 });
  const list = [sig(X, 5, 0.3), sig(Y, 5, 0.9), sig(Z, 5, 0.3), sig(Z, 6, 1.0), sig(Y, 7, 1.0), sig(Z, 8, 0.1)];

  test('max open positions: the best-ranked signals (confidence, then symbol) take the free slots', () => {
    const r = runBacktest({ series: [Z, Y, X], params: P, settings: settings({ maxOpenPositions: 2 }), signalFn: fixedSignals(list) });
    // Close 5: Y (0.9) then X (0.3, X before Z) fill at bar 6; Z@5 and Z@6 find no slot; Y@7 is held;
    // X and Y leave at the close of bar 8 (2 bars held) before that close's decisions, so Z@8 enters at bar 9.
    expect(r.trades.map((t) => [t.symbol, t.entry_date, t.exit_date, t.exit_reason])).toEqual([
      ['XXX', SESSIONS[6], SESSIONS[8], 'time'],
      ['YYY', SESSIONS[6], SESSIONS[8], 'time'],
      ['ZZZ', SESSIONS[9], SESSIONS[11], 'time'],
    ]);
    expect(r.signals.combined).toMatchObject({ total: 6, traded: 3 });
    expect(r.signals.combined.skipped).toMatchObject({ no_slot: 2, symbol_held: 1 });
    expect(Math.max(...r.curve.openPositions)).toBe(2);
  });

  test('with one slot only the top signal of the day is taken', () => {
    const r = runBacktest({ series: [X, Y, Z], params: P, settings: settings({ maxOpenPositions: 1 }), signalFn: fixedSignals(list) });
    expect(r.trades[0]).toMatchObject({ symbol: 'YYY', entry_date: SESSIONS[6] });
    expect(Math.max(...r.curve.openPositions)).toBe(1);
  });

  test('entries never spend more than the cash: the second fill is cut to what is left', () => {
    // 10,000 cash, 5% risk, no position cap: min(floor(500 / 10), floor(10000 / 100)) = 50 shares each.
    // First fill 50 x 100.05 = 5,002.50; 4,997.50 left buys floor(4997.5 / 100.05) = 49.
    const r = runBacktest({ series: [X, Y], params: P, settings: settings({ startingCash: 10_000, riskPct: 0.05, maxPositionPct: 1 }), signalFn: fixedSignals([sig(X, 5, 0.3), sig(Y, 5, 0.9)]) });
    expect(r.trades.map((t) => [t.symbol, t.qty])).toEqual([['XXX', 49], ['YYY', 50]]);
    expect(Math.min(...r.curve.cash)).toBeGreaterThanOrEqual(0);
  });
});

describe('accounting on a random-walk universe', () => {
  const sessions = sessionsBetween('2021-01-04', '2023-12-29');
  const uni = universe(12, sessions, 7);
  const st = settings({ maxOpenPositions: 4 });
  const r = runBacktest({ series: uni, params: P, settings: st });

  test('cash + positions = equity on every day; strategy curves add up; final equity = cash + sum of P&L', () => {
    expect(r.trades.length).toBeGreaterThan(100);
    expect(new Set(r.trades.map((t) => t.strategy))).toEqual(new Set(['ibs_rsi', 'turtle_soup']));
    const c = r.curve;
    expect(c.days.length).toBe(sessions.length);
    for (let d = 0; d < c.days.length; d++) {
      expect(Math.abs(c.cash[d] + c.positions[d] - c.equity[d])).toBeLessThan(1e-6);
      expect(Math.abs(c.positionsByStrategy[0][d] + c.positionsByStrategy[1][d] - c.positions[d])).toBeLessThan(1e-6);
      expect(Math.abs(c.byStrategy[0][d] + c.byStrategy[1][d] - st.startingCash - c.equity[d])).toBeLessThan(1e-6);
      expect(c.cash[d]).toBeGreaterThanOrEqual(0);
      expect(c.openPositions[d]).toBeLessThanOrEqual(4);
    }
    const pnl = r.trades.reduce((a, t) => a + t.pnl, 0);
    expect(c.positions[c.days.length - 1]).toBe(0); // everything closed at the end
    expect(c.equity[c.days.length - 1]).toBeCloseTo(st.startingCash + pnl, 6);
  });

  test('every trade is sized per SPEC section 5 on the equity at its signal close, and one position per symbol holds', () => {
    const byDate = new Map(Array.from(r.curve.days, (d, i) => [d, r.curve.equity[i]]));
    for (const t of r.trades) {
      const s = uni.find((x) => x.symbol === t.symbol)!;
      const entry = roundCents(s.close[barIndex(s, dayNumber(t.signal_date))]);
      expect(t.qty).toBe(positionSize(byDate.get(dayNumber(t.signal_date))!, entry, t.stop, st.riskPct, st.maxPositionPct));
      expect(t.fees).toBeGreaterThan(0);
    }
    for (const sym of new Set(r.trades.map((t) => t.symbol))) {
      const mine = r.trades.filter((t) => t.symbol === sym);
      for (let i = 1; i < mine.length; i++) expect(mine[i].entry_date > mine[i - 1].exit_date).toBe(true);
    }
  });

  test('deterministic, and the input order of the universe does not matter', () => {
    const again = runBacktest({ series: [...uni].reverse(), params: P, settings: st });
    expect(JSON.stringify(again.trades)).toBe(JSON.stringify(r.trades));
    expect(Array.from(again.curve.equity)).toEqual(Array.from(r.curve.equity));
  });

  test('--start and --end cut the curve; earlier bars only warm up, later bars are never read', () => {
    const cut = runBacktest({ series: uni, params: P, settings: { ...st, start: '2022-01-03', end: '2022-12-30' } });
    expect(cut.first_date).toBe('2022-01-03');
    expect(cut.last_date).toBe('2022-12-30');
    expect(cut.trades.every((t) => t.signal_date >= '2022-01-03' && t.exit_date <= '2022-12-30')).toBe(true);
    expect(cut.curve.equity[0]).toBe(st.startingCash);
    // Garbage after the end date changes nothing.
    const spoiled = uni.map((x) => {
      const y = { ...x, open: x.open.slice(), high: x.high.slice(), low: x.low.slice(), close: x.close.slice() };
      for (let i = barIndex(x, dayNumber('2022-12-30')) + 1; i < x.length; i++) y.open[i] = y.high[i] = y.low[i] = y.close[i] = i % 2 ? NaN : 1e6;
      return y;
    });
    const again = runBacktest({ series: spoiled, params: P, settings: { ...st, start: '2022-01-03', end: '2022-12-30' } });
    expect(JSON.stringify(again.trades)).toBe(JSON.stringify(cut.trades));
    expect(again.bad_bars).toEqual([]);
  });
});
