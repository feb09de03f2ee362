import { describe, expect, it } from '@jest/globals';
import { isTradingWindow, marketStatus, phaseAt, phaseSchedule, type Phase } from '../../../src/core/market/phases.js';
import { etToUtc } from '../../../src/core/market/time.js';

/** The instant one second before an ET wall time. */
const justBefore = (date: string, hhmm: string) => new Date(etToUtc(date, hhmm).getTime() - 1000);

// [boundary ET, phase just before, phase at the boundary]
const FULL_DAY_BOUNDARIES: [string, Phase, Phase][] = [
  ['04:00', 'night', 'pre_market_early'],
  ['07:00', 'pre_market_early', 'pre_market_active'],
  ['09:30', 'pre_market_active', 'opening'],
  ['10:00', 'opening', 'morning'],
  ['11:30', 'morning', 'lunch'],
  ['14:00', 'lunch', 'afternoon'],
  ['15:30', 'afternoon', 'close'],
  ['16:00', 'close', 'after_hours'],
  ['20:00', 'after_hours', 'night'],
];

describe('phases on a full trading day', () => {
  for (const [season, date] of [['winter (EST)', '2025-01-14'], ['summer (EDT)', '2025-07-15']]) {
    it.each(FULL_DAY_BOUNDARIES)(`${season} ${date}: %s ET switches %s -> %s`, (hhmm, before, after) => {
      expect(phaseAt(justBefore(date, hhmm))).toBe(before);
      expect(phaseAt(etToUtc(date, hhmm))).toBe(after);
    });
  }

  it('09:29:59 vs 09:30:00 ET in UTC terms, winter and summer', () => {
    expect(phaseAt(new Date('2025-01-14T14:29:59Z'))).toBe('pre_market_active');
    expect(phaseAt(new Date('2025-01-14T14:30:00Z'))).toBe('opening');
    expect(phaseAt(new Date('2025-07-15T13:29:59Z'))).toBe('pre_market_active');
    expect(phaseAt(new Date('2025-07-15T13:30:00Z'))).toBe('opening');
  });

  it('is night from midnight to 04:00 on a weekday', () => {
    expect(phaseAt(etToUtc('2025-01-13', '00:00'))).toBe('night'); // Monday
    expect(phaseAt(etToUtc('2025-01-17', '23:59'))).toBe('night'); // Friday evening
  });

  it('only morning and afternoon are trading windows', () => {
    const windows = phaseSchedule('2025-01-14').map((p) => p.phase).filter(isTradingWindow);
    expect(windows).toEqual(['morning', 'afternoon']);
    expect(isTradingWindow('opening')).toBe(false);
  });
});

describe('phases on early-close days', () => {
  const cases: [string, string, Phase][] = [
    ['2025-11-28', '11:29', 'morning'],
    ['2025-11-28', '11:30', 'lunch'],
    ['2025-11-28', '12:29', 'lunch'],
    ['2025-11-28', '12:30', 'close'],
    ['2025-11-28', '12:59', 'close'],
    ['2025-11-28', '13:00', 'after_hours'],
    ['2025-11-28', '14:00', 'after_hours'],
    ['2025-11-28', '16:59', 'after_hours'],
    ['2025-11-28', '17:00', 'night'],
    ['2025-07-03', '12:59', 'close'],
    ['2025-07-03', '13:00', 'after_hours'],
  ];
  it.each(cases)('%s %s ET is %s', (date, hhmm, phase) => {
    expect(phaseAt(etToUtc(date, hhmm))).toBe(phase);
  });

  it('have no afternoon window', () => {
    const phases = phaseSchedule('2025-12-24').map((p) => p.phase);
    expect(phases).not.toContain('afternoon');
    expect(phaseSchedule('2025-12-24').find((p) => p.phase === 'close')?.startEt).toBe('12:30');
  });

  it('market status closes at 13:00', () => {
    const before = marketStatus(new Date('2025-07-03T16:59:59Z')); // 12:59:59 EDT
    expect(before).toMatchObject({ isOpen: true, earlyClose: '13:00', phase: 'close' });
    expect(before.close?.toISOString()).toBe('2025-07-03T17:00:00.000Z');
    const after = marketStatus(new Date('2025-07-03T17:00:00Z'));
    expect(after.isOpen).toBe(false);
    expect(after.nextOpen.toISOString()).toBe('2025-07-07T13:30:00.000Z');
    expect(after.nextClose.toISOString()).toBe('2025-07-07T20:00:00.000Z');
  });
});

describe('weekends, holidays and DST change days', () => {
  it('weekend days are one phase all day, including the DST change Sundays', () => {
    for (const date of ['2025-03-09', '2025-11-02', '2025-01-18']) {
      for (const hhmm of ['00:00', '03:00', '09:30', '12:00', '23:59']) {
        expect(phaseAt(etToUtc(date, hhmm))).toBe('weekend');
      }
    }
    expect(phaseSchedule('2025-03-09')).toEqual([{ phase: 'weekend', startEt: '00:00' }]);
  });

  it('spring-forward Sunday: status and the next open in EDT', () => {
    const s = marketStatus(new Date('2025-03-09T06:59:59Z')); // 01:59:59 EST
    expect(s).toMatchObject({ date: '2025-03-09', phase: 'weekend', dayType: 'sunday', isTradingDay: false, isOpen: false });
    expect(s.open).toBeNull();
    expect(s.nextOpen.toISOString()).toBe('2025-03-10T13:30:00.000Z');
    expect(s.nextClose.toISOString()).toBe('2025-03-10T20:00:00.000Z');
    expect(phaseAt(new Date('2025-03-10T13:29:59Z'))).toBe('pre_market_active');
    expect(phaseAt(new Date('2025-03-10T13:30:00Z'))).toBe('opening');
  });

  it('fall-back Sunday: status and the next open in EST', () => {
    const s = marketStatus(new Date('2025-11-02T06:30:00Z')); // 01:30 EST, the second time round
    expect(s).toMatchObject({ date: '2025-11-02', phase: 'weekend', dayType: 'sunday' });
    expect(s.nextOpen.toISOString()).toBe('2025-11-03T14:30:00.000Z');
    expect(phaseAt(new Date('2025-11-03T14:29:59Z'))).toBe('pre_market_active');
    expect(phaseAt(new Date('2025-11-03T14:30:00Z'))).toBe('opening');
  });

  it('the Friday before spring-forward opens in EST and points at an EDT open', () => {
    const s = marketStatus(new Date('2025-03-07T21:00:00Z')); // 16:00 EST
    expect(s).toMatchObject({ phase: 'after_hours', isOpen: false, dayType: 'weekday' });
    expect(s.open?.toISOString()).toBe('2025-03-07T14:30:00.000Z');
    expect(s.nextOpen.toISOString()).toBe('2025-03-10T13:30:00.000Z');
  });

  it('holidays are one phase all day with their name', () => {
    const s = marketStatus(etToUtc('2025-12-25', '10:30'));
    expect(s).toMatchObject({
      date: '2025-12-25', phase: 'holiday', dayType: 'holiday', holiday: 'Christmas Day',
      isTradingDay: false, isOpen: false, open: null, close: null, earlyClose: null,
    });
    expect(s.nextOpen.toISOString()).toBe('2025-12-26T14:30:00.000Z');
    expect(phaseAt(etToUtc('2025-01-09', '11:00'))).toBe('holiday'); // Carter day of mourning
    expect(phaseSchedule('2024-03-29')).toEqual([{ phase: 'holiday', startEt: '00:00' }]);
  });

  it('a holiday on a weekend is just the weekend day', () => {
    const s = marketStatus(etToUtc('2022-01-01', '12:00'));
    expect(s).toMatchObject({ dayType: 'saturday', phase: 'weekend', holiday: null });
    expect(s.nextOpen.toISOString()).toBe('2022-01-03T14:30:00.000Z');
  });
});

describe('marketStatus on a regular day', () => {
  it('before the open points at today', () => {
    const s = marketStatus(new Date('2025-01-14T12:00:00Z')); // 07:00 EST
    expect(s).toMatchObject({ date: '2025-01-14', phase: 'pre_market_active', isOpen: false, earlyClose: null, holiday: null });
    expect(s.nextOpen.toISOString()).toBe('2025-01-14T14:30:00.000Z');
    expect(s.nextClose.toISOString()).toBe('2025-01-14T21:00:00.000Z');
  });

  it('is open in [09:30, 16:00) and then points at the next session', () => {
    expect(marketStatus(new Date('2025-01-14T14:30:00Z')).isOpen).toBe(true);
    const last = marketStatus(new Date('2025-01-14T20:59:59Z'));
    expect(last.isOpen).toBe(true);
    expect(last.nextClose.toISOString()).toBe('2025-01-14T21:00:00.000Z');
    expect(last.nextOpen.toISOString()).toBe('2025-01-15T14:30:00.000Z');
    const closed = marketStatus(new Date('2025-01-14T21:00:00Z'));
    expect(closed.isOpen).toBe(false);
    expect(closed.nextClose.toISOString()).toBe('2025-01-15T21:00:00.000Z');
  });

  it('uses the ET date late in the evening', () => {
    const s = marketStatus(new Date('2025-01-18T03:00:00Z')); // Friday 22:00 EST, Saturday in UTC
    expect(s).toMatchObject({ date: '2025-01-17', phase: 'night', dayType: 'weekday' });
    expect(s.nextOpen.toISOString()).toBe('2025-01-21T14:30:00.000Z'); // Monday 20th is MLK Day
  });
});
