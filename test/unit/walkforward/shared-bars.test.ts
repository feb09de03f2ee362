// Bars in shared memory: a faithful copy, the union session axis, and window views that copy nothing.
import { describe, expect, test } from '@jest/globals';
import { dayNumber, isoDay } from '../../../src/core/strategy/bars.js';
import { barCount, sessionAxis, shareBars, windowSeries } from '../../../src/core/walkforward/shared-bars.js';
import { SESSIONS, randomWalk } from '../backtest/fixtures.js';

describe('shared bars', () => {
  // A has sessions 0..9, B sessions 3..12 minus 6 (a gap), C none.
  const a = randomWalk('A', SESSIONS.slice(0, 10), 1);
  const bDates = SESSIONS.slice(3, 13).filter((_, i) => i !== 3);
  const b = randomWalk('B', bDates, 2);
  const c = randomWalk('C', [], 3);
  const bars = shareBars([a, b, c]);

  test('columns live in SharedArrayBuffers with per-symbol offsets', () => {
    expect(bars.symbols).toEqual(['A', 'B', 'C']);
    expect(Array.from(bars.offsets)).toEqual([0, 10, 19, 19]);
    expect(barCount(bars)).toBe(19);
    for (const col of [bars.dates, bars.open, bars.high, bars.low, bars.close, bars.volume, bars.offsets]) expect(col.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(Array.from(bars.close.subarray(10, 19))).toEqual(Array.from(b.close));
    expect(Array.from(bars.dates.subarray(0, 10))).toEqual(Array.from(a.dates));
  });

  test('the session axis is the union of the dates, cut at the end day', () => {
    expect(Array.from(sessionAxis(bars), isoDay)).toEqual(SESSIONS.slice(0, 13));
    expect(Array.from(sessionAxis(bars, dayNumber(SESSIONS[4])), isoDay)).toEqual(SESSIONS.slice(0, 5));
    expect(sessionAxis(shareBars([c])).length).toBe(0);
  });

  test('window views: bars dated from..end, symbols without any left out, memory shared', () => {
    const w = windowSeries(bars, SESSIONS[2], SESSIONS[5]);
    expect(w.map((s) => [s.symbol, s.length])).toEqual([
      ['A', 4],
      ['B', 3],
    ]);
    expect(Array.from(w[1].dates, isoDay)).toEqual([SESSIONS[3], SESSIONS[4], SESSIONS[5]]);
    expect(windowSeries(bars, SESSIONS[6], SESSIONS[6]).map((s) => s.symbol)).toEqual(['A']); // B's gap
    expect(w[0].open.buffer).toBe(bars.open.buffer);
    expect(Array.from(w[0].high)).toEqual(Array.from(a.high.subarray(2, 6)));
    expect(windowSeries(bars, SESSIONS[10], SESSIONS[12]).map((s) => s.symbol)).toEqual(['B']);
    expect(windowSeries(bars, SESSIONS[20], SESSIONS[30])).toEqual([]);
  });
});
