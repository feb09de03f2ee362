// `data prefetch --provider alpaca`: daily bars through the SDK's market-data client against the
// fake Alpaca (paging by next_page_token, 429 retried, 403 subscription refusal, incremental runs).
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { runDataPrefetch, type DataPrefetchOptions } from '../../src/commands/data/prefetch.js';
import { AuthError, CheckFailed, ExitCode, PlanLimitError } from '../../src/core/errors.js';
import { addSessions, sessionsBetween } from '../../src/core/market/calendar.js';
import { isoDay } from '../../src/core/strategy/bars.js';
import { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { rejection } from '../helpers/prefetch.js';

let fake: FakeAlpacaServer;
let t: TestContext;
const Y2024 = { start: '2024-01-01', end: '2024-12-31' };

beforeAll(async () => {
  fake = await new FakeAlpacaServer().start();
});
afterAll(async () => fake.stop());
afterEach(() => t?.cleanup());
beforeEach(() => {
  fake.requests.length = 0;
});

async function setup(o: { feed?: 'sip'; provider?: 'alpaca' } = {}): Promise<TestContext> {
  t = await testContext({ env: { ALPACA_API_KEY_ID: fake.keyId, ALPACA_API_SECRET_KEY: fake.secret } });
  const cfg = path.join(t.home, 'config', 'base.yaml');
  let text = fs.readFileSync(cfg, 'utf8').replace('data_url: https://data.alpaca.markets', `data_url: ${fake.baseUrl}`);
  if (o.feed) text = text.replace(/feed: iex\b/, 'feed: sip');
  if (o.provider) text = text.replace(/provider: polygon\b/, `provider: ${o.provider}`);
  fs.writeFileSync(cfg, text);
  return t;
}


const run = (o: DataPrefetchOptions) => runDataPrefetch(t.ctx, o);
const barRequests = () => fake.requests.filter((r) => r.path === '/v2/stocks/bars');

describe('data prefetch --provider alpaca', () => {
  it('fetches split-adjusted 1Day bars page by page, retries a 429, records the source alpaca, then refreshes incrementally', async () => {
    await setup({ provider: 'alpaca' });
    fake.setBars('AAPL', {}, 100).setBars('MSFT');
    fake.fail({ path: '/v2/stocks/bars', status: 429, times: 1, retryAfterS: 0 });
    const r = await run({ symbols: ['AAPL', 'MSFT'], ...Y2024 });
    const sessions = sessionsBetween(Y2024.start, Y2024.end);
    expect(r.source).toBe('alpaca');
    expect(r.symbols.map((s) => [s.symbol, s.status, s.bars, s.pages])).toEqual([['AAPL', 'fetched', sessions.length, 3], ['MSFT', 'fetched', sessions.length, 3]]);
    expect(r.requests).toBe(7);
    const reqs = barRequests();
    expect(reqs.map((q) => q.status)).toEqual([429, 200, 200, 200, 200, 200, 200]);
    expect(reqs[1].query).toMatchObject({ symbols: 'AAPL', timeframe: '1Day', adjustment: 'split', feed: 'iex', sort: 'asc' });
    expect(reqs[1].query.page_token).toBeUndefined();
    expect(reqs[2].query.page_token).toBeTruthy();
    const store = await t.ctx.bars();
    expect(Array.from(store.load('AAPL').dates, isoDay)).toEqual(sessions);
    expect(store.index().symbols.AAPL).toMatchObject({ source: 'alpaca', fetched: { start: Y2024.start, end: '2024-12-31' } });
    fake.requests.length = 0;
    const again = await run({ symbols: ['AAPL', 'MSFT'], start: Y2024.start });
    expect(again.requests).toBe(2);
    expect(barRequests()[0].query.start).toBe(`${addSessions('2024-12-31', -5)}T00:00:00.000Z`);
    expect(again.symbols[0]).toMatchObject({ status: 'fetched', last: '2025-01-13', from: addSessions('2024-12-31', -5) });
  });

  it('bars only up to two sessions ago are `behind` (exit 5)', async () => {
    await setup();
    fake.setBars('AAPL', { last: addSessions('2025-01-13', -2) });
    const err = await rejection(run({ symbols: ['AAPL'], start: '2024-12-02', provider: 'alpaca' }));
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.result!.symbols[0]).toMatchObject({ status: 'behind', behind: 2, last: addSessions('2025-01-13', -2) });
  });

  it('a 403 on the sip feed is a plan refusal naming the feed (exit 5), not a key problem', async () => {
    await setup({ feed: 'sip' });
    fake.setBars('AAPL');
    fake.fail({ path: '/v2/stocks/bars', status: 403, times: 1, message: 'subscription does not permit querying recent SIP data' });
    const err = await rejection(run({ symbols: ['AAPL'], ...Y2024, provider: 'alpaca' }));
    expect(err).toBeInstanceOf(PlanLimitError);
    expect(err).not.toBeInstanceOf(AuthError);
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    expect(err.message).toMatch(/sip bars for AAPL .*subscription does not permit querying recent SIP data/);
    expect(err.hint).toMatch(/alpaca\.feed: iex/);
    expect(JSON.stringify({ m: err.message, h: err.hint, d: err.details })).not.toContain(fake.secret);
  });

  it('a split in the re-fetched sessions: the whole adjusted history again, the split asked of /v1/corporate-actions and recorded', async () => {
    await setup({ provider: 'alpaca' });
    fake.setBars('AAPL');
    await run({ symbols: ['AAPL'], start: '2024-06-03' });
    const store = await t.ctx.bars();
    const before = store.load('AAPL');
    const last = isoDay(before.dates[before.length - 1]);
    const ex = addSessions(last, 1);
    t.clock.set(`${ex}T23:00:00Z`);
    fake.setBars('AAPL', { split: { date: ex, ratio: 4 } });
    fake.requests.length = 0;
    const r = await run({ symbols: ['AAPL'], start: '2024-06-03' });
    expect(r.symbols[0].note).toBe(`adjusted history changed (stored closes x4.0000, a split?): fetched whole; Alpaca records a split 4:1 on ${ex}`);
    const ca = fake.requests.find((q) => q.path === '/v1/corporate-actions')!;
    expect(ca.query).toMatchObject({ symbols: 'AAPL', types: 'forward_split,reverse_split' });
    expect(store.index().symbols.AAPL.splits).toEqual([{ date: ex, ratio: 4 }]);
    expect(store.load('AAPL').close[0]).toBeCloseTo(before.close[0] / 4, 6);
  });
});
