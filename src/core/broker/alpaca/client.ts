// AlpacaBroker: the Broker port over @alpacahq/alpaca-trade-api v4 (its generated trading Api
// classes on one Configuration; no hand-rolled HTTP). The outside contract:
// - Host: `basePath` is config alpaca.base_url and nothing else (the SDK's `paper` flag and the
//   facade's APCA_* environment fallbacks are not used); index.ts checks it against the mode.
// - Auth: APCA-API-KEY-ID / APCA-API-SECRET-KEY headers, added by the SDK; never in a message.
// - Rate limit: Alpaca allows about 200 requests/min per account; the SDK's token bucket keeps us
//   under it, and a 429 carries Retry-After in seconds.
// - Retries (the SDK's transport): reads only (GET), on 408/425/429/5xx and network failures,
//   `maxRetries` times with exponential backoff, a Retry-After honoured but capped at `maxDelayMs`.
//   POST, PATCH and DELETE are never retried: a POST that timed out may have placed the order, a
//   PATCH may have made the replacing order.
// - Timeouts: `timeout_ms` per attempt (fetch plus body); a timed-out read is not retried.
// - Idempotency key: client_order_id. Alpaca answers 422 to a reused one, also after a cancel, so
//   a re-send can never create a second order; after an unknown outcome, look it up by that id.
// - Orders are answered `accepted`/`new` and fill later: follow them by client id, or by the
//   trade_updates stream (stream.ts: wss://<base host>/stream, the SDK's TradingStream).
// - Time zones: timestamps come with New York offsets and leave map.ts as UTC ISO; calendar dates
//   and HH:MM times are New York local.
import { trading } from '@alpacahq/alpaca-trade-api/rest';
import type { Broker, CalendarDay, ClockReport, ListOrdersQuery, OrderReport, OrderRequest, OrderStream, OrderUpdateEvent, PositionReport, AccountReport, ReplaceRequest, SubmitPermit } from '../../ports/broker.js';
import { BrokerRejection, UnknownOutcome } from '../errors.js';
import { BrokerDataError, toKobeError, type CallKind } from './errors.js';
import { toAccount, toCalendar, toCancelResults, toClock, toOrder, toOrders, toPositions, wireDecimal } from './map.js';

/** A fetch-compatible transport (tests pass one; the default is the platform fetch). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** The read retry policy handed to the SDK. */
export interface RetryPolicy {
  maxRetries: number;
  baseDelayMs: number;
  /** Cap for any one wait, Retry-After included, so a broken header cannot hang a run. */
  maxDelayMs: number;
}

/** Default read retries: 3 after the first attempt, 250 ms doubling, at most 5 s per wait. */
export const DEFAULT_RETRY: RetryPolicy = { maxRetries: 3, baseDelayMs: 250, maxDelayMs: 5_000 };

/** What the client is built from. */
/** How any Alpaca SDK client (trading or market data) connects: keys, deadlines, retries, pacing. */
export interface AlpacaConnection {
  keyId: string;
  secret: string;
  timeoutMs: number;
  retry: RetryPolicy;
  fetchApi?: FetchLike;
  /** Client-side request budget per minute (Alpaca's limit is 200). */
  requestsPerMinute?: number;
}

/** The SDK Configuration parameters of one client at `basePath` (the same for trading and data). */
export function sdkParams(basePath: string, o: AlpacaConnection, fetchApi = o.fetchApi) {
  return {
    basePath: basePath.replace(/\/+$/, ''),
    keyId: o.keyId,
    secret: o.secret,
    fetchApi,
    timeoutMs: o.timeoutMs,
    retry: { maxRetries: o.retry.maxRetries, retryDelayMs: o.retry.baseDelayMs, maxDelayMs: o.retry.maxDelayMs, respectRetryAfter: true },
    rateLimit: { maxRequests: o.requestsPerMinute ?? 190, intervalMs: 60_000 },
    redirect: 'error' as const,
  };
}

/** What the trading client is built from. */
export interface AlpacaClientOptions extends AlpacaConnection {
  baseUrl: string;
  /** The trade_updates stream's reconnect pacing (tests shorten it). */
  stream?: { initialReconnectMs?: number; maxReconnectMs?: number };
}

/** What a market-data client (quotes, bars) is built from. */
export interface AlpacaDataOptions extends AlpacaConnection {
  dataUrl: string;
  feed: 'iex' | 'sip';
}

type Raw = { raw: Response };

/** The Alpaca implementation of the Broker port. */
export class AlpacaBroker implements Broker {
  readonly name = 'alpaca' as const;
  private readonly accounts: trading.AccountsApi;
  private readonly orders: trading.OrdersApi;
  private readonly positionsApi: trading.PositionsApi;
  private readonly clockApi: trading.ClockApi;
  private readonly calendarApi: trading.CalendarApi;
  private readonly secrets: string[];

  constructor(
    /** Scheme and host of alpaca.base_url: where orders go. */
    readonly host: string,
    private readonly o: AlpacaClientOptions,
  ) {
    const cfg = new trading.Configuration(sdkParams(o.baseUrl, o));
    this.accounts = new trading.AccountsApi(cfg);
    this.orders = new trading.OrdersApi(cfg);
    this.positionsApi = new trading.PositionsApi(cfg);
    this.clockApi = new trading.ClockApi(cfg);
    this.calendarApi = new trading.CalendarApi(cfg);
    this.secrets = [o.keyId, o.secret];
  }

  /** Run one SDK call and return its parsed JSON body (or null on 404 when asked). */
  private async call(kind: CallKind, what: string, fn: () => Promise<Raw>, opts: { nullOn404?: boolean; clientOrderId?: string } = {}): Promise<unknown> {
    const ctx = { kind, what, timeoutMs: this.o.timeoutMs, retries: this.o.retry.maxRetries, clientOrderId: opts.clientOrderId, secrets: this.secrets };
    let res: Raw;
    try {
      res = await fn();
    } catch (err) {
      if (opts.nullOn404 && err instanceof trading.ApiError && err.status === 404) return null;
      throw toKobeError(err, ctx);
    }
    let text: string;
    try {
      // Always read the body, even of a 204: that is what stops the SDK's per-attempt deadline timer.
      text = await res.raw.text();
    } catch (err) {
      throw toKobeError(err, ctx);
    }
    if (res.raw.status === 204 || text === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new BrokerDataError(`Alpaca answered ${what} with a body that is not JSON (HTTP ${res.raw.status})`, { details: { call: what, status: res.raw.status } });
    }
  }

  async account(): Promise<AccountReport> {
    return toAccount(await this.call('read', 'GET /v2/account', () => this.accounts.getAccountRaw()));
  }

  async positions(): Promise<PositionReport[]> {
    const list = toPositions(await this.call('read', 'GET /v2/positions', () => this.positionsApi.getAllOpenPositionsRaw()));
    return list.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  async submitOrder(req: OrderRequest, _permit: SubmitPermit): Promise<OrderReport> {
    const bad = invalidRequest(req);
    if (bad) throw new BrokerRejection(`order ${req.client_order_id} not sent: ${bad}`, 422);
    const what = `order ${req.client_order_id}`;
    const body: trading.PostOrderRequest = {
      clientOrderId: req.client_order_id,
      symbol: req.symbol,
      side: req.side,
      qty: wireDecimal(req.qty),
      type: req.type,
      timeInForce: req.time_in_force,
      limitPrice: req.limit_price == null ? undefined : wireDecimal(req.limit_price),
      stopPrice: req.stop_price == null ? undefined : wireDecimal(req.stop_price),
      orderClass: req.order_class,
      takeProfit: req.take_profit ? { limitPrice: wireDecimal(req.take_profit.limit_price) } : undefined,
      stopLoss: req.stop_loss ? { stopPrice: wireDecimal(req.stop_loss.stop_price) } : undefined,
    };
    try {
      return toOrder(await this.call('submit', what, () => this.orders.postOrderRaw({ postOrderRequest: body }), { clientOrderId: req.client_order_id }));
    } catch (err) {
      if (!(err instanceof BrokerDataError)) throw err;
      // Alpaca took the order (2xx) but the answer is unreadable: resolve it by id like a timeout.
      throw new UnknownOutcome(`${what} was answered but ${err.message}`, { hint: 'look it up by client_order_id (`kobe reconcile`); never re-send it under a new id', details: err.details });
    }
  }

  async getOrder(id: string): Promise<OrderReport | null> {
    const what = `GET /v2/orders/${id}`;
    const raw = await this.call('read', what, () => this.orders.getOrderByOrderIDRaw({ orderId: id, nested: true }), { nullOn404: true });
    return raw === null ? null : askedFor(toOrder(raw), 'id', id, what);
  }

  async getOrderByClientId(clientOrderId: string): Promise<OrderReport | null> {
    const what = `GET /v2/orders:by_client_order_id ${clientOrderId}`;
    const raw = await this.call('read', what, () => this.orders.getOrderByClientOrderIdRaw({ clientOrderId }), { nullOn404: true });
    return raw === null ? null : askedFor(toOrder(raw), 'client_order_id', clientOrderId, what);
  }

  async listOrders(q: ListOrdersQuery): Promise<OrderReport[]> {
    // One page: at most 500 orders. Page further with `until` (desc) or `after` (asc).
    const raw = await this.call('read', `GET /v2/orders?status=${q.status}`, () =>
      this.orders.getAllOrdersRaw({
        status: q.status,
        limit: Math.min(q.limit ?? 50, 500),
        after: q.after,
        until: q.until,
        direction: q.direction ?? 'desc',
        nested: true,
        symbols: q.symbols?.length ? q.symbols.join(',') : undefined,
      }),
    );
    return toOrders(raw);
  }

  async replaceOrder(id: string, req: ReplaceRequest, _permit: SubmitPermit): Promise<OrderReport> {
    const pos = (x: number | undefined) => x === undefined || (Number.isFinite(x) && x > 0);
    if (!pos(req.qty) || !pos(req.limit_price) || !pos(req.stop_price)) throw new BrokerRejection(`replace of order ${id} not sent: qty and prices must be positive numbers`, 422);
    const body: trading.PatchOrderRequest = {
      qty: req.qty === undefined ? undefined : wireDecimal(req.qty),
      limitPrice: req.limit_price === undefined ? undefined : wireDecimal(req.limit_price),
      stopPrice: req.stop_price === undefined ? undefined : wireDecimal(req.stop_price),
      timeInForce: req.time_in_force,
      clientOrderId: req.client_order_id,
    };
    const what = `replace of order ${id}`;
    try {
      return toOrder(await this.call('submit', what, () => this.orders.patchOrderByOrderIdRaw({ orderId: id, patchOrderRequest: body }), { clientOrderId: req.client_order_id }));
    } catch (err) {
      if (!(err instanceof BrokerDataError)) throw err;
      throw new UnknownOutcome(`${what} was answered but ${err.message}`, { hint: 'read the old order back: its replaced_by names the new one', details: err.details });
    }
  }

  async streamOrderUpdates(onEvent: (e: OrderUpdateEvent) => void, onState?: (state: 'connected' | 'disconnected', detail?: string) => void): Promise<OrderStream> {
    // Loaded only here: the streaming half of the SDK pulls in ws and msgpack.
    const { openOrderStream } = await import('./stream.js');
    return openOrderStream({ baseUrl: this.o.baseUrl, keyId: this.o.keyId, secret: this.o.secret, connectTimeoutMs: Math.max(this.o.timeoutMs, 5_000), ...this.o.stream }, onEvent, onState);
  }

  async cancelOrder(id: string): Promise<void> {
    await this.call('cancel', `cancel of order ${id}`, () => this.orders.deleteOrderByOrderIDRaw({ orderId: id }));
  }

  async cancelAllOrders(): Promise<OrderReport[]> {
    const results = toCancelResults(await this.call('cancel', 'cancel of all open orders', () => this.orders.deleteAllOrdersRaw()));
    const out: OrderReport[] = [];
    for (const r of results) {
      // Alpaca puts the order in `body`; when it does not, read it back rather than guess.
      const order = r.body && typeof r.body === 'object' ? toOrder(r.body) : await this.getOrder(r.id);
      if (order) out.push(order);
    }
    return out;
  }

  async clock(): Promise<ClockReport> {
    return toClock(await this.call('read', 'GET /v2/clock', () => this.clockApi.legacyClockRaw()));
  }

  async calendar(start: string, end: string): Promise<CalendarDay[]> {
    // The SDK sends start/end as full instants. 12:00Z and 23:00Z fall on the same date in UTC and in
    // New York, and bracket the session, so either reading by the server includes both ends.
    const s = new Date(`${start}T12:00:00Z`);
    const e = new Date(`${end}T23:00:00Z`);
    if (Number.isNaN(s.getTime()) || Number.isNaN(e.getTime())) throw new BrokerRejection(`calendar range ${start}..${end} is not YYYY-MM-DD`, 400);
    return toCalendar(await this.call('read', `GET /v2/calendar ${start}..${end}`, () => this.calendarApi.legacyCalendarRaw({ start: s, end: e })), start, end);
  }
}

/**
 * A lookup answered with another order answers nothing: acting on it could cancel or book the wrong
 * order. Order ids are UUIDs (compared without case); client ids are compared exactly.
 */
function askedFor(o: OrderReport, field: 'id' | 'client_order_id', asked: string, what: string): OrderReport {
  const same = field === 'id' ? o.id.toLowerCase() === asked.toLowerCase() : o.client_order_id === asked;
  if (same) return o;
  const problem = `another order (${JSON.stringify(o[field]).slice(0, 60)})`;
  throw new BrokerDataError(`Alpaca answered ${what} with another order: field ${field}: ${problem}`, {
    hint: 'nothing was taken from it; retry, and report it if it persists',
    details: { call: what, field, problem },
  });
}

/** Why an order request must not leave at all (null when it may). */
function invalidRequest(req: OrderRequest): string | null {
  const pos = (x: number | null | undefined) => x == null || (Number.isFinite(x) && x > 0);
  if (!Number.isFinite(req.qty) || req.qty <= 0) return `qty must be a positive number, got ${req.qty}`;
  if (!pos(req.limit_price) || !pos(req.stop_price)) return 'prices must be positive numbers';
  if (!req.client_order_id || req.client_order_id.length > 128) return 'client_order_id must be 1-128 characters';
  return null;
}
