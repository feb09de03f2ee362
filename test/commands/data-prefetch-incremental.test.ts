// `data prefetch` incremental rules against the fake Polygon: behind, revised, split, plan-limited,
// resumed and incremental runs (request counts and the requested from-date).
import { afterEach, describe, expect, it } from '@jest/globals';
import path from 'node:path';
import { runDataPrefetch, type DataPrefetchOptions } from '../../src/commands/data/prefetch.js';
import { createPolygonMarketData } from '../../src/core/data/polygon/index.js';
import { ProviderError } from '../../src/core/data/errors.js';
import { AuthError, CheckFailed, ConnectivityError, ExitCode, PlanLimitError } from '../../src/core/errors.js';
import { addSessions, countSessions } from '../../src/core/market/calendar.js';
import { lastCompletedSession } from '../../src/core/market/sessions.js';
import { isoDay } from '../../src/core/strategy/bars.js';
import { FakePolygonServer } from '../fakes/polygon-server.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { pointAtPolygon, rejection, useFakePolygon } from '../helpers/prefetch.js';

const KEY = 'test-key-123';
let fake: FakePolygonServer;
let t: TestContext;

useFakePolygon(KEY, (s) => (fake = s));
afterEach(() => t?.cleanup());

async function setup(): Promise<TestContext> {
  t = await testContext({ env: { POLYGON_API_KEY: KEY } });
  pointAtPolygon(t.home, fake.baseUrl);
  return t;
}


const run = (o: DataPrefetchOptions) => runDataPrefetch(t.ctx, o);
const last = () => lastCompletedSession(t.clock.now());
/** Move the test clock to after the close of the session `n` sessions after the current last one. */
const advanceSessions = (n: number) => t.clock.set(`${addSessions(last(), n)}T23:00:00Z`);
const fromDates = (symbol: string) => fake.requestsFor(symbol).map((r) => r.path.split('/')[8]);

describe('data prefetch: incremental', () => {
  it('a second run makes one request per symbol from the last stored bar minus 5 sessions, not ten years', async () => {
    await setup();
    const first = await run({ symbols: ['AAPL', 'MSFT'] });
    const stored = last();
    expect(first.requests).toBe(2);
    advanceSessions(3);
    fake.requests.length = 0;
    const r = await run({ symbols: ['AAPL', 'MSFT'] });
    expect(r.requests).toBe(2);
    expect(fromDates('AAPL')).toEqual([addSessions(stored, -5)]);
    expect(fromDates('MSFT')).toEqual([addSessions(stored, -5)]);
    expect(r.symbols[0]).toMatchObject({ status: 'fetched', from: addSessions(stored, -5), last: last(), note: '3 new bar(s) from ' + addSessions(stored, -5) });
    const store = await t.ctx.bars();
    expect(store.index().symbols.AAPL.fetched).toEqual({ start: first.start, end: last() });
    expect(store.load('AAPL').length).toBe(countSessions(first.start, last()));
    // Up to date now: skipped without any request.
    fake.requests.length = 0;
    const again = await run({ symbols: ['AAPL', 'MSFT'] });
    expect(again.symbols.map((s) => s.status)).toEqual(['skipped', 'skipped']);
    expect(fake.requests).toHaveLength(0);
  });

  it('a provider two sessions stale: `behind` with the gap, exit 5, the index records the last bar received; never skipped later', async () => {
    await setup();
    const stale = addSessions(last(), -2);
    fake.scenario = { lastBar: { AAPL: stale } };
    const err = await rejection(run({ symbols: ['AAPL', 'MSFT'], start: '2024-06-03' }));
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    expect(err.message).toBe(`0 symbol(s) failed and 0 came back empty; 1 behind ${last()}, of 2`);
    expect(err.hint).toMatch(new RegExp(`Polygon has no bars after ${stale} yet`));
    const row = err.result!.symbols[0];
    expect(row).toMatchObject({ symbol: 'AAPL', status: 'behind', behind: 2, last: stale });
    expect(row.note).toMatch(new RegExp(`last bar ${stale} is 2 session\\(s\\) behind ${last()}`));
    expect(err.result!.counts).toEqual({ fetched: 1, skipped: 0, empty: 0, failed: 0, behind: 1 });
    const store = await t.ctx.bars();
    expect(store.index().symbols.AAPL.fetched).toEqual({ start: '2024-06-03', end: stale });
    // Still stale: asked again (one request from the stored bar), still behind, never "complete".
    fake.requests.length = 0;
    const again = await rejection(run({ symbols: ['AAPL', 'MSFT'], start: '2024-06-03' }));
    expect(again.result!.symbols.map((s) => s.status)).toEqual(['behind', 'skipped']);
    expect(fromDates('AAPL')).toEqual([addSessions(stale, -5)]);
    // The provider catches up.
    fake.scenario = {};
    const ok = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    expect(ok.symbols[0]).toMatchObject({ status: 'fetched', last: last(), note: `2 new bar(s) from ${addSessions(stale, -5)}` });
  });

  it('a revised close in the re-fetched sessions replaces the stored bar; older bars are untouched', async () => {
    await setup();
    await run({ symbols: ['AAPL'], start: '2024-06-03' });
    const store = await t.ctx.bars();
    const before = store.load('AAPL');
    const stored = last();
    const revisedDay = addSessions(stored, -2);
    advanceSessions(1);
    fake.scenario = { revise: [{ symbol: 'AAPL', date: revisedDay, close: 123.45 }] };
    const r = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    expect(r.symbols[0].note).toBe(`1 new bar(s) from ${addSessions(stored, -5)}, 1 revised`);
    const after = store.load('AAPL');
    expect(after.length).toBe(before.length + 1);
    const k = Array.from(after.dates, isoDay).indexOf(revisedDay);
    expect(after.close[k]).toBe(123.45);
    expect(before.close[k]).not.toBe(123.45);
    const untouched = Array.from(before.dates, isoDay).indexOf(addSessions(stored, -5));
    for (const col of ['open', 'high', 'low', 'close', 'volume'] as const) {
      expect(Array.from(after[col].subarray(0, untouched))).toEqual(Array.from(before[col].subarray(0, untouched)));
    }
  });

  it('a split seen in the re-fetched sessions re-fetches the whole adjusted history', async () => {
    await setup();
    await run({ symbols: ['AAPL'], start: '2024-06-03' });
    const store = await t.ctx.bars();
    const before = store.load('AAPL');
    advanceSessions(1);
    const exDate = last();
    fake.scenario = { split: { symbol: 'AAPL', ratio: 2, date: exDate } };
    fake.requests.length = 0;
    const r = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    const from = addSessions(before.length ? isoDay(before.dates[before.length - 1]) : '', -5);
    expect(fromDates('AAPL')).toEqual([from, '2024-06-03']);
    // Between the two bar requests, the provider is asked which split it was; the index records it.
    const lookup = fake.requests.find((q) => q.path === '/v3/reference/splits')!;
    expect(lookup.query).toMatchObject({ ticker: 'AAPL', 'execution_date.gte': from, 'execution_date.lte': last() });
    expect(r.symbols[0].note).toBe(`adjusted history changed (stored closes x2.0000, a split?): fetched whole; Polygon records a split 2:1 on ${exDate}`);
    const after = store.load('AAPL');
    expect(after.close[0]).toBeCloseTo(before.close[0] / 2, 6);
    expect(store.index().symbols.AAPL.splits).toEqual([{ date: exDate, ratio: 2 }]);
    // A revision that is no split keeps the recorded split and says the provider has none.
    advanceSessions(1);
    fake.scenario = { split: { symbol: 'AAPL', ratio: 4, date: '2020-01-02' } };
    const again = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    expect(again.symbols[0].note).toMatch(/fetched whole; Polygon records no split since \d{4}-\d\d-\d\d \(a revision or another adjustment\)$/);
    expect(store.index().symbols.AAPL.splits).toEqual([{ date: exDate, ratio: 2 }]);
  });

  it('a split lookup that fails costs only the split name: the adjusted history is still stored', async () => {
    await setup();
    await run({ symbols: ['AAPL'], start: '2024-06-03' });
    advanceSessions(1);
    fake.scenario = { split: { symbol: 'AAPL', ratio: 0.5, date: last() } };
    const md = await t.ctx.marketData('polygon');
    md.splits = async () => {
      throw new ProviderError('Polygon splits (page 1) for AAPL: field date is not usable ("x")');
    };
    const r = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    expect(r.symbols[0]).toMatchObject({ status: 'fetched' });
    expect(r.symbols[0].note).toMatch(/fetched whole; split lookup failed: Polygon splits \(page 1\) for AAPL: field date is not usable/);
    expect((await t.ctx.bars()).index().symbols.AAPL.splits).toEqual([]);
  });

  it('a plan refusal (403 NOT_AUTHORIZED, data timeframe) is its own error: exit 5 with a later --start, not a bad key', async () => {
    await setup();
    fake.scenario = { planHistoryFrom: '2023-01-13' };
    const err = await rejection(run({ symbols: ['AAPL', 'MSFT'] }));
    expect(err).toBeInstanceOf(PlanLimitError);
    expect(err).not.toBeInstanceOf(AuthError);
    expect(err).not.toBeInstanceOf(ConnectivityError);
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    expect(err.code).toBe('PLAN_LIMIT');
    expect(err.message).toMatch(/plan does not include history from 2015-01-13 .*Your plan doesn't include this data timeframe/);
    expect(err.hint).toMatch(/re-run with a later --start, e\.g\. --start 2023-01-13/);
    expect(err.hint).not.toMatch(/POLYGON_API_KEY/);
    expect(err.details).toMatchObject({ plan_limit: true, stopped_at: 'AAPL' });
    expect(fake.requests).toHaveLength(1);
    const ok = await run({ symbols: ['AAPL', 'MSFT'], start: '2023-06-01' });
    expect(ok.counts.fetched).toBe(2);
  });

  it('resumed: a run stopped by the provider going down mid-universe; the re-run fetches only what is missing or behind', async () => {
    await setup();
    const md = createPolygonMarketData({ baseUrl: fake.baseUrl, apiKey: KEY, requestsPerMinute: 100_000, timeoutMs: 5_000, retries: 0, sleep: async () => {} });
    t.ctx.marketData = async () => md;
    const symbols = ['AAPL', 'MSFT', 'SPY', 'XOM'];
    fake.scenario = { downAfter: 2, lastBar: { MSFT: addSessions(last(), -1) } };
    const err = await rejection(run({ symbols, start: '2024-06-03' }));
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err.details).toMatchObject({ stopped_at: 'SPY', done: 2 });
    const store = await t.ctx.bars();
    expect(Object.keys(store.index().symbols).sort()).toEqual(['AAPL', 'MSFT']);
    fake.scenario = {};
    fake.requests.length = 0;
    const r = await run({ symbols, start: '2024-06-03' });
    expect(r.symbols.map((s) => [s.symbol, s.status])).toEqual([['AAPL', 'skipped'], ['MSFT', 'fetched'], ['SPY', 'fetched'], ['XOM', 'fetched']]);
    expect(fake.requests.map((q) => [q.path.split('/')[4], q.path.split('/')[8]])).toEqual([
      ['MSFT', addSessions(last(), -6)],
      ['SPY', '2024-06-03'],
      ['XOM', '2024-06-03'],
    ]);
  });
});
