import { describe, expect, it } from '@jest/globals';
import { etDate, etMinutes, etOffsetMinutes, etParts, etToUtc, formatEt, parseHhmm } from '../../../src/core/market/time.js';

const at = (iso: string) => new Date(iso);

describe('ET wall clock of an instant', () => {
  it('uses UTC-5 in winter and UTC-4 in summer', () => {
    expect(etOffsetMinutes(at('2025-01-14T15:00:00Z'))).toBe(-300);
    expect(etOffsetMinutes(at('2025-07-15T15:00:00Z'))).toBe(-240);
    expect(etParts(at('2025-01-14T14:30:05Z'))).toEqual({ year: 2025, month: 1, day: 14, hour: 9, minute: 30, second: 5, weekday: 2 });
    expect(etParts(at('2025-07-15T13:30:00Z'))).toMatchObject({ hour: 9, minute: 30, weekday: 2 });
  });

  it('changes date at ET midnight, not UTC midnight', () => {
    expect(etDate(at('2025-01-15T04:59:59Z'))).toBe('2025-01-14');
    expect(etDate(at('2025-01-15T05:00:00Z'))).toBe('2025-01-15');
    expect(etDate(at('2025-07-16T03:59:59Z'))).toBe('2025-07-15');
    expect(etDate(at('2025-07-16T04:00:00Z'))).toBe('2025-07-16');
    expect(etMinutes(at('2025-01-15T04:59:59Z'))).toBe(1439);
    expect(etMinutes(at('2025-01-15T05:00:00Z'))).toBe(0);
  });

  it('floors to whole minutes', () => {
    expect(etMinutes(at('2025-01-14T14:29:59.999Z'))).toBe(569);
    expect(etMinutes(at('2025-01-14T14:30:00Z'))).toBe(570);
  });

  it('springs forward on 2025-03-09 at 02:00 EST (07:00Z)', () => {
    expect(etMinutes(at('2025-03-09T06:59:59Z'))).toBe(119);
    expect(etMinutes(at('2025-03-09T07:00:00Z'))).toBe(180);
    expect(etOffsetMinutes(at('2025-03-09T06:59:59Z'))).toBe(-300);
    expect(etOffsetMinutes(at('2025-03-09T07:00:00Z'))).toBe(-240);
    expect(etDate(at('2025-03-09T04:59:59Z'))).toBe('2025-03-08');
    expect(etDate(at('2025-03-09T05:00:00Z'))).toBe('2025-03-09');
    expect(etDate(at('2025-03-10T03:59:59Z'))).toBe('2025-03-09');
    expect(etDate(at('2025-03-10T04:00:00Z'))).toBe('2025-03-10');
  });

  it('falls back on 2025-11-02 at 02:00 EDT (06:00Z)', () => {
    expect(etMinutes(at('2025-11-02T05:59:59Z'))).toBe(119);
    expect(etMinutes(at('2025-11-02T06:00:00Z'))).toBe(60);
    expect(etOffsetMinutes(at('2025-11-02T06:00:00Z'))).toBe(-300);
    expect(etDate(at('2025-11-02T03:59:59Z'))).toBe('2025-11-01');
    expect(etDate(at('2025-11-02T04:00:00Z'))).toBe('2025-11-02');
    expect(etDate(at('2025-11-03T04:59:59Z'))).toBe('2025-11-02');
  });

  it('knows the pre-2007 DST rules too', () => {
    expect(etOffsetMinutes(at('2006-03-20T12:00:00Z'))).toBe(-300); // DST started April 2 in 2006
    expect(etOffsetMinutes(at('2006-04-03T12:00:00Z'))).toBe(-240);
    expect(etOffsetMinutes(at('2006-10-30T12:00:00Z'))).toBe(-300); // ended October 29
  });

  it('formats for messages and rejects invalid instants', () => {
    expect(formatEt(at('2025-07-15T13:30:00Z'))).toBe('2025-07-15 09:30:00 ET');
    expect(() => etDate(new Date('nope'))).toThrow(RangeError);
  });
});

describe('etToUtc', () => {
  it('converts winter and summer wall times', () => {
    expect(etToUtc('2025-01-14', '09:30').toISOString()).toBe('2025-01-14T14:30:00.000Z');
    expect(etToUtc('2025-07-15', '16:00').toISOString()).toBe('2025-07-15T20:00:00.000Z');
    expect(etToUtc('2025-01-14', '00:00').toISOString()).toBe('2025-01-14T05:00:00.000Z');
    expect(etToUtc('2025-01-14', '23:59').toISOString()).toBe('2025-01-15T04:59:00.000Z');
  });

  it('handles the DST change days', () => {
    expect(etToUtc('2025-03-09', '01:59').toISOString()).toBe('2025-03-09T06:59:00.000Z');
    expect(etToUtc('2025-03-09', '03:00').toISOString()).toBe('2025-03-09T07:00:00.000Z');
    expect(etToUtc('2025-03-09', '09:30').toISOString()).toBe('2025-03-09T13:30:00.000Z');
    expect(etToUtc('2025-11-02', '09:30').toISOString()).toBe('2025-11-02T14:30:00.000Z');
    expect(etToUtc('2025-11-02', '00:30').toISOString()).toBe('2025-11-02T04:30:00.000Z');
    expect(etToUtc('2025-11-02', '03:00').toISOString()).toBe('2025-11-02T08:00:00.000Z');
  });

  it('resolves the skipped and the repeated hour', () => {
    // 02:30 does not exist on spring-forward day: read with EST, it is 03:30 EDT.
    expect(etToUtc('2025-03-09', '02:30').toISOString()).toBe('2025-03-09T07:30:00.000Z');
    // 01:30 happens twice on fall-back day: the first (EDT) occurrence wins.
    expect(etToUtc('2025-11-02', '01:30').toISOString()).toBe('2025-11-02T05:30:00.000Z');
  });

  it('round-trips with etDate and etMinutes', () => {
    for (const date of ['2024-01-02', '2024-03-11', '2024-06-28', '2024-11-04', '2024-12-31']) {
      for (const m of [0, 240, 570, 780, 960, 1439]) {
        const hhmm = `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
        const t = etToUtc(date, hhmm);
        expect(etDate(t)).toBe(date);
        expect(etMinutes(t)).toBe(m);
      }
    }
  });

  it('rejects bad input', () => {
    expect(() => etToUtc('2025-02-30', '09:30')).toThrow(RangeError);
    expect(() => etToUtc('2025-01-14', '9:30')).toThrow('invalid time "9:30": expected HH:MM (00:00-23:59)');
    expect(() => etToUtc('2025-01-14', '24:00')).toThrow(RangeError);
    expect(() => parseHhmm('12:60')).toThrow(RangeError);
    expect(parseHhmm('13:00')).toBe(780);
  });
});
