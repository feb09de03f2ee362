// The Alpaca adapter's factory. Where orders go is decided by config alpaca.base_url alone, and the
// resolved host is checked against the mode before the broker exists: paper mode never reaches the
// live host. Keys come only from `secrets` (.env merged with the environment) and are never logged.
import type { KobeConfig } from '../../config/schema.js';
import { AuthError, ConfigError, SafetyRefusal } from '../../errors.js';
import type { Broker } from '../../ports/broker.js';
import type { Clock } from '../../ports/clock.js';
import { normaliseHost, paperHostProblem } from '../../risk/live-gates.js';
import { AlpacaBroker, DEFAULT_RETRY, type AlpacaClientOptions, type AlpacaConnection, type AlpacaDataOptions, type FetchLike, type RetryPolicy } from './client.js';
import { KEY_HINT } from './errors.js';
import { AlpacaQuotes } from './quotes.js';

export { AlpacaBroker, DEFAULT_RETRY, type FetchLike, type RetryPolicy } from './client.js';
export { BrokerDataError, KEY_HINT } from './errors.js';
export { AlpacaQuotes } from './quotes.js';

/** What the Alpaca broker is built from. */
export interface AlpacaBrokerDeps {
  config: KobeConfig;
  /** `.env` merged with the environment: ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY. */
  secrets: Record<string, string | undefined>;
  /** The domain clock (Alpaca keeps its own market clock; accepted for the factory's symmetry). */
  clock: Clock;
  /** Tests: the transport under the SDK. */
  fetchApi?: FetchLike;
  /** Tests: shorter read-retry waits. */
  retry?: Partial<RetryPolicy>;
  /** Tests: the client-side request budget per minute (default 190, under Alpaca's 200). */
  requestsPerMinute?: number;
  /** Tests: faster stream reconnects. */
  stream?: AlpacaClientOptions['stream'];
}

const LOOPBACK = /^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

/** Build the Alpaca broker, refusing a host that does not match the mode or keys that are missing. */
export function createAlpacaBroker(d: AlpacaBrokerDeps): Broker {
  const baseUrl = d.config.alpaca.base_url;
  const host = normaliseHost(baseUrl);
  const problem = paperHostProblem(d.config, host);
  if (problem) throw new SafetyRefusal(`refused at startup: ${problem}`, { hint: 'alpaca.base_url decides where orders go; paper mode needs https://paper-api.alpaca.markets', details: { host, mode: d.config.trading.mode } });
  assertKeysSafe('alpaca.base_url', baseUrl);
  return new AlpacaBroker(host, { baseUrl, ...connection(d), stream: d.stream });
}

/** Keys, deadlines and retries shared by the trading and the market-data clients. */
function connection(d: AlpacaBrokerDeps): AlpacaConnection {
  return { ...alpacaKeys(d.secrets), timeoutMs: d.config.broker.timeout_ms, retry: { ...DEFAULT_RETRY, ...d.retry }, fetchApi: d.fetchApi, requestsPerMinute: d.requestsPerMinute };
}

// The keys travel in headers: never in clear text to anything but this machine.
function assertKeysSafe(key: string, raw: string): void {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('config/base.yaml', [{ path: key, message: 'expected a URL' }]);
  }
  const host = normaliseHost(raw);
  if (url.protocol !== 'https:' && !LOOPBACK.test(host)) {
    throw new SafetyRefusal(`refused at startup: ${key} ${host} is not https, the API keys would travel in clear text`, { hint: `use an https:// URL for ${key}` });
  }
}

function alpacaKeys(secrets: Record<string, string | undefined>): { keyId: string; secret: string } {
  const keyId = secrets.ALPACA_API_KEY_ID?.trim();
  const secret = secrets.ALPACA_API_SECRET_KEY?.trim();
  const missing = [!keyId && 'ALPACA_API_KEY_ID', !secret && 'ALPACA_API_SECRET_KEY'].filter(Boolean);
  if (missing.length) throw new AuthError(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`, { hint: KEY_HINT, details: { missing } });
  return { keyId: keyId!, secret: secret! };
}

/** Market-data access at alpaca.data_url (feed alpaca.feed) with the broker's keys: host and keys checked. */
export function alpacaDataAccess(d: AlpacaBrokerDeps): AlpacaDataOptions {
  const dataUrl = d.config.alpaca.data_url;
  assertKeysSafe('alpaca.data_url', dataUrl);
  return { dataUrl, feed: d.config.alpaca.feed, ...connection(d) };
}

/** Latest quotes from Alpaca market data at alpaca.data_url (feed alpaca.feed), with the broker's keys. */
export function createAlpacaQuotes(d: AlpacaBrokerDeps): AlpacaQuotes {
  return new AlpacaQuotes(alpacaDataAccess(d));
}
