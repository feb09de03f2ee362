import { describe, expect, test } from '@jest/globals';
import {
  badBarReason,
  barIndex,
  dayNumber,
  isoDay,
  seriesFromRows,
  sliceSeries,
} from '../../../src/core/strategy/bars.js';

describe('day numbers', () => {
  test('round trip and agree with Date over 1900-2100', () => {
    expect(dayNumber('1970-01-01')).toBe(0);
    expect(isoDay(-1)).toBe('1969-12-31');
    expect(dayNumber('2024-02-29')).toBe(19782);
    const wrong: number[] = [];
    for (let n = dayNumber('1900-01-01'); n <= dayNumber('2100-12-31'); n += 1) {
      const iso = new Date(n * 86_400_000).toISOString().slice(0, 10);
      if (isoDay(n) !== iso || dayNumber(iso) !== n) wrong.push(n);
    }
    expect(wrong).toEqual([]);
  });

  test('reject impossible or malformed dates', () => {
    for (const bad of ['2023-02-29', '2024-02-30', '2023-13-01', '2023-00-10', '2023-01-00', '2024-1-01', '']) {
      expect(() => dayNumber(bad)).toThrow(RangeError);
    }
  });
});

describe('series helpers', () => {
  const s = seriesFromRows('ABC', [
    { date: '2024-01-02', open: 10, high: 11, low: 9, close: 10.5, volume: 100 },
    { date: '2024-01-03', open: 10.5, high: 12, low: 10, close: 11, volume: 200 },
    { date: '2024-01-05', open: NaN, high: 12, low: 10, close: 11, volume: 200 },
    { date: '2024-01-08', open: 11, high: 10, low: 10.5, close: 10.7, volume: 200 },
  ]);

  test('sliceSeries returns views of the first bars', () => {
    const v = sliceSeries(s, 2);
    expect(v.length).toBe(2);
    expect(v.close.buffer).toBe(s.close.buffer);
    expect(Array.from(v.close)).toEqual([10.5, 11]);
    expect(sliceSeries(s, 99).length).toBe(4);
    expect(sliceSeries(s, -3).length).toBe(0);
  });

  test('barIndex finds exact dates only', () => {
    expect(barIndex(s, dayNumber('2024-01-05'))).toBe(2);
    expect(barIndex(s, dayNumber('2024-01-04'))).toBe(-1);
    expect(barIndex(sliceSeries(s, 0), 0)).toBe(-1);
  });

  test('badBarReason names the problem', () => {
    expect(badBarReason(s, 0)).toBeNull();
    expect(badBarReason(s, 2)).toBe('NaN price');
    expect(badBarReason(s, 3)).toBe('high below low');
  });
});
