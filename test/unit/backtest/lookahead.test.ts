// No lookahead: every signal of a multi-year random-walk universe survives truncation at its bar,
// and the check does catch a generator that peeks at the next bar.
import { describe, expect, test } from '@jest/globals';
import { checkLookahead } from '../../../src/core/backtest/lookahead.js';
import { StrategyParamsSchema } from '../../../src/core/config/schema.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import type { BarSeries } from '../../../src/core/strategy/bars.js';
import { allSignals } from '../../../src/core/strategy/signals.js';
import type { StrategyParams } from '../../../src/core/config/schema.js';
import fs from 'node:fs';
import { P, universe } from './fixtures.js';

const SHIPPED = StrategyParamsSchema.parse(JSON.parse(fs.readFileSync(new URL('../../../config/frozen_strategy_params.json', import.meta.url), 'utf8')));

describe('--check-lookahead', () => {
  const sessions = sessionsBetween('2019-01-02', '2023-12-29'); // five years
  const uni = universe(4, sessions, 3);

  test('passes on the shipped params and on small periods, having checked many signals', () => {
    for (const p of [SHIPPED, P]) {
      const r = checkLookahead(uni, p);
      expect(r.ok).toBe(true);
      expect(r.mismatches).toEqual([]);
      expect(r.symbols).toBe(4);
      expect(r.checked_signals).toBeGreaterThan(p === P ? 80 : 8);
      expect(r.checked_bars).toBeLessThanOrEqual(r.checked_signals);
    }
  });

  test('fails when a signal uses the next bar, and names the symbol, date and field', () => {
    const peek = (s: BarSeries, p: StrategyParams) => allSignals(s, p).map((x) => (x.bar + 1 < s.length ? { ...x, stop: s.low[x.bar + 1] } : x));
    const r = checkLookahead(uni, P, { signalFn: peek });
    expect(r.ok).toBe(false);
    expect(r.mismatch_count).toBeGreaterThan(100);
    expect(r.mismatches.length).toBe(100);
    expect(r.mismatches[0].detail).toMatch(/stop: full data [\d.]+, truncated [\d.]+/);
  });

  test('fails when a peek removes signals (those whose next bar hits the stop), though no kept signal changes', () => {
    const drop = (s: BarSeries, p: StrategyParams) => allSignals(s, p).filter((x) => !(x.bar + 1 < s.length && s.low[x.bar + 1] <= x.stop));
    const dropped = uni.reduce((n, s) => n + allSignals(s, P).filter((x) => x.bar + 1 < s.length && s.low[x.bar + 1] <= x.stop).length, 0);
    expect(dropped).toBeGreaterThan(0);
    const r = checkLookahead(uni, P, { signalFn: drop });
    expect(r.ok).toBe(false);
    expect(r.mismatch_count).toBe(dropped);
    expect(r.mismatches[0].detail).toMatch(/full data: none; truncated: /);
  });

  test('respects --start and --end', () => {
    const all = checkLookahead(uni, P);
    const part = checkLookahead(uni, P, { start: '2021-01-04', end: '2021-12-31' });
    expect(part.checked_bars).toBeGreaterThan(0);
    expect(part.checked_bars).toBeLessThan(all.checked_bars / 3);
  });
});
