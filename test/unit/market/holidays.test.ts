import { describe, expect, it } from '@jest/globals';
import {
  SPECIAL_CLOSURES,
  easterSunday,
  earlyClosesForYear,
  holidaysForYear,
} from '../../../src/core/market/holidays.js';
import { earlyClose, holidayName, isSpecialClosure, isTradingDay, sessionsInYear } from '../../../src/core/market/calendar.js';

// Hand-written from the NYSE's published holiday and early-close schedules (month-day, by year).
// These are test fixtures only: the implementation derives the same dates from rules.
const PUBLISHED: Record<number, { closed: string[]; early: string[]; sessions: number }> = {
  2015: { closed: ['01-01', '01-19', '02-16', '04-03', '05-25', '07-03', '09-07', '11-26', '12-25'], early: ['11-27', '12-24'], sessions: 252 },
  2016: { closed: ['01-01', '01-18', '02-15', '03-25', '05-30', '07-04', '09-05', '11-24', '12-26'], early: ['11-25'], sessions: 252 },
  2017: { closed: ['01-02', '01-16', '02-20', '04-14', '05-29', '07-04', '09-04', '11-23', '12-25'], early: ['07-03', '11-24'], sessions: 251 },
  2018: { closed: ['01-01', '01-15', '02-19', '03-30', '05-28', '07-04', '09-03', '11-22', '12-05', '12-25'], early: ['07-03', '11-23', '12-24'], sessions: 251 },
  2019: { closed: ['01-01', '01-21', '02-18', '04-19', '05-27', '07-04', '09-02', '11-28', '12-25'], early: ['07-03', '11-29', '12-24'], sessions: 252 },
  2020: { closed: ['01-01', '01-20', '02-17', '04-10', '05-25', '07-03', '09-07', '11-26', '12-25'], early: ['11-27', '12-24'], sessions: 253 },
  2021: { closed: ['01-01', '01-18', '02-15', '04-02', '05-31', '07-05', '09-06', '11-25', '12-24'], early: ['11-26'], sessions: 252 },
  2022: { closed: ['01-17', '02-21', '04-15', '05-30', '06-20', '07-04', '09-05', '11-24', '12-26'], early: ['11-25'], sessions: 251 },
  2023: { closed: ['01-02', '01-16', '02-20', '04-07', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'], early: ['07-03', '11-24'], sessions: 250 },
  2024: { closed: ['01-01', '01-15', '02-19', '03-29', '05-27', '06-19', '07-04', '09-02', '11-28', '12-25'], early: ['07-03', '11-29', '12-24'], sessions: 252 },
  2025: { closed: ['01-01', '01-09', '01-20', '02-17', '04-18', '05-26', '06-19', '07-04', '09-01', '11-27', '12-25'], early: ['07-03', '11-28', '12-24'], sessions: 250 },
  2026: { closed: ['01-01', '01-19', '02-16', '04-03', '05-25', '06-19', '07-03', '09-07', '11-26', '12-25'], early: ['11-27', '12-24'], sessions: 251 },
};

describe('published NYSE schedules 2015-2026', () => {
  for (const [year, want] of Object.entries(PUBLISHED)) {
    it(`${year}: closures, early closes and session count`, () => {
      const y = Number(year);
      expect(holidaysForYear(y).map((h) => h.date)).toEqual(want.closed.map((md) => `${year}-${md}`));
      expect(earlyClosesForYear(y).map((e) => e.date)).toEqual(want.early.map((md) => `${year}-${md}`));
      expect(sessionsInYear(y)).toHaveLength(want.sessions);
    });
  }

  it('session counts for older years match the exchange', () => {
    const counts: Record<number, number> = { 2000: 252, 2001: 248, 2004: 252, 2008: 253, 2012: 250 };
    for (const [y, n] of Object.entries(counts)) expect(sessionsInYear(Number(y))).toHaveLength(n);
  });
});

describe('easterSunday', () => {
  it('matches known Easter dates', () => {
    const known: Record<number, string> = {
      1990: '1990-04-15', 2000: '2000-04-23', 2008: '2008-03-23', 2011: '2011-04-24', 2019: '2019-04-21',
      2024: '2024-03-31', 2025: '2025-04-20', 2026: '2026-04-05', 2038: '2038-04-25', 2100: '2100-03-28',
    };
    for (const [y, d] of Object.entries(known)) expect(easterSunday(Number(y))).toBe(d);
  });
});

describe('rule holidays', () => {
  it("New Year's Day: Sunday moves to Monday, Saturday is not observed on Friday", () => {
    expect(holidayName('2017-01-02')).toBe("New Year's Day");
    expect(holidayName('2023-01-02')).toBe("New Year's Day");
    expect(isTradingDay('2021-12-31')).toBe(true); // 2022-01-01 was a Saturday
    expect(isTradingDay('2010-12-31')).toBe(true); // 2011-01-01 was a Saturday
    expect(isTradingDay('2027-12-31')).toBe(true); // 2028-01-01 is a Saturday
    expect(holidaysForYear(2022).some((h) => h.name === "New Year's Day")).toBe(false);
  });

  it('MLK Day is the third Monday of January from 1998', () => {
    expect(holidayName('2024-01-15')).toBe('Martin Luther King Jr. Day');
    expect(holidayName('2025-01-20')).toBe('Martin Luther King Jr. Day');
    expect(holidayName('1998-01-19')).toBe('Martin Luther King Jr. Day');
    expect(isTradingDay('1997-01-20')).toBe(true);
  });

  it("Washington's Birthday is the third Monday of February", () => {
    expect(holidayName('2025-02-17')).toBe("Washington's Birthday");
    expect(holidayName('2021-02-15')).toBe("Washington's Birthday");
  });

  it('Good Friday is two days before Easter', () => {
    for (const d of ['2024-03-29', '2025-04-18', '2026-04-03', '2008-03-21', '2035-03-23']) {
      expect(holidayName(d)).toBe('Good Friday');
    }
  });

  it('Memorial Day is the last Monday of May', () => {
    expect(holidayName('2025-05-26')).toBe('Memorial Day');
    expect(holidayName('2021-05-31')).toBe('Memorial Day');
    expect(isTradingDay('2021-05-24')).toBe(true);
  });

  it('Juneteenth only from 2022, with weekend observance', () => {
    expect(isTradingDay('2021-06-18')).toBe(true);
    expect(isTradingDay('2020-06-19')).toBe(true);
    expect(holidayName('2022-06-20')).toBe('Juneteenth National Independence Day');
    expect(isTradingDay('2022-06-17')).toBe(true);
    expect(holidayName('2024-06-19')).toBe('Juneteenth National Independence Day');
    expect(holidayName('2027-06-18')).toBe('Juneteenth National Independence Day'); // Saturday 19th
  });

  it('Independence Day with Saturday and Sunday observance', () => {
    expect(holidayName('2020-07-03')).toBe('Independence Day');
    expect(holidayName('2015-07-03')).toBe('Independence Day');
    expect(holidayName('2021-07-05')).toBe('Independence Day');
    expect(isTradingDay('2021-07-02')).toBe(true);
    expect(holidayName('2025-07-04')).toBe('Independence Day');
  });

  it('Labor Day and Thanksgiving', () => {
    expect(holidayName('2025-09-01')).toBe('Labor Day');
    expect(holidayName('2020-09-07')).toBe('Labor Day');
    expect(holidayName('2025-11-27')).toBe('Thanksgiving Day');
    expect(holidayName('2018-11-22')).toBe('Thanksgiving Day');
  });

  it('Christmas with Saturday and Sunday observance', () => {
    expect(holidayName('2021-12-24')).toBe('Christmas Day');
    expect(holidayName('2010-12-24')).toBe('Christmas Day');
    expect(holidayName('2022-12-26')).toBe('Christmas Day');
    expect(holidayName('2016-12-26')).toBe('Christmas Day');
    expect(holidayName('2025-12-25')).toBe('Christmas Day');
  });

  it('weekends carry no holiday name', () => {
    expect(holidayName('2022-01-01')).toBeNull();
    expect(holidayName('2025-06-21')).toBeNull();
  });

  it('every closure falls on a weekday, once, for 1990-2100', () => {
    for (let y = 1990; y <= 2100; y++) {
      const dates = holidaysForYear(y).map((h) => h.date);
      expect(new Set(dates).size).toBe(dates.length);
      for (const d of dates) {
        const wd = new Date(`${d}T00:00:00Z`).getUTCDay();
        expect(wd >= 1 && wd <= 5).toBe(true);
        expect(d.startsWith(`${y}-`)).toBe(true);
      }
    }
  });
});

describe('special closures', () => {
  it('are closed with their reason', () => {
    const want: [string, RegExp][] = [
      ['2001-09-11', /September 11/],
      ['2001-09-12', /September 11/],
      ['2001-09-13', /September 11/],
      ['2001-09-14', /September 11/],
      ['2004-06-11', /Reagan/],
      ['2007-01-02', /Ford/],
      ['2012-10-29', /Sandy/],
      ['2012-10-30', /Sandy/],
      ['2018-12-05', /Bush/],
      ['2025-01-09', /Carter/],
    ];
    for (const [d, reason] of want) {
      expect(isTradingDay(d)).toBe(false);
      expect(holidayName(d)).toMatch(reason);
      expect(isSpecialClosure(d)).toBe(true);
    }
    expect(isSpecialClosure('2025-12-25')).toBe(false);
    expect(isTradingDay('2001-09-17')).toBe(true);
    expect(isTradingDay('2012-10-31')).toBe(true);
  });

  it('every entry in the table is a weekday closure', () => {
    for (const s of SPECIAL_CLOSURES) expect(isTradingDay(s.date)).toBe(false);
  });
});

describe('early closes', () => {
  it('day before Independence Day only when July 3 is a Monday-Thursday trading day', () => {
    expect(earlyClose('2017-07-03')).toBe('13:00'); // Monday, Fourth on Tuesday
    expect(earlyClose('2018-07-03')).toBe('13:00');
    expect(earlyClose('2019-07-03')).toBe('13:00'); // Wednesday, since 2013
    expect(earlyClose('2025-07-03')).toBe('13:00'); // Thursday
    expect(earlyClose('2020-07-03')).toBeNull(); // the observed holiday itself
    expect(earlyClose('2021-07-02')).toBeNull(); // Fourth on Sunday: no early close
    expect(earlyClose('2022-07-01')).toBeNull(); // Fourth on Monday
  });

  it('before 2013 a Thursday Fourth closed early on Friday July 5 instead', () => {
    expect(earlyClose('2002-07-03')).toBeNull();
    expect(earlyClose('2002-07-05')).toBe('13:00');
    expect(earlyClose('2013-07-03')).toBe('13:00');
    expect(earlyClose('2013-07-05')).toBeNull();
  });

  it('day after Thanksgiving every year', () => {
    for (const d of ['2000-11-24', '2012-11-23', '2021-11-26', '2025-11-28', '2035-11-23']) {
      expect(earlyClose(d)).toBe('13:00');
    }
  });

  it('Christmas Eve only on Monday-Thursday', () => {
    expect(earlyClose('2024-12-24')).toBe('13:00');
    expect(earlyClose('2020-12-24')).toBe('13:00');
    expect(earlyClose('2018-12-24')).toBe('13:00');
    expect(earlyClose('2021-12-24')).toBeNull(); // observed Christmas
    expect(earlyClose('2021-12-23')).toBeNull();
    expect(earlyClose('2022-12-23')).toBeNull();
  });

  it('the 2003 day after Christmas was a one-off early close', () => {
    expect(earlyClose('2003-12-26')).toBe('13:00');
    expect(earlyClose('2008-12-26')).toBeNull();
  });

  it('non-trading days never report an early close', () => {
    expect(earlyClose('2025-07-05')).toBeNull();
    expect(earlyClose('2025-12-25')).toBeNull();
    expect(earlyClosesForYear(2025).every((e) => e.closeEt === '13:00')).toBe(true);
  });
});
