// Alpaca historical daily bars through the SDK's generated marketData.StockApi (GET /v2/stocks/bars).
// The outside contract:
// - Host: config alpaca.data_url; keys in APCA-API-* headers (added by the SDK), never in a message.
// - Query: timeframe 1Day, adjustment `split` (as Polygon's adjusted=true), feed alpaca.feed, sort
//   asc, limit 10000 data points per page; a page may carry next_page_token, followed until null.
// - Retries (the SDK's transport): reads on 408/425/429/5xx with backoff and Retry-After; every
//   attempt goes through our fetch wrapper, so `requests` counts retries too.
// - 403 is an entitlement answer (sip without a subscription, history beyond the plan): a
//   PlanLimitError, not a bad key. 401 is the keys. 429/5xx after the retries: the provider is not
//   serving (ConnectivityError, a re-run resumes). Other 4xx: that symbol only (ProviderError).
// - Time: start/end are sent as UTC instants that bracket the ET sessions (map.ts reads `t` in ET).
import { ApiError, marketData } from '@alpacahq/alpaca-trade-api/rest';
import { AuthError, ConnectivityError, KobeError, PlanLimitError } from '../../errors.js';
import { sdkParams, type AlpacaDataOptions, type FetchLike } from '../../broker/alpaca/client.js';
import { KEY_HINT, apiMessage, toKobeError } from '../../broker/alpaca/errors.js';
import { ProviderError } from '../errors.js';
import type { SplitRecord } from '../../ports/market-data.js';
import { parseBarsPage, parseSplitsPage, type AlpacaBarsPage } from './map.js';

/** What the bars client is built from. */
export interface AlpacaBarsOptions extends AlpacaDataOptions {
  /** Data points per page (Alpaca's maximum is 10000). */
  pageLimit?: number;
}

const MAX_PAGES = 10_000;
const RESUME_HINT = 'a re-run resumes: symbols already complete are skipped';

/** Paged daily bars of one symbol from Alpaca market data. */
export class AlpacaBarsClient {
  private readonly stocks: marketData.StockApi;
  private readonly actions: marketData.CorporateActionsApi;
  private readonly secrets: string[];
  /** HTTP requests made so far, retries included. */
  requests = 0;

  constructor(private readonly o: AlpacaBarsOptions) {
    const base = o.fetchApi ?? ((url: string, init: RequestInit) => fetch(url, init));
    const counted: FetchLike = (url, init) => {
      this.requests++;
      return base(url, init);
    };
    const cfg = new marketData.Configuration(sdkParams(o.dataUrl, o, counted));
    this.stocks = new marketData.StockApi(cfg);
    this.actions = new marketData.CorporateActionsApi(cfg);
    this.secrets = [o.keyId, o.secret];
  }

  /** Every page of `symbol`'s daily bars for sessions in [start, end], oldest first. */
  async dailyBars(symbol: string, start: string, end: string, onPage?: (p: AlpacaBarsPage, n: number) => void): Promise<AlpacaBarsPage[]> {
    const pages: AlpacaBarsPage[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.page(symbol, start, end, token, pages.length + 1);
      pages.push(page);
      onPage?.(page, pages.length);
      token = page.nextPageToken ?? undefined;
      if (token && (seen.has(token) || pages.length >= MAX_PAGES)) throw new ProviderError(`Alpaca pagination for ${symbol} does not end (next_page_token repeats or over ${MAX_PAGES} pages)`, { details: { symbol } });
      if (token) seen.add(token);
    } while (token);
    return pages;
  }

  /** Forward and reverse splits of `symbol` with an ex date in [start, end], every page, oldest first. */
  async splits(symbol: string, start: string, end: string): Promise<SplitRecord[]> {
    const out: SplitRecord[] = [];
    const seen = new Set<string>();
    let token: string | undefined;
    for (let n = 1; ; n++) {
      const what = `GET /v1/corporate-actions?symbols=${symbol}&types=forward_split,reverse_split ${start}..${end}${n > 1 ? ` page ${n}` : ''}`;
      let body: unknown;
      try {
        const res = await this.actions.corporateActionsRaw({ symbols: symbol, types: 'forward_split,reverse_split', start: new Date(`${start}T00:00:00Z`), end: new Date(`${end}T00:00:00Z`), limit: 1000, pageToken: token });
        const text = await res.raw.text();
        try {
          body = JSON.parse(text);
        } catch {
          throw new ProviderError(`Alpaca answered ${what} with a body that is not JSON`, { details: { symbol, page: n } });
        }
      } catch (err) {
        throw err instanceof ProviderError ? err : this.failure(err, symbol, what, start);
      }
      const page = parseSplitsPage(body, symbol, n);
      out.push(...page.splits);
      token = page.nextPageToken ?? undefined;
      if (!token) return out.sort((a, b) => (a.date < b.date ? -1 : 1));
      if (seen.has(token) || n >= MAX_PAGES) throw new ProviderError(`Alpaca pagination of ${symbol}'s corporate actions does not end`, { details: { symbol } });
      seen.add(token);
    }
  }

  private async page(symbol: string, start: string, end: string, pageToken: string | undefined, n: number): Promise<AlpacaBarsPage> {
    const what = `GET /v2/stocks/bars?symbols=${symbol}&timeframe=1Day&feed=${this.o.feed} ${start}..${end}${n > 1 ? ` page ${n}` : ''}`;
    let text: string;
    try {
      const res = await this.stocks.stockBarsRaw({
        symbols: symbol, timeframe: '1Day', adjustment: 'split', feed: this.o.feed as marketData.StockHistoricalFeed, sort: 'asc' as marketData.Sort,
        start: new Date(`${start}T00:00:00Z`), end: new Date(`${end}T23:59:59Z`), limit: this.o.pageLimit ?? 10_000, pageToken,
      });
      text = await res.raw.text();
    } catch (err) {
      throw this.failure(err, symbol, what, start);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProviderError(`Alpaca answered ${what} with a body that is not JSON`, { details: { symbol, page: n } });
    }
    return parseBarsPage(body, symbol, n);
  }

  private failure(err: unknown, symbol: string, what: string, start: string): KobeError {
    if (!(err instanceof ApiError)) return toKobeError(err, { kind: 'read', what, timeoutMs: this.o.timeoutMs, retries: this.o.retry.maxRetries, secrets: this.secrets });
    const said = apiMessage(err, this.secrets);
    const text = `HTTP ${err.status}${said ? `: ${said}` : ''}`;
    const details = { symbol, status: err.status, call: what, request_id: err.requestId ?? null };
    if (err.status === 401) return new AuthError(`Alpaca refused the API keys (${text}) on ${what}`, { hint: KEY_HINT, details });
    if (err.status === 403) {
      const hint = this.o.feed === 'sip'
        ? 'sip bars need an Alpaca market-data subscription: set alpaca.feed: iex in config/base.yaml, or subscribe'
        : `your Alpaca market-data plan refused this range: re-run with a later --start than ${start}`;
      return new PlanLimitError(`Alpaca's market-data plan does not include ${this.o.feed} bars for ${symbol} from ${start} (${text})`, { hint, details: { ...details, plan_limit: true, feed: this.o.feed } });
    }
    if (err.status === 429 || err.status >= 500) return new ConnectivityError(`Alpaca market data answered ${text} to ${what} after ${this.o.retry.maxRetries} retries`, { hint: `the provider is busy or failing; try again later: ${RESUME_HINT}`, details });
    return new ProviderError(`Alpaca answered ${text} to ${what}`, { details });
  }
}
