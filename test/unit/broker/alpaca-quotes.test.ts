// Alpaca latest quotes through the SDK's market-data client against the fake server: each quote
// carries the API's timestamp, what is not a usable quote is null, junk is a BrokerDataError
// (never 0), reads are retried on 429/5xx, and no key ever reaches a message.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { BrokerDataError, createAlpacaQuotes } from '../../../src/core/broker/alpaca/index.js';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import { AuthError, SafetyRefusal, TransientBrokerError } from '../../../src/core/errors.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import type { Quotes } from '../../../src/core/ports/quotes.js';
import { FakeAlpacaServer } from '../../fakes/alpaca-server.js';

const NOW = '2025-01-14T16:00:00Z';
const PATH = '/v2/stocks/quotes/latest';
let server: FakeAlpacaServer;
beforeEach(async () => {
  server = await new FakeAlpacaServer({ now: NOW, keyId: 'PKCANARYKEY123', secret: 'canary-secret-xyz' }).start();
});
afterEach(async () => server.stop());

function quotes(o: { feed?: 'iex' | 'sip'; dataUrl?: string; maxRetries?: number } = {}): Quotes {
  const config = ConfigSchema.parse({ broker: { name: 'alpaca', timeout_ms: 2_000 }, alpaca: { base_url: server.baseUrl, data_url: o.dataUrl ?? server.baseUrl, ...(o.feed ? { feed: o.feed } : {}) }, strategy: { params_sha256: 'a'.repeat(64) } });
  return createAlpacaQuotes({ config, secrets: { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: server.secret }, clock: new FakeClock(NOW), retry: { maxRetries: o.maxRetries ?? 2, baseDelayMs: 5, maxDelayMs: 50 }, requestsPerMinute: 60_000 });
}
const hits = () => server.requests.filter((r) => r.path === PATH);

describe('alpaca latest quotes', () => {
  it('reads the quote at alpaca.data_url with feed iex by default, stamped with the API\'s time, not the time of the request', async () => {
    const q = await quotes().latestQuote('AAPL');
    expect(q).toEqual({ symbol: 'AAPL', bid: 99.99, ask: 100.01, ts: '2025-01-14T16:00:00.000Z' });
    expect(hits().map((r) => r.query)).toEqual([{ symbols: 'AAPL', feed: 'iex' }]);
    server.setQuote('MSFT', { bid: 199.5, ask: 200.5, ts: '2025-01-14T15:41:07.123456789Z' });
    expect(await quotes({ feed: 'sip' }).latestQuote('MSFT')).toEqual({ symbol: 'MSFT', bid: 199.5, ask: 200.5, ts: '2025-01-14T15:41:07.123Z' });
    expect(hits()[1].query.feed).toBe('sip');
  });

  it('a stale quote keeps its old timestamp (the caller judges its age)', async () => {
    server.setQuote('AAPL', { bid: 99, ask: 101, ts: new Date(Date.parse(NOW) - 3_600_000) });
    expect((await quotes().latestQuote('AAPL'))!.ts).toBe('2025-01-14T15:00:00.000Z');
  });

  it.each([
    ['an unknown symbol', 'ZZZZ', undefined],
    ['a symbol with no quote', 'AAPL', null],
    ['no active bid (0)', 'AAPL', { bid: 0, ask: 100 }],
    ['no active ask (0)', 'AAPL', { bid: 99, ask: 0 }],
    ['the ask absent', 'AAPL', { bid: 99, ask: undefined }],
    ['a crossed quote', 'AAPL', { bid: 101, ask: 100 }],
  ])('%s is null, never a zero price', async (_what, symbol, set) => {
    if (set !== undefined) server.setQuote(symbol, set);
    expect(await quotes().latestQuote(symbol)).toBeNull();
  });

  it.each([
    ['a price as a string', { bid: '99.5', ask: 100 }, /field bp/],
    ['a negative price', { bid: 99, ask: -1 }, /field ap/],
    ['a non-number', { bid: 99, ask: { px: 1 } }, /field ap/],
    ['a timestamp that does not parse', { bid: 99, ask: 100, ts: 'yesterday' }, /field t: not a timestamp/],
  ])('junk (%s) is a BrokerDataError naming the field', async (_what, set, field) => {
    server.setQuote('AAPL', set);
    const err = await quotes().latestQuote('AAPL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BrokerDataError);
    expect((err as Error).message).toMatch(field);
  });

  it('429 and 5xx are retried as reads (Retry-After honoured); past the retries a TransientBrokerError without the keys', async () => {
    server.fail({ path: PATH, status: 429, times: 1, retryAfterS: 0 }).fail({ path: PATH, status: 503, times: 1 });
    expect((await quotes().latestQuote('AAPL'))!.ask).toBe(100.01);
    expect(hits().map((r) => r.status)).toEqual([429, 503, 200]);
    server.fail({ path: PATH, status: 500, times: 10, echoHeaders: 'message' });
    const err = await quotes({ maxRetries: 1 }).latestQuote('AAPL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransientBrokerError);
    const text = JSON.stringify({ m: (err as TransientBrokerError).message, h: (err as TransientBrokerError).hint, d: (err as TransientBrokerError).details });
    expect(text).toMatch(/HTTP 500/);
    expect(text).not.toContain(server.keyId);
    expect(text).not.toContain(server.secret);
  });

  it('a 403 names the feed and its plan, not the keys, and carries no secret', async () => {
    server.fail({ path: PATH, status: 403, times: 1, message: 'subscription does not permit querying recent SIP data', echoHeaders: 'message' });
    const err = await quotes({ feed: 'sip' }).latestQuote('AAPL').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).message).toMatch(/refused sip quotes \(HTTP 403/);
    expect((err as AuthError).hint).toMatch(/alpaca\.feed: iex/);
    expect((err as AuthError).message).not.toContain(server.secret);
  });

  it('refuses a data_url that would send the keys in clear text', () => {
    expect(() => quotes({ dataUrl: 'http://data.example.com' })).toThrow(SafetyRefusal);
  });
});
