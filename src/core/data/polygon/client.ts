// Talks to Polygon through @polygon.io/client-js v8 (axios underneath). The outside contract:
// - Auth: the key goes as the `apiKey` query parameter (the SDK adds it; next_url needs it re-added).
// - Rate limit: `requests_per_minute` per rolling minute (5 on the free tier), every attempt counted;
//   HTTP 429 carries Retry-After in seconds, which is waited out before the next attempt.
// - Retries: 429, 5xx, timeouts and resets, with exponential backoff, up to `retries` times per page;
//   refused connections, 401/403 and plan refusals are final at once (errors.ts says what each becomes).
// - Pagination: a page may carry `next_url`; we follow it ourselves instead of the SDK's
//   `pagination` option, which fetches pages recursively with no rate limit or retry and puts later
//   pages first. Only its path and query are used, on the configured base URL, so the key is never
//   sent to a host the config did not name (Polygon's next_url names its own public host).
// - Time zone: a daily bar's `t` is Unix ms of midnight America/New_York of its session (map.ts).
// - Bodies are read as text and parsed here, so malformed JSON is an error, never a silent string.
import { GetStocksAggregatesSortEnum, GetStocksAggregatesTimespanEnum, restClient } from '@polygon.io/client-js';
import { RateLimiter, type Sleep } from '../../util/rate-limiter.js';
import { ProviderError, classify, failureError, isRetryable, scrubKey, type Failure } from './errors.js';
import type { SplitRecord } from '../../ports/market-data.js';
import { parseAggsPage, parseSplitsPage, type AggsPage } from './map.js';

/** A response body read as text -> JSON, or the provider's error with the start of the body (key scrubbed). */
function parseText(text: unknown, symbol: string, n: number, url: string, apiKey: string): unknown {
  try {
    return typeof text === 'string' ? JSON.parse(text) : text;
  } catch (err) {
    const excerpt = scrubKey(String(text).slice(0, 60), apiKey).replace(/\s+/g, ' ');
    throw new ProviderError(`Polygon sent malformed JSON for ${symbol} (page ${n}, ${scrubKey(url, apiKey)}): ${(err as Error).message}; body starts "${excerpt}"`, { details: { symbol, page: n } });
  }
}

/** Everything the client needs; time and sleep are injected so tests never wait. */
export interface PolygonClientOptions {
  baseUrl: string;
  apiKey: string;
  requestsPerMinute: number;
  timeoutMs: number;
  sleep: Sleep;
  /** Monotonic ms, for pacing requests. */
  now: () => number;
  /** Retries per page after the first attempt (default 4). */
  retries?: number;
  /** First backoff wait; doubles per retry up to `maxBackoffMs` (defaults 1 s and 30 s). */
  backoffMs?: number;
  maxBackoffMs?: number;
  /** Longest Retry-After honoured (default 5 min): a broken header must not hang the run. */
  maxRetryAfterMs?: number;
}

/** All pages of one request, in order. */
export interface AggsFetch {
  pages: AggsPage[];
  requests: number;
}

const MAX_PAGES = 10_000;
type HttpGet = { get(url: string, config?: object): Promise<unknown> };
type RequestOptions = NonNullable<Parameters<ReturnType<typeof restClient>['getStocksAggregates']>[8]>;

/** Polygon aggregates over the SDK, with pacing, retries and next_url pagination. */
export class PolygonClient {
  readonly limiter: RateLimiter;
  private readonly api: ReturnType<typeof restClient>;
  private readonly http: HttpGet;
  private readonly base: string;
  /** HTTP requests made so far, retries included. */
  requests = 0;

  constructor(private readonly o: PolygonClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
    this.api = restClient(o.apiKey, this.base);
    // The SDK's own axios instance (what its `pagination` option uses for next_url): same transport,
    // same error shapes. The SDK version is pinned; this check fails loudly if that ever changes.
    const http = (this.api as unknown as { axios?: HttpGet }).axios;
    if (!http || typeof http.get !== 'function') throw new Error('@polygon.io/client-js no longer exposes its HTTP instance; see src/core/data/polygon/client.ts');
    this.http = http;
    this.limiter = new RateLimiter(o.requestsPerMinute, o.now, o.sleep);
  }

  private get requestOptions(): RequestOptions {
    return { timeout: this.o.timeoutMs, responseType: 'text', headers: { Accept: 'application/json' } };
  }

  /** Adjusted daily aggregates of `symbol` for [start, end], every page, oldest first. */
  async dailyAggs(symbol: string, start: string, end: string, onPage?: (page: AggsPage, n: number) => void): Promise<AggsFetch> {
    const before = this.requests;
    const firstUrl = `${this.base}/v2/aggs/ticker/${encodeURIComponent(symbol)}/range/1/day/${start}/${end}`;
    const pages: AggsPage[] = [];
    const range = { start, end };
    let page = await this.page(symbol, range, firstUrl, 1, () =>
      this.api.getStocksAggregates(symbol, 1, GetStocksAggregatesTimespanEnum.Day, start, end, true, GetStocksAggregatesSortEnum.Asc, 50_000, this.requestOptions),
    );
    pages.push(page);
    onPage?.(page, 1);
    const seen = new Set<string>();
    while (page.nextUrl) {
      const url = this.rebase(page.nextUrl, symbol);
      if (seen.has(url) || pages.length >= MAX_PAGES) throw new ProviderError(`Polygon pagination for ${symbol} does not end (next_url repeats or over ${MAX_PAGES} pages)`, { details: { symbol, url: scrubKey(url) } });
      seen.add(url);
      page = await this.page(symbol, range, url, pages.length + 1, () => this.http.get(url, { ...this.requestOptions, params: { apiKey: this.o.apiKey } }));
      pages.push(page);
      onPage?.(page, pages.length);
    }
    return { pages, requests: this.requests - before };
  }

  /** Splits of `symbol` with an execution (ex) date in [start, end] (GET /v3/reference/splits), every page. */
  async splits(symbol: string, start: string, end: string): Promise<SplitRecord[]> {
    const range = { start, end };
    let url = `${this.base}/v3/reference/splits?ticker=${encodeURIComponent(symbol)}`;
    let text = await this.withRetries(symbol, range, url, () =>
      this.api.listStockSplits(symbol, undefined, undefined, undefined, undefined, undefined, undefined, start, undefined, end, undefined, undefined, 1000, undefined, this.requestOptions),
    );
    const out: SplitRecord[] = [];
    const seen = new Set<string>();
    for (let n = 1; ; n++) {
      const page = parseSplitsPage(parseText(text, symbol, n, url, this.o.apiKey), symbol, n);
      out.push(...page.splits);
      if (!page.nextUrl) return out.sort((a, b) => (a.date < b.date ? -1 : 1));
      url = this.rebase(page.nextUrl, symbol);
      if (seen.has(url) || n >= MAX_PAGES) throw new ProviderError(`Polygon pagination of ${symbol}'s splits does not end`, { details: { symbol } });
      seen.add(url);
      const next = url;
      text = await this.withRetries(symbol, range, next, () => this.http.get(next, { ...this.requestOptions, params: { apiKey: this.o.apiKey } }));
    }
  }

  /** next_url's path and query on the configured base (without any apiKey it may carry). */
  private rebase(next: string, symbol: string): string {
    let u: URL;
    try {
      u = new URL(next, `${this.base}/`);
    } catch {
      throw new ProviderError(`Polygon sent an unusable next_url for ${symbol}: ${scrubKey(next, this.o.apiKey).slice(0, 120)}`, { details: { symbol } });
    }
    u.searchParams.delete('apiKey');
    return `${this.base}${u.pathname}${u.search}`;
  }

  /** One page: paced, retried, parsed and validated. */
  private async page(symbol: string, range: { start: string; end: string }, url: string, n: number, send: () => Promise<unknown>): Promise<AggsPage> {
    const text = await this.withRetries(symbol, range, url, send);
    return parseAggsPage(parseText(text, symbol, n, url, this.o.apiKey), symbol, n);
  }

  private async withRetries(symbol: string, range: { start: string; end: string }, url: string, send: () => Promise<unknown>): Promise<unknown> {
    const retries = this.o.retries ?? 4;
    for (let attempt = 1; ; attempt++) {
      await this.limiter.acquire();
      this.requests++;
      let failure: Failure;
      try {
        return await send();
      } catch (err) {
        failure = classify(err);
      }
      if (!isRetryable(failure) || attempt > retries) {
        throw failureError(failure, { symbol, range, url, attempts: attempt, timeoutMs: this.o.timeoutMs, apiKey: this.o.apiKey });
      }
      await this.o.sleep(this.waitBefore(attempt, failure));
    }
  }

  /** Wait before retry `attempt`: Retry-After on a 429 when given, else exponential backoff. */
  private waitBefore(attempt: number, f: Failure): number {
    const backoff = Math.min((this.o.backoffMs ?? 1_000) * 2 ** (attempt - 1), this.o.maxBackoffMs ?? 30_000);
    if (f.kind === 'http' && f.status === 429) {
      if (f.retryAfterMs !== undefined) return Math.min(f.retryAfterMs, this.o.maxRetryAfterMs ?? 300_000);
      return Math.max(backoff, 60_000 / this.o.requestsPerMinute);
    }
    return backoff;
  }
}
