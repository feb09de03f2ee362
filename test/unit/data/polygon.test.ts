// The Polygon adapter against the local fake Polygon server, through the real @polygon.io/client-js.
import { beforeEach, describe, expect, it } from '@jest/globals';
import { ProviderError, createPolygonMarketData, type PolygonOptions } from '../../../src/core/data/polygon/index.js';
import { barsToSeries, parseAggsPage } from '../../../src/core/data/polygon/map.js';
import { retryAfterMs, scrubKey } from '../../../src/core/data/polygon/errors.js';
import { AuthError, ConnectivityError, ExitCode } from '../../../src/core/errors.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { RateLimiter } from '../../../src/core/util/rate-limiter.js';
import { isoDay } from '../../../src/core/strategy/bars.js';
import { FakePolygonServer, fakeBars, wireDate } from '../../fakes/polygon-server.js';
import { useFakePolygon } from '../../helpers/prefetch.js';

const KEY = 'test-key-123';
let fake: FakePolygonServer;
let waits: number[];
let clock: number;

useFakePolygon(KEY, (s) => (fake = s));
beforeEach(() => {
  waits = [];
  clock = 0;
});

/** An adapter on the fake with a fake clock: sleeping only records the wait and moves the clock. */
function adapter(o: Partial<PolygonOptions> = {}) {
  return createPolygonMarketData({
    baseUrl: fake.baseUrl,
    apiKey: KEY,
    requestsPerMinute: 1_000_000,
    timeoutMs: 2_000,
    backoffMs: 100,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
    now: () => clock,
    ...o,
  });
}

async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('Polygon adapter: wire format', () => {
  it('maps the recorded AAPL response: adjusted daily bars, t at New York midnight across the DST change', async () => {
    const r = await adapter().dailyBars('AAPL', '2005-04-01', '2005-04-04');
    expect(r.pages).toBe(1);
    expect(r.requests).toBe(1);
    const s = r.series;
    expect([isoDay(s.dates[0]), isoDay(s.dates[1])]).toEqual(['2005-04-01', '2005-04-04']);
    expect([s.open[0], s.high[0], s.low[0], s.close[0], s.volume[0]]).toEqual([1.5032, 1.5064, 1.4489, 1.4604, 642646396]);
    expect(s.close[1]).toBe(1.4675);
    const [req] = fake.requests;
    expect(req.path).toBe('/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04');
    expect(req.query).toEqual({ adjusted: 'true', sort: 'asc', limit: '50000' });
    expect(req.keyOk).toBe(true);
  });

  it('follows next_url page by page, with the key, and assembles the bars in order', async () => {
    fake.scenario = { pageSize: 100 };
    const progress: number[] = [];
    const r = await adapter().dailyBars('MSFT', '2024-01-01', '2024-12-31', (p) => progress.push(p.page));
    const sessions = sessionsBetween('2024-01-01', '2024-12-31');
    expect(r.pages).toBe(3);
    expect(progress).toEqual([1, 2, 3]);
    expect(Array.from(r.series.dates, isoDay)).toEqual(sessions);
    expect(r.series.close[150]).toBe(fakeBars('MSFT', '2024-01-01', '2024-12-31')[150].c);
    const reqs = fake.requestsFor('MSFT');
    expect(reqs).toHaveLength(3);
    expect(reqs.every((q) => q.keyOk)).toBe(true);
    expect(reqs[0].query.cursor).toBeUndefined();
    expect(reqs[1].query.cursor).toBeDefined();
    expect(reqs[2].query.cursor).not.toBe(reqs[1].query.cursor);
  });

  it('requests next pages on the configured base, never on the host next_url names', async () => {
    const decoy = await new FakePolygonServer(KEY).start();
    try {
      fake.scenario = { pageSize: 100, nextOrigin: decoy.baseUrl };
      const r = await adapter().dailyBars('MSFT', '2024-01-01', '2024-12-31');
      expect(r.pages).toBe(3);
      expect(fake.requestsFor('MSFT')).toHaveLength(3);
      expect(decoy.requests).toHaveLength(0);
    } finally {
      await decoy.stop();
    }
  });

  it('an unknown symbol answered with no results is an empty series, not an error', async () => {
    fake.scenario = { symbols: ['AAPL'] };
    const r = await adapter().dailyBars('ZZZZ', '2024-01-01', '2024-01-31');
    expect(r.series.length).toBe(0);
    expect(r.pages).toBe(1);
  });

  it('a 404 for a symbol is a provider error (exit 1) naming it', async () => {
    fake.scenario = { notFound: ['NOPE'] };
    const err = await failure(adapter().dailyBars('NOPE', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).exitCode).toBe(ExitCode.FAILURE);
    expect(err.message).toMatch(/HTTP 404: Ticker NOPE not found/);
    expect(fake.requests).toHaveLength(1);
  });

  it('malformed JSON is a clear provider error, not retried', async () => {
    fake.scenario = { malformed: [{ symbol: 'AAPL' }] };
    const err = await failure(adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toMatch(/malformed JSON for AAPL \(page 1/);
    expect(err.message).not.toContain(KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it('a non-numeric or missing price field names the symbol and date, never becomes 0', async () => {
    fake.scenario = { badBar: { symbol: 'AAPL', index: 3, field: 'c', value: 'n/a' } };
    const date = sessionsBetween('2024-01-01', '2024-01-31')[3];
    const err = await failure(adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ProviderError);
    expect(err.message).toBe(`Polygon bar for AAPL on ${date}: field c is not a number ("n/a")`);
    fake.scenario = { badBar: { symbol: 'AAPL', index: 0, field: 'v', value: undefined } };
    const missing = await failure(adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(missing.message).toBe(`Polygon bar for AAPL on 2024-01-02: field v is missing`);
  });
});

describe('Polygon adapter: retries, limits and failures', () => {
  it('honours 429 Retry-After, then succeeds', async () => {
    fake.scenario = { rateLimited: { requests: 2, retryAfterS: 7 } };
    const r = await adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31');
    expect(r.series.length).toBe(sessionsBetween('2024-01-01', '2024-01-31').length);
    expect(waits).toEqual([7_000, 7_000]);
    expect(r.requests).toBe(3);
    expect(fake.requests.map((q) => q.status)).toEqual([429, 429, 200]);
  });

  it('a 429 without Retry-After waits at least one request slot of the per-minute budget', async () => {
    fake.scenario = { rateLimited: { requests: 1, retryAfterS: null } };
    await adapter({ requestsPerMinute: 5 }).dailyBars('AAPL', '2024-01-01', '2024-01-31');
    expect(waits).toEqual([12_000]);
  });

  it('retries 500s with exponential backoff, then succeeds', async () => {
    fake.scenario = { serverErrors: { requests: 3 } };
    const r = await adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31');
    expect(r.series.length).toBeGreaterThan(0);
    expect(waits).toEqual([100, 200, 400]);
    expect(r.requests).toBe(4);
    fake.scenario = { serverErrors: { requests: 1, status: 503 } };
    await adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31');
    expect(fake.requests.slice(-2).map((q) => q.status)).toEqual([503, 200]);
  });

  it('500 forever is a connectivity error (exit 4) after the retry budget', async () => {
    fake.scenario = { serverErrors: { requests: Infinity } };
    const err = await failure(adapter({ retries: 3 }).dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ConnectivityError);
    expect((err as ConnectivityError).exitCode).toBe(ExitCode.CONNECTIVITY);
    expect(err.message).toMatch(/HTTP 500: Internal server error .*\(4 attempts\)/);
    expect(fake.requests).toHaveLength(4);
    expect(waits).toEqual([100, 200, 400]);
  });

  it('a slow provider times out: connectivity error after the retries', async () => {
    fake.scenario = { delayMs: 3_000 };
    const t0 = Date.now();
    const err = await failure(adapter({ timeoutMs: 150, retries: 1 }).dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err.message).toMatch(/did not answer within 150 ms .*\(2 attempts\)/);
    expect(Date.now() - t0).toBeLessThan(2_500);
  });

  it.each([401, 403] as const)('HTTP %i is an auth error (exit 4) with the key hint, never retried, key not shown', async (status) => {
    fake.scenario = { refuse: status };
    const err = await failure(adapter().dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(ExitCode.CONNECTIVITY);
    expect((err as AuthError).hint).toMatch(/check POLYGON_API_KEY in \.env/);
    expect(err.message).toContain(`HTTP ${status}`);
    expect(JSON.stringify({ m: err.message, d: (err as AuthError).details })).not.toContain(KEY);
    expect(fake.requests).toHaveLength(1);
  });

  it('a wrong key is refused by the server (401)', async () => {
    const err = await failure(adapter({ apiKey: 'wrong-key-999' }).dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toMatch(/Unknown API Key/);
    expect(fake.requests[0].keyOk).toBe(false);
  });

  it('an unreachable provider is a connectivity error at once', async () => {
    const gone = await new FakePolygonServer(KEY).start();
    const baseUrl = gone.baseUrl;
    await gone.stop();
    const err = await failure(adapter({ baseUrl }).dailyBars('AAPL', '2024-01-01', '2024-01-31'));
    expect(err).toBeInstanceOf(ConnectivityError);
    expect(err.message).toMatch(/cannot reach Polygon at http:\/\/127\.0\.0\.1:\d+\/v2\/aggs\/ticker\/AAPL.* \(ECONNREFUSED\)/);
    expect(waits).toEqual([]);
  });

  it('paces requests to requests_per_minute with a rolling window', async () => {
    fake.scenario = { pageSize: 5 };
    const md = adapter({ requestsPerMinute: 2 });
    const r = await md.dailyBars('AAPL', '2024-01-02', '2024-01-12');
    expect(r.pages).toBe(2);
    expect(waits).toEqual([]);
    await md.dailyBars('MSFT', '2024-01-02', '2024-01-05');
    expect(waits).toEqual([60_000]);
    clock += 30_000;
    await md.dailyBars('SPY', '2024-01-02', '2024-01-05');
    expect(waits).toEqual([60_000]);
    await md.dailyBars('SPY', '2024-01-02', '2024-01-05');
    expect(waits).toEqual([60_000, 30_000]);
    expect(md.client.limiter.waitedMs).toBe(90_000);
  });
});

describe('Polygon map and helpers', () => {
  const bar = (t: number, c = 10) => ({ o: c, h: c, l: c, c, v: 100, t });
  const day = (d: string) => fakeBars('X', d, d)[0].t;

  it('sorts bars by ET date and rejects duplicate dates', () => {
    const s = barsToSeries('X', [bar(day('2024-01-03'), 3), bar(day('2024-01-02'), 2)]);
    expect(Array.from(s.dates, isoDay)).toEqual(['2024-01-02', '2024-01-03']);
    expect(Array.from(s.close)).toEqual([2, 3]);
    expect(() => barsToSeries('X', [bar(day('2024-01-02')), bar(day('2024-01-02') + 3_600_000)])).toThrow('Polygon sent two bars for X on 2024-01-02');
  });

  it('t is read as the New York calendar date (midnight ET is 04:00 or 05:00 UTC)', () => {
    expect(wireDate({ t: 1112331600000 })).toBe('2005-04-01');
    expect(isoDay(barsToSeries('X', [bar(Date.UTC(2024, 6, 1, 4))]).dates[0])).toBe('2024-07-01');
    expect(isoDay(barsToSeries('X', [bar(Date.UTC(2024, 0, 2, 5))]).dates[0])).toBe('2024-01-02');
  });

  it('rejects error statuses, another ticker, unadjusted bars and junk pages', () => {
    expect(() => parseAggsPage({ status: 'ERROR', error: 'bad things' }, 'AAPL', 1)).toThrow('Polygon aggregates for AAPL (page 1): status ERROR (bad things)');
    expect(() => parseAggsPage({ status: 'OK', ticker: 'MSFT' }, 'AAPL', 2)).toThrow(/page 2\): answered for ticker MSFT/);
    expect(() => parseAggsPage({ status: 'OK', adjusted: false }, 'AAPL', 1)).toThrow(/not split-adjusted/);
    expect(() => parseAggsPage([1, 2], 'AAPL', 1)).toThrow(ProviderError);
    expect(parseAggsPage({ status: 'DELAYED', ticker: 'AAPL', next_url: 'x' }, 'AAPL', 1)).toEqual({ results: [], nextUrl: 'x', requestId: null });
  });

  it('scrubs the key from URLs and text', () => {
    expect(scrubKey('GET https://h/v2/aggs?cursor=a&apiKey=s3cr3tvalue&x=1', 's3cr3tvalue')).toBe('GET https://h/v2/aggs?cursor=a&apiKey=[redacted]&x=1');
    expect(scrubKey('key s3cr3tvalue echoed', 's3cr3tvalue')).toBe('key [redacted] echoed');
  });

  it('reads Retry-After seconds; an HTTP date falls back to backoff', () => {
    expect(retryAfterMs('12')).toBe(12_000);
    expect(retryAfterMs(['3'])).toBe(3_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('a fractional per-minute limit spaces requests out', async () => {
    const w: number[] = [];
    let t = 0;
    const lim = new RateLimiter(0.5, () => t, async (ms) => {
      w.push(ms);
      t += ms;
    });
    await lim.acquire();
    await lim.acquire();
    expect(w).toEqual([120_000]);
    expect(() => new RateLimiter(0, () => 0, async () => undefined)).toThrow(RangeError);
  });
});
