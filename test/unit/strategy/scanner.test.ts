import { describe, expect, test } from '@jest/globals';
import { dayNumber, isoDay } from '../../../src/core/strategy/bars.js';
import {
  averageDollarVolume,
  compareSignals,
  earningsBlackout,
  rankSignals,
  scan,
} from '../../../src/core/strategy/scanner.js';
import { type Bar, DIP_T, FROZEN, START, dipBars, makeSeries, params, soupBars, uptrend } from './fixtures.js';

const DATE = isoDay(dayNumber(START) + DIP_T); // 2020-09-07
const shiftDays = (iso: string, d: number) => isoDay(dayNumber(iso) + d);
const scaled = (bars: Bar[], k: number): Bar[] => bars.map((b) => ({ o: (b.o ?? b.c) * k, h: b.h * k, l: b.l * k, c: b.c * k }));

function universe() {
  const dip = dipBars();
  return [
    makeSeries('BBB', dip),
    makeSeries('CCC', dipBars({ o: 111, h: 112, l: 106, c: 106 })), // IBS 0: higher confidence
    makeSeries('AAA', [...dip, { h: 120, l: 100, c: 110 }]), // a later bar must not matter
    makeSeries('SHORT', dip.slice(-100), shiftDays(START, DIP_T - 99)),
    makeSeries('STALE', dip.slice(0, 200)),
    makeSeries('NANBAR', dipBars({ o: 111, h: 112, l: 105.8, c: NaN })),
    makeSeries('THIN', dip.map((b) => ({ ...b, v: 1_000 }))),
    makeSeries('CHEAP', scaled(dip, 0.1)),
    makeSeries('EARN', dip),
    makeSeries('AAA', dip),
    makeSeries('NOSIG', uptrend(DIP_T + 1)),
  ];
}

const earnings = new Map([['EARN', ['2020-06-01', shiftDays(DATE, 2)]]]);

describe('scan', () => {
  test('ranks by confidence desc then symbol, picks the top N, and lists every skipped symbol', () => {
    const r = scan(universe(), FROZEN, { date: DATE, top: 2, earnings });
    expect(r.date).toBe(DATE);
    expect(r.candidates.map((x) => x.symbol)).toEqual(['CCC', 'AAA', 'BBB']);
    expect(r.candidates[1].confidence).toBe(r.candidates[2].confidence);
    expect(r.picks.map((x) => x.symbol)).toEqual(['CCC', 'AAA']);
    expect(r.evaluated).toBe(5); // AAA, BBB, CCC, EARN, NOSIG
    expect(r.skipped.map((x) => [x.symbol, x.reason])).toEqual([
      ['AAA', 'duplicate_symbol'],
      ['CHEAP', 'price'],
      ['EARN', 'earnings_blackout'],
      ['NANBAR', 'bad_bar'],
      ['SHORT', 'insufficient_history'],
      ['STALE', 'no_bar'],
      ['THIN', 'dollar_volume'],
    ]);
    expect(r.skipped.find((x) => x.symbol === 'EARN')!.detail).toContain(shiftDays(DATE, 2));
    expect(r.skipped.find((x) => x.symbol === 'STALE')!.detail).toContain('last bar 2020-07-18');
  });

  test('same input in any order gives byte-identical output', () => {
    const a = JSON.stringify(scan(universe(), FROZEN, { date: DATE, top: 10, earnings }));
    const b = JSON.stringify(scan(universe().reverse(), FROZEN, { date: DATE, top: 10, earnings }));
    expect(b).toBe(a);
    expect(JSON.stringify(scan(universe(), FROZEN, { date: DATE, top: 10, earnings }))).toBe(a);
  });

  test('filters can be tuned: dollar volume floor and price band', () => {
    const r = scan(universe(), FROZEN, { date: DATE, top: 10, minDollarVolume: 0, minPrice: 5, maxPrice: 107 });
    expect(r.candidates.map((x) => x.symbol)).toEqual(['CCC', 'AAA', 'BBB', 'EARN', 'THIN']);
    expect(r.skipped.find((x) => x.symbol === 'CHEAP')).toBeUndefined();
    const none = scan(universe(), FROZEN, { date: DATE, top: 10, maxPrice: 105 });
    expect(none.candidates).toEqual([]);
  });

  test('one pick per symbol by default when both strategies fire', () => {
    const p = params({ ibs_rsi: { ibs_entry: 1, rsi_entry: 100 } });
    const s = makeSeries('BOTH', soupBars([5]));
    const both = scan([s], p, { date: DATE, top: 5 });
    expect(both.candidates.map((x) => x.strategy)).toEqual(['ibs_rsi', 'turtle_soup']);
    expect(both.picks.map((x) => x.strategy)).toEqual(['ibs_rsi']);
    expect(scan([s], p, { date: DATE, top: 5, onePerSymbol: false }).picks).toHaveLength(2);
    expect(scan([s], p, { date: DATE, top: 0 }).picks).toEqual([]);
  });

  test('an invalid date is a RangeError', () => {
    expect(() => scan([], FROZEN, { date: '2020-02-30', top: 1 })).toThrow(RangeError);
  });
});

describe('earnings blackout', () => {
  test('no pick within [E-2, E+1] calendar days of an earnings date', () => {
    const d = '2024-03-13';
    expect(earningsBlackout([shiftDays(d, -2)], d)).toBeNull(); // D = E + 2
    expect(earningsBlackout([shiftDays(d, -1)], d)).toBe(shiftDays(d, -1)); // D = E + 1
    expect(earningsBlackout([d], d)).toBe(d);
    expect(earningsBlackout([shiftDays(d, 2)], d)).toBe(shiftDays(d, 2)); // D = E - 2
    expect(earningsBlackout([shiftDays(d, 3)], d)).toBeNull(); // D = E - 3
    expect(earningsBlackout(['2023-01-01', '2025-01-01'], d)).toBeNull();
    expect(earningsBlackout(undefined, d)).toBeNull();
  });
});

describe('ranking and liquidity helpers', () => {
  test('compareSignals: confidence desc, date asc, symbol asc by code unit, strategy', () => {
    const base = { confidence: 0.5, date: '2024-01-02', symbol: 'B', strategy: 'ibs_rsi' } as const;
    const sigs = [
      { ...base, symbol: 'b' },
      { ...base, strategy: 'turtle_soup' },
      { ...base, date: '2024-01-01' },
      { ...base, confidence: 1 },
      { ...base },
      { ...base, symbol: 'A' },
    ] as unknown as Parameters<typeof rankSignals>[0];
    const ranked = rankSignals(sigs).map((x) => `${x.confidence}/${x.date}/${x.symbol}/${x.strategy}`);
    expect(ranked).toEqual([
      '1/2024-01-02/B/ibs_rsi',
      '0.5/2024-01-01/B/ibs_rsi',
      '0.5/2024-01-02/A/ibs_rsi',
      '0.5/2024-01-02/B/ibs_rsi',
      '0.5/2024-01-02/B/turtle_soup',
      '0.5/2024-01-02/b/ibs_rsi',
    ]);
    expect(compareSignals(sigs[4], sigs[4])).toBe(0);
  });

  test('averageDollarVolume: 60-bar mean of close x volume, skipping unusable rows', () => {
    const bars: Bar[] = Array.from({ length: 70 }, (_, i) => ({ h: 11, l: 9, c: 10, v: i < 10 ? 1 : 1000 }));
    bars[69] = { h: 11, l: 9, c: NaN, v: 1000 };
    const s = makeSeries('DV', bars);
    expect(averageDollarVolume(s, 68)).toBe((10 + 59 * 10_000) / 60); // bars 9..68
    expect(averageDollarVolume(s, 69)).toBe(10_000); // bars 10..69, the NaN close skipped
    expect(averageDollarVolume(s, 0)).toBe(10);
  });
});
