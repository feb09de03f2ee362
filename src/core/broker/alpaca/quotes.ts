// AlpacaQuotes: the Quotes port over Alpaca's market data API, through the SDK's generated
// marketData.StockApi (GET /v2/stocks/quotes/latest). The outside contract:
// - Host: config alpaca.data_url and nothing else (the SDK's data host default is not used).
// - Feed: config alpaca.feed: `iex` works with every account; `sip` needs a data subscription and
//   Alpaca answers 403 without one (an AuthError naming the feed, not "bad keys").
// - Auth, retries, timeouts: as the trading client (client.ts): same keys in headers, reads retried
//   on 408/425/429/5xx with backoff and Retry-After, never a secret in a message.
// - Time: a quote carries the API's own `t` (RFC-3339, nanoseconds), never the time of the request,
//   so a stale quote stays stale; callers refuse quotes older than trading.max_quote_age_s.
// - One rule for what is not a quote (map.ts toQuote): no usable two-sided quote (symbol absent,
//   bid or ask 0/missing, crossed) is null; an unreadable answer (a price that is not a finite
//   non-negative number, a timestamp that does not parse, a body that is not JSON) is a
//   BrokerDataError. A price is never read as 0.
import { ApiError, marketData } from '@alpacahq/alpaca-trade-api/rest';
import { AuthError } from '../../errors.js';
import type { Quote, Quotes } from '../../ports/quotes.js';
import { sdkParams, type AlpacaDataOptions } from './client.js';
import { BrokerDataError, apiMessage, toKobeError } from './errors.js';
import { toQuote } from './map.js';

/** What the quote client is built from. */
export type AlpacaQuotesOptions = AlpacaDataOptions;

/** Latest quotes from Alpaca market data. */
export class AlpacaQuotes implements Quotes {
  private readonly stocks: marketData.StockApi;
  private readonly secrets: string[];

  constructor(private readonly o: AlpacaQuotesOptions) {
    const cfg = new marketData.Configuration(sdkParams(o.dataUrl, o));
    this.stocks = new marketData.StockApi(cfg);
    this.secrets = [o.keyId, o.secret];
  }

  async latestQuote(symbol: string): Promise<Quote | null> {
    const what = `GET /v2/stocks/quotes/latest?symbols=${symbol}&feed=${this.o.feed}`;
    const ctx = { kind: 'read' as const, what, timeoutMs: this.o.timeoutMs, retries: this.o.retry.maxRetries, secrets: this.secrets };
    let text: string;
    try {
      const res = await this.stocks.stockLatestQuotesRaw({ symbols: symbol, feed: this.o.feed });
      text = await res.raw.text();
    } catch (err) {
      if (err instanceof ApiError && err.status === 403) {
        const said = apiMessage(err, this.secrets);
        throw new AuthError(`Alpaca refused ${this.o.feed} quotes (HTTP 403${said ? `: ${said}` : ''}) on ${what}`, {
          hint: this.o.feed === 'sip' ? 'sip quotes need an Alpaca market-data subscription: set alpaca.feed: iex, or subscribe' : 'check ALPACA_API_KEY_ID / ALPACA_API_SECRET_KEY in .env (values are never printed)',
          details: { status: 403, call: what, feed: this.o.feed },
        });
      }
      throw toKobeError(err, ctx);
    }
    let body: unknown;
    try {
      body = JSON.parse(text) as unknown;
    } catch {
      throw new BrokerDataError(`Alpaca answered ${what} with a body that is not JSON`, { details: { call: what } });
    }
    return toQuote(body, symbol);
  }
}
