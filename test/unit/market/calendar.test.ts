import fs from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import {
  addSessions,
  closeTimeEt,
  countSessions,
  earlyClose,
  earlyCloseName,
  holidayName,
  isTradingDay,
  nextSession,
  previousSession,
  sessionCloseUtc,
  sessionOpenUtc,
  sessionsBetween,
  sessionsInYear,
} from '../../../src/core/market/calendar.js';

const AAPL = '/work/shared/data/sp500-2013-2018/daily/AAPL_data.csv';

describe('sessionsBetween', () => {
  it('is inclusive at both ends and skips weekends and holidays', () => {
    expect(sessionsBetween('2025-12-22', '2026-01-05')).toEqual([
      '2025-12-22', '2025-12-23', '2025-12-24', '2025-12-26', '2025-12-29', '2025-12-30', '2025-12-31',
      '2026-01-02', '2026-01-05',
    ]);
    expect(sessionsBetween('2025-01-06', '2025-01-06')).toEqual(['2025-01-06']);
    expect(sessionsBetween('2025-01-04', '2025-01-05')).toEqual([]);
    expect(sessionsBetween('2025-02-01', '2025-01-01')).toEqual([]);
  });

  it('spans years consistently with the per-year tables', () => {
    const all = sessionsBetween('2000-01-01', '2035-12-31');
    let sum = 0;
    for (let y = 2000; y <= 2035; y++) sum += sessionsInYear(y).length;
    expect(all).toHaveLength(sum);
    expect(countSessions('2000-01-01', '2035-12-31')).toBe(sum);
    expect([...all].sort()).toEqual(all);
    expect(new Set(all).size).toBe(all.length);
  });

  it('covers the whole supported range', () => {
    expect(sessionsBetween('1990-01-01', '2100-12-31').length).toBeGreaterThan(27_000);
  });

  const maybe = fs.existsSync(AAPL) ? it : it.skip;
  maybe('equals the real trading days 2013-02-08..2018-02-07 (needs shared data sp500-2013-2018/daily/AAPL_data.csv)', () => {
    const dates = fs
      .readFileSync(AAPL, 'utf8')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((line) => line.split(',')[0]);
    expect(dates).toHaveLength(1259);
    expect(sessionsBetween('2013-02-08', '2018-02-07')).toEqual(dates);
  });
});

describe('nextSession / previousSession', () => {
  it('step over weekends', () => {
    expect(nextSession('2025-01-10')).toBe('2025-01-13');
    expect(nextSession('2025-06-21')).toBe('2025-06-23');
    expect(previousSession('2025-06-21')).toBe('2025-06-20');
    expect(previousSession('2025-01-13')).toBe('2025-01-10');
  });

  it('step over holidays and special closures', () => {
    expect(nextSession('2024-03-28')).toBe('2024-04-01'); // Good Friday + weekend
    expect(previousSession('2024-04-01')).toBe('2024-03-28');
    expect(nextSession('2025-12-24')).toBe('2025-12-26');
    expect(nextSession('2025-06-18')).toBe('2025-06-20');
    expect(previousSession('2025-01-10')).toBe('2025-01-08'); // Carter
    expect(nextSession('2001-09-10')).toBe('2001-09-17');
    expect(previousSession('2001-09-17')).toBe('2001-09-10');
  });

  it('cross year ends', () => {
    expect(nextSession('2021-12-30')).toBe('2021-12-31');
    expect(nextSession('2021-12-31')).toBe('2022-01-03');
    expect(previousSession('2023-01-03')).toBe('2022-12-30');
    expect(previousSession('2026-01-01')).toBe('2025-12-31');
  });

  it('are strict and inverse on sessions', () => {
    for (const d of sessionsBetween('2019-01-01', '2021-12-31')) {
      expect(nextSession(d) > d).toBe(true);
      expect(previousSession(nextSession(d))).toBe(d);
      expect(nextSession(previousSession(d))).toBe(d);
    }
  });

  it('addSessions moves n sessions either way', () => {
    expect(addSessions('2025-12-23', 2)).toBe('2025-12-26');
    expect(addSessions('2025-12-26', -2)).toBe('2025-12-23');
    expect(addSessions('2025-12-27', 1)).toBe('2025-12-29');
    expect(addSessions('2025-12-26', 0)).toBe('2025-12-26');
    expect(() => addSessions('2025-12-25', 0)).toThrow(RangeError);
    expect(() => addSessions('2025-12-26', 1.5)).toThrow(RangeError);
    const from = '2015-01-02';
    expect(addSessions(from, 251)).toBe(sessionsBetween(from, '2016-12-31')[251]);
  });

  it('stop at the edges of the supported range', () => {
    expect(() => nextSession('2100-12-31')).toThrow(/outside the supported calendar range/);
    expect(() => previousSession('1990-01-02')).toThrow(/outside the supported calendar range/);
  });
});

describe('session instants', () => {
  it('open 09:30 and close 16:00 ET in winter (UTC-5) and summer (UTC-4)', () => {
    expect(sessionOpenUtc('2025-01-14').toISOString()).toBe('2025-01-14T14:30:00.000Z');
    expect(sessionCloseUtc('2025-01-14').toISOString()).toBe('2025-01-14T21:00:00.000Z');
    expect(sessionOpenUtc('2025-07-15').toISOString()).toBe('2025-07-15T13:30:00.000Z');
    expect(sessionCloseUtc('2025-07-15').toISOString()).toBe('2025-07-15T20:00:00.000Z');
  });

  it('around the DST changes', () => {
    expect(sessionOpenUtc('2025-03-07').toISOString()).toBe('2025-03-07T14:30:00.000Z');
    expect(sessionOpenUtc('2025-03-10').toISOString()).toBe('2025-03-10T13:30:00.000Z');
    expect(sessionOpenUtc('2025-10-31').toISOString()).toBe('2025-10-31T13:30:00.000Z');
    expect(sessionOpenUtc('2025-11-03').toISOString()).toBe('2025-11-03T14:30:00.000Z');
  });

  it('close at 13:00 ET on early-close days', () => {
    expect(closeTimeEt('2025-07-03')).toBe('13:00');
    expect(sessionCloseUtc('2025-07-03').toISOString()).toBe('2025-07-03T17:00:00.000Z');
    expect(sessionCloseUtc('2025-11-28').toISOString()).toBe('2025-11-28T18:00:00.000Z');
    expect(earlyCloseName('2025-12-24')).toBe('Christmas Eve');
    expect(closeTimeEt('2025-12-23')).toBe('16:00');
  });

  it('refuse non-trading days', () => {
    expect(() => sessionOpenUtc('2025-12-25')).toThrow(/not a trading day \(Christmas Day\)/);
    expect(() => sessionCloseUtc('2025-12-27')).toThrow(/not a trading day \(weekend\)/);
  });
});

describe('input validation', () => {
  const fns: [string, (d: string) => unknown][] = [
    ['isTradingDay', isTradingDay],
    ['holidayName', holidayName],
    ['earlyClose', earlyClose],
    ['nextSession', nextSession],
    ['previousSession', previousSession],
    ['sessionOpenUtc', sessionOpenUtc],
  ];

  it.each(fns)('%s rejects malformed and unreal dates with a RangeError', (_name, fn) => {
    expect(() => fn('2025-02-30')).toThrow(RangeError);
    expect(() => fn('2025-02-30')).toThrow('invalid date "2025-02-30": no such calendar day');
    expect(() => fn('2025-1-5')).toThrow('invalid date "2025-1-5": expected YYYY-MM-DD');
    expect(() => fn('2025-13-01')).toThrow(RangeError);
    expect(() => fn('2025-01-05T00:00:00Z')).toThrow(RangeError);
    expect(() => fn('')).toThrow(RangeError);
    expect(() => fn(20250105 as unknown as string)).toThrow(RangeError);
  });

  it('accepts leap days only in leap years', () => {
    expect(isTradingDay('2024-02-29')).toBe(true);
    expect(() => isTradingDay('2025-02-29')).toThrow(RangeError);
    expect(() => isTradingDay('2100-02-29')).toThrow(RangeError);
  });

  it('rejects years outside 1990-2100', () => {
    expect(() => isTradingDay('1989-12-29')).toThrow('date "1989-12-29" is outside the supported calendar range 1990-2100');
    expect(() => isTradingDay('2101-01-03')).toThrow(RangeError);
    expect(() => sessionsInYear(2101)).toThrow(RangeError);
    expect(() => sessionsBetween('1980-01-01', '2000-01-01')).toThrow(RangeError);
    expect(isTradingDay('1990-01-02')).toBe(true);
    expect(isTradingDay('2100-12-31')).toBe(true);
  });
});
