// Split arithmetic by hand: rolling and anchored windows, the kept or dropped last test window,
// warm-up ranges, termination on odd inputs, and flag validation.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { UsageError } from '../../../src/core/errors.js';
import { defaultWarmup, minLastTest, planSplits, type SplitPlanInput } from '../../../src/core/walkforward/splits.js';
import { P } from '../backtest/fixtures.js';

const plan = (o: Partial<SplitPlanInput>) => planSplits({ sessions: 1000, first: 0, train: 252, test: 63, anchored: false, warmup: 100, ...o });

describe('planSplits', () => {
  test('rolling, 1000 sessions, warm-up 100: 10 splits, the 18-session stub dropped', () => {
    // s0 = 100; tests start at 352 + 63k while 352 + 63k + 32 <= 1000, so k = 0..9.
    const s = plan({});
    expect(s).toHaveLength(10);
    expect(s[0]).toEqual({ index: 0, train: { from: 0, start: 100, end: 351 }, test: { from: 252, start: 352, end: 414 } });
    expect(s[1]).toEqual({ index: 1, train: { from: 63, start: 163, end: 414 }, test: { from: 315, start: 415, end: 477 } });
    expect(s[9]).toEqual({ index: 9, train: { from: 567, start: 667, end: 918 }, test: { from: 819, start: 919, end: 981 } });
  });

  test('the last test window is kept with at least half of --test (32 of 63), dropped with 31', () => {
    expect(minLastTest(63)).toBe(32);
    expect(minLastTest(64)).toBe(32);
    const kept = plan({ sessions: 1014 });
    expect(kept).toHaveLength(11);
    expect(kept[10].test).toEqual({ from: 882, start: 982, end: 1013 });
    expect(plan({ sessions: 1013 })).toHaveLength(10);
    // A full last window is never truncated.
    expect(plan({ sessions: 982 })[9].test.end).toBe(981);
  });

  test('anchored: every train window starts at the first tradable session and grows by --test', () => {
    const s = plan({ anchored: true });
    expect(s).toHaveLength(10);
    expect(s.map((x) => x.train.start)).toEqual(Array(10).fill(100));
    expect(s.map((x) => x.train.from)).toEqual(Array(10).fill(0));
    expect(s[0].train.end).toBe(351);
    expect(s[9].train).toEqual({ from: 0, start: 100, end: 918 });
    // Test windows are the rolling plan's.
    expect(s.map((x) => x.test)).toEqual(plan({}).map((x) => x.test));
  });

  test('--start after the warm-up: the first train window starts there, earlier sessions only warm up', () => {
    const s = plan({ first: 300 });
    expect(s[0]).toEqual({ index: 0, train: { from: 200, start: 300, end: 551 }, test: { from: 452, start: 552, end: 614 } });
    expect(s).toHaveLength(7); // 552 + 63k + 32 <= 1000: k = 0..6
    // --start inside the warm-up is moved to the end of the warm-up.
    expect(plan({ first: 40 })[0].train.start).toBe(100);
  });

  test('warm-up 0 and windows of one session: 4 one-session splits out of 5', () => {
    const s = planSplits({ sessions: 5, first: 0, train: 1, test: 1, anchored: false, warmup: 0 });
    expect(s.map((x) => [x.train.start, x.train.end, x.test.start, x.test.end])).toEqual([
      [0, 0, 1, 1],
      [1, 1, 2, 2],
      [2, 2, 3, 3],
      [3, 3, 4, 4],
    ]);
  });

  test('a test window longer than what is left: one shortened split, or a UsageError naming the numbers', () => {
    const one = plan({ sessions: 600, test: 400 });
    expect(one).toEqual([{ index: 0, train: { from: 0, start: 100, end: 351 }, test: { from: 252, start: 352, end: 599 } }]);
    expect(() => plan({ sessions: 600, test: 1000 })).toThrow(/not enough sessions for one split: 600 on the axis, need 852/);
    expect(() => plan({ sessions: 600, test: 1000 })).toThrow(UsageError);
    expect(() => plan({ sessions: 0 })).toThrow(UsageError);
  });

  test.each([
    [{ train: 0 }, /--train must be an integer from 1/],
    [{ test: 0 }, /--test must be an integer from 1/],
    [{ test: -63 }, /--test must be an integer from 1/],
    [{ train: 2.5 }, /--train must be an integer/],
    [{ warmup: -1 }, /--warmup must be an integer from 0/],
    [{ test: Number.NaN }, /--test must be an integer/],
    [{ train: Infinity }, /--train must be an integer/],
  ])('rejects %j', (o, msg) => {
    expect(() => plan(o)).toThrow(UsageError);
    expect(() => plan(o)).toThrow(msg);
  });

  test('property: every plan terminates with consecutive, disjoint, in-range windows of the right lengths', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 3000 }),
        fc.integer({ min: 0, max: 400 }),
        fc.integer({ min: 1, max: 600 }),
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 0, max: 300 }),
        fc.boolean(),
        (sessions, first, train, test, warmup, anchored) => {
          const s0 = Math.max(first, warmup);
          const min = minLastTest(test);
          if (s0 + train + min > sessions) {
            expect(() => planSplits({ sessions, first, train, test, anchored, warmup })).toThrow(UsageError);
            return;
          }
          const s = planSplits({ sessions, first, train, test, anchored, warmup });
          expect(s.length).toBe(Math.floor((sessions - s0 - train - min) / test) + 1);
          // Plain checks collected per split: one expect per run keeps 300 runs fast under jest.
          const bad: string[] = [];
          s.forEach((x, i) => {
            const len = x.test.end - x.test.start + 1;
            const last = i === s.length - 1;
            const ok =
              x.index === i &&
              x.train.end + 1 === x.test.start &&
              x.train.start === (anchored ? s0 : x.test.start - train) &&
              x.train.from === x.train.start - warmup &&
              x.test.from === x.test.start - warmup &&
              x.train.from >= 0 &&
              x.test.end < sessions &&
              (last ? len >= min && len <= test && sessions - x.test.end - 1 < min : len === test && s[i + 1].test.start === x.test.end + 1);
            if (!ok) bad.push(JSON.stringify(x));
          });
          expect(bad).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('defaultWarmup', () => {
  test('max(sma_period, min_history_bars) over every params set, plus 20', () => {
    expect(defaultWarmup([P])).toBe(25); // SMA 3, min history 5
    const long = { ...P, common: { ...P.common, sma_period: 250, min_history_bars: 210 } };
    expect(defaultWarmup([P, long])).toBe(270);
    const shipped = { ...P, common: { ...P.common, sma_period: 200, min_history_bars: 210 } };
    expect(defaultWarmup([shipped])).toBe(230);
  });
});
