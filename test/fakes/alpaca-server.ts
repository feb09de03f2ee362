// A local fake of Alpaca's trading API, speaking the wire format of
// ../shared/reference/alpaca/trading-api.json, and no kinder than Alpaca: an order POST is answered
// `accepted` with nothing filled, and the order moves only when the test moves the market
// (tick, advance, setPrice, fill, reject, expire; or autoFillMs of real time). Every order type,
// class and status of the spec; replace by PATCH; paging of GET /v2/orders (limit <= 500,
// after/until, direction); sell quantity reserved by open sells; 422 on a reused client_order_id
// (also after a cancel); 207 on cancel-all; the trade_updates websocket (alpaca/stream.ts).
// Faults per test: a status for the next N matching requests (429 + Retry-After, 5xx, ...), slow
// routes, error bodies that echo request headers, an order POST stored but never answered, stored
// but answered 5xx, stored but invisible until revealed, duplicated and dropped stream events.
// Market data on the same server (point alpaca.data_url at baseUrl): settable latest quotes, and a
// clock and calendar that can disagree with kobe's (alpaca/market.ts).
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import { LocalHttpFake } from './local-http.js';
import { FakeBook, TERMINAL, type FakeOrder, type FillFacts } from './alpaca/book.js';
import { ordersFromPost, replacementFor, type Refusal } from './alpaca/requests.js';
import { STREAM_PATH, TradeUpdatesHub } from './alpaca/stream.js';
import { clockWire, listOrders } from './alpaca/reads.js';
import { FakeMarket, type BarsSetting, type CalendarSetting, type QuoteSetting } from './alpaca/market.js';
import { CODES, accountWire, money, orderWire, positionWire, stamp } from './alpaca/wire.js';
import { createAlpacaBroker, type RetryPolicy } from '../../src/core/broker/alpaca/index.js';
import { ConfigSchema, type KobeConfig } from '../../src/core/config/schema.js';
import type { Broker } from '../../src/core/ports/broker.js';
import { FakeClock } from '../../src/core/ports/clock.js';

export { isoEt } from './alpaca/wire.js';
export type { FakeOrder } from './alpaca/book.js';

/** Which requests a scenario applies to; omitted fields match everything. */
export interface RouteMatch {
  method?: string;
  path?: string | RegExp;
}

/** Answer `status` to the next `times` matching requests instead of serving them. */
export interface FaultRule extends RouteMatch {
  status: number;
  times: number;
  message?: string;
  /** For 429: the Retry-After header in seconds (omitted when undefined). */
  retryAfterS?: number;
  /** Echo the request headers in the error body: as a field, or inside `message`. */
  echoHeaders?: 'field' | 'message';
}

/** One request as the fake saw it; headers are kept for leak tests and never printed. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  headers: http.IncomingHttpHeaders;
}

/** Starting state of the fake account. */
export interface FakeAlpacaOptions {
  keyId?: string;
  secret?: string;
  cash?: number;
  prices?: Record<string, number>;
  /** The fake's clock before any advance(): a fixed instant, or a function (e.g. real time). */
  now?: (() => Date) | string | Date;
  /** The status a POST answers with (Alpaca: usually `accepted`, sometimes `new` or `pending_new`). */
  postStatus?: 'accepted' | 'new' | 'pending_new';
  /** Also tick this many ms of real time after each POST or PATCH (for tests that cannot drive the fake). */
  autoFillMs?: number;
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Answer = Reply | 'hold';

function matches(m: RouteMatch, method: string, path: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  return typeof m.path === 'string' ? m.path === path : m.path.test(path);
}

const isRefusal = (x: unknown): x is Refusal => !Array.isArray(x) && typeof (x as Refusal).status === 'number' && typeof (x as Refusal).message === 'string';

/** The fake server: start(), point alpaca.base_url at `baseUrl`, set scenarios, stop(). */
export class FakeAlpacaServer extends LocalHttpFake {
  protected readonly label = 'Alpaca';
  readonly requests: RecordedRequest[] = [];
  readonly keyId: string;
  readonly secret: string;
  /** The trade_updates websocket. */
  readonly stream: TradeUpdatesHub;
  private readonly book: FakeBook;
  private readonly postStatus: string;
  private readonly autoFillMs?: number;
  private faults: FaultRule[] = [];
  private delays: Array<RouteMatch & { ms: number }> = [];
  private hangOrders = 0;
  private failOrders: number[] = [];
  private hideOrders = 0;
  private readonly market: FakeMarket;

  constructor(o: FakeAlpacaOptions = {}) {
    super();
    this.keyId = o.keyId ?? 'PKTESTKEYID0001';
    this.secret = o.secret ?? 'test-secret-0001';
    this.postStatus = o.postStatus ?? 'accepted';
    this.autoFillMs = o.autoFillMs;
    const now = o.now ?? '2025-01-14T16:00:00Z';
    const base = typeof now === 'function' ? now : () => new Date(now);
    this.stream = new TradeUpdatesHub(() => ({ keyId: this.keyId, secret: this.secret }));
    this.book = new FakeBook({ AAPL: 100, MSFT: 200, XOM: 50, ...o.prices }, o.cash ?? 100_000, base, (e, ord, f) => this.publish(e, ord, f));
    this.market = new FakeMarket(() => this.book.prices, () => this.book.now());
  }

  override async start(): Promise<this> {
    await super.start();
    this.server!.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.stream.upgrade(req, socket, head));
    return this;
  }

  override async stop(): Promise<void> {
    this.stream.close();
    await super.stop();
  }

  /** The websocket URL the SDK derives from the base URL. */
  get streamUrl(): string {
    return `${this.baseUrl.replace(/^http/, 'ws')}${STREAM_PATH}`;
  }

  get orders(): FakeOrder[] {
    return this.book.orders;
  }
  get positions(): Map<string, { qty: number; avg: number }> {
    return this.book.positions;
  }
  get prices(): Record<string, number> {
    return this.book.prices;
  }
  get cash(): number {
    return this.book.cash;
  }
  set cash(v: number) {
    this.book.cash = v;
  }
  /** The fake's clock. */
  now(): Date {
    return this.book.now();
  }

  // ---- scenarios ----

  /** Answer `rule.status` to the next `rule.times` matching requests. */
  fail(rule: FaultRule): this {
    this.faults.push({ ...rule });
    return this;
  }

  /** Wait `ms` before answering matching requests. */
  slow(ms: number, match: RouteMatch = {}): this {
    this.delays.push({ ...match, ms });
    return this;
  }

  /** Store the next `n` accepted order POSTs and never answer them (the client must time out). */
  hangNextOrders(n = 1): this {
    this.hangOrders = n;
    return this;
  }

  /** Store the next `n` accepted order POSTs and answer them `status` anyway (an unknown outcome). */
  failAfterStore(status = 500, n = 1): this {
    this.failOrders.push(...Array<number>(n).fill(status));
    return this;
  }

  /** The next `n` accepted orders are stored but invisible to every read until reveal(client id). */
  hideNextOrders(n = 1): this {
    this.hideOrders = n;
    return this;
  }

  reveal(clientOrderId: string): void {
    for (const o of this.orders) if (o.client_order_id === clientOrderId || this.orders.find((p) => p.id === o.parent_id)?.client_order_id === clientOrderId) o.hidden = false;
  }

  /** Send every trade_updates event twice. */
  duplicateEvents(on = true): this {
    this.stream.duplicate = on;
    return this;
  }

  /** Cut every stream socket (the SDK is expected to reconnect; events meanwhile are lost). */
  dropStreams(): void {
    this.stream.drop();
  }

  /** Give `symbol` daily bars (through `last`, closes or whole bars overridden by date); `maxPageSize` caps every page. */
  setBars(symbol: string, b: BarsSetting = {}, maxPageSize?: number): this {
    this.market.bars.set(symbol, b);
    if (maxPageSize !== undefined) this.market.maxPageSize = maxPageSize;
    return this;
  }

  /** Set `symbol`'s latest quote (junk allowed; ts defaults to the fake's clock); null: no quote at all. */
  setQuote(symbol: string, q: QuoteSetting | null): this {
    this.market.set(symbol, q);
    return this;
  }

  /** Answer `date` on GET /v2/calendar with these times instead of kobe's; null leaves the date out. */
  calendarOverride(date: string, day: CalendarSetting): this {
    this.market.calendar.set(date, day);
    return this;
  }

  /** Answer GET /v2/clock with these fields instead of the ones from kobe's calendar. */
  clockOverride(fields: FakeMarket['clock']): this {
    this.market.clock = { ...fields };
    return this;
  }

  // ---- the market ----

  /** One step of the venue without moving the clock: accepted -> new, marketable orders fill, IOC remainders cancel. */
  tick(): void {
    this.book.tick();
  }

  /** Keep every pending_cancel pending through ticks (true) or let the next tick finish them (false). */
  stallCancels(on = true): this {
    this.book.stallCancels = on;
    return this;
  }

  /** Move the fake's clock by `ms`, then tick (a session close on the way expires day orders). */
  advance(ms: number): void {
    this.book.moveClock(ms);
    this.book.tick();
  }

  /** Move `symbol`'s price; resting orders it crosses trigger and fill at it. */
  setPrice(symbol: string, px: number): void {
    this.book.prices[symbol] = px;
    this.book.matchSymbol(symbol);
  }

  /** Fill `qty` of an open order at `price` (default: the fake price); partial when less than what remains. */
  fill(orderId: string, qty: number, price?: number): void {
    const o = this.mustFind(orderId);
    if (TERMINAL.has(o.status)) throw new Error(`fake Alpaca: order ${orderId} is ${o.status}`);
    this.book.fill(o, Math.min(qty, this.book.remaining(o)), price ?? this.book.prices[o.symbol]);
  }

  reject(orderId: string, reason = 'rejected by the venue'): void {
    this.book.reject(this.mustFind(orderId), reason);
  }

  expire(orderId: string): void {
    this.book.expire(this.mustFind(orderId));
  }

  /** Put an order at the broker directly (an operator's order from the web UI); defaults to a resting day limit. */
  addOrder(o: Partial<FakeOrder> & { symbol: string }): FakeOrder {
    const order = this.book.make({ side: 'buy', type: 'limit', qty: 1, limit_price: 1, status: 'new', ...o });
    this.book.orders.push(order);
    return order;
  }

  private mustFind(id: string): FakeOrder {
    const o = this.book.find(id);
    if (!o) throw new Error(`fake Alpaca: no order ${id}`);
    return o;
  }

  private publish(event: string, o: FakeOrder, f?: FillFacts): void {
    if (o.hidden) return;
    const data: Record<string, unknown> = { event, order: this.wire(o), timestamp: stamp(this.book.nowMs()) };
    if (f) Object.assign(data, { execution_id: f.execution_id, price: money(f.price), qty: money(f.qty), position_qty: money(f.position_qty) });
    this.stream.broadcast(data);
  }

  /** An order on the wire, legs nested. */
  wire(o: FakeOrder, nested = true): object {
    const legs = this.book.legsOf(o);
    return orderWire(o, nested && legs.length ? legs.map((l) => orderWire(l, null)) : null);
  }

  // ---- HTTP ----

  protected handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const rec: RecordedRequest = { method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, headers: req.headers };
    this.requests.push(rec);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = () => {
        if (res.destroyed) return;
        const a = this.respond(method, url, req.headers, Buffer.concat(chunks).toString('utf8'));
        if (a === 'hold') return;
        rec.status = a.status;
        res.writeHead(a.status, { 'Content-Type': 'application/json', 'X-Request-ID': randomUUID(), ...a.headers });
        res.end(a.body === undefined ? undefined : JSON.stringify(a.body));
      };
      const delay = this.delays.find((d) => matches(d, method, url.pathname))?.ms ?? 0;
      if (delay <= 0) return answer();
      const t = setTimeout(() => {
        this.timers.delete(t);
        answer();
      }, delay);
      this.timers.add(t);
    });
  }

  private error(status: number, message?: string, extra: Record<string, unknown> = {}): Reply {
    const [code, text] = CODES[status] ?? [status * 100_000, 'error'];
    return { status, body: { code, message: message ?? text, ...extra } };
  }

  private read(r: unknown[] | Refusal): Reply {
    return isRefusal(r) ? this.error(r.status, r.message) : { status: 200, body: r };
  }

  private visible(o: FakeOrder | undefined): FakeOrder | undefined {
    return o && !o.hidden ? o : undefined;
  }

  private respond(method: string, url: URL, headers: http.IncomingHttpHeaders, text: string): Answer {
    const path = url.pathname;
    const fault = this.faults.find((f) => f.times > 0 && matches(f, method, path));
    if (fault) {
      fault.times--;
      const echoed = `APCA-API-KEY-ID: ${headers['apca-api-key-id']}, APCA-API-SECRET-KEY: ${headers['apca-api-secret-key']}`;
      const message = fault.echoHeaders === 'message' ? `${fault.message ?? 'request refused'} (${echoed})` : fault.message;
      const a = this.error(fault.status, message, fault.echoHeaders === 'field' ? { request_headers: headers } : {});
      if (fault.retryAfterS !== undefined) a.headers = { 'Retry-After': String(fault.retryAfterS) };
      return a;
    }
    if (headers['apca-api-key-id'] !== this.keyId || headers['apca-api-secret-key'] !== this.secret) return this.error(401);
    const q = url.searchParams;
    const orderId = /^\/v2\/orders\/([^/]+)$/.exec(path)?.[1];
    if (method === 'GET' && path === '/v2/account') return { status: 200, body: this.account() };
    if (method === 'GET' && path === '/v2/positions') return { status: 200, body: [...this.positions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, p]) => positionWire(s, p, this.prices[s] ?? p.avg)) };
    if (method === 'GET' && path === '/v2/clock') return { status: 200, body: { ...clockWire(this.now()), ...this.market.clock } };
    if (method === 'GET' && path === '/v2/calendar') return this.read(this.market.calendarWire(q));
    if (method === 'GET' && path === '/v2/stocks/quotes/latest') {
      const r = this.market.latestQuotes(q);
      return isRefusal(r) ? this.error(r.status, r.message) : { status: 200, body: r };
    }
    if (method === 'GET' && path === '/v1/corporate-actions') return { status: 200, body: this.market.corporateActions(q) };
    const barsOf = /^\/v2\/stocks\/([^/]+)\/bars$/.exec(path)?.[1];
    if (method === 'GET' && (path === '/v2/stocks/bars' || barsOf)) {
      const r = this.market.stockBars(q, barsOf && decodeURIComponent(barsOf));
      return isRefusal(r) ? this.error(r.status, r.message) : { status: 200, body: r };
    }
    if (method === 'POST' && path === '/v2/orders') return this.post(text);
    if (method === 'GET' && path === '/v2/orders') return this.read(listOrders(this.orders, q, (o, nested) => this.wire(o, nested)));
    if (method === 'DELETE' && path === '/v2/orders') {
      const open = this.orders.filter((o) => !o.hidden && !o.parent_id && !TERMINAL.has(o.status));
      for (const o of open) this.book.requestCancel(o);
      return { status: 207, body: open.map((o) => ({ id: o.id, status: 200, body: this.wire(o) })) };
    }
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const o = this.visible(this.orders.find((x) => x.client_order_id === q.get('client_order_id')));
      return o ? { status: 200, body: this.wire(o) } : this.error(404, 'order not found');
    }
    if (orderId) {
      const o = this.visible(this.book.find(decodeURIComponent(orderId)));
      if (!o) return this.error(404, 'order not found');
      if (method === 'GET') return { status: 200, body: this.wire(o, q.get('nested') === 'true') };
      if (method === 'DELETE') {
        if (TERMINAL.has(o.status)) return this.error(422, `order is not cancelable (status ${o.status})`);
        this.book.requestCancel(o);
        return { status: 204 };
      }
      if (method === 'PATCH') return this.replace(o, text);
    }
    return this.error(404, `no route ${method} ${path}`);
  }

  private account(): object {
    let longValue = 0;
    for (const [s, p] of this.positions) longValue += p.qty * (this.prices[s] ?? p.avg);
    const equity = this.cash + longValue;
    return accountWire({ cash: this.cash, equity, lastEquity: this.book.startCash, longValue, buyingPower: this.book.buyingPower() });
  }

  private body(text: string): Record<string, unknown> | null {
    try {
      const b = JSON.parse(text) as unknown;
      return b && typeof b === 'object' && !Array.isArray(b) ? (b as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  }

  private post(text: string): Answer {
    const b = this.body(text);
    if (!b) return this.error(400, 'failed to decode request body');
    const made = ordersFromPost(this.book, b, this.postStatus);
    if (isRefusal(made)) return this.error(made.status, made.message);
    if (this.hideOrders > 0) {
      this.hideOrders--;
      for (const o of made) o.hidden = true;
    }
    this.book.orders.push(...made);
    this.autoFill();
    if (this.hangOrders > 0) {
      this.hangOrders--;
      return 'hold';
    }
    const failWith = this.failOrders.shift();
    if (failWith !== undefined) return this.error(failWith);
    return { status: 200, body: this.wire(made[0]) };
  }

  private replace(old: FakeOrder, text: string): Answer {
    const b = this.body(text);
    if (!b) return this.error(400, 'failed to decode request body');
    const next = replacementFor(this.book, old, b, this.postStatus);
    if (isRefusal(next)) return this.error(next.status, next.message);
    this.book.startReplace(old, next);
    this.autoFill();
    return { status: 200, body: this.wire(next) };
  }

  private autoFill(): void {
    if (this.autoFillMs === undefined) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.tick();
    }, this.autoFillMs);
    this.timers.add(t);
  }
}

/** A validated config whose alpaca.base_url is `baseUrl`. */
export function alpacaConfig(baseUrl: string, o: { mode?: 'paper' | 'live'; timeoutMs?: number } = {}): KobeConfig {
  return ConfigSchema.parse({
    trading: { mode: o.mode ?? 'paper' },
    broker: { name: 'alpaca', timeout_ms: o.timeoutMs ?? 2_000 },
    alpaca: { base_url: baseUrl },
    strategy: { params_sha256: 'a'.repeat(64) },
  });
}

/** An AlpacaBroker pointed at the fake, with its keys (or `secrets`), short read-retry waits and no client-side rate limit to speak of. */
export function alpacaBrokerFor(server: FakeAlpacaServer, o: { timeoutMs?: number; retry?: Partial<RetryPolicy>; secrets?: Record<string, string | undefined>; fetchApi?: (url: string, init: RequestInit) => Promise<Response>; requestsPerMinute?: number } = {}): Broker {
  return createAlpacaBroker({
    config: alpacaConfig(server.baseUrl, { timeoutMs: o.timeoutMs }),
    secrets: o.secrets ?? { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: server.secret },
    clock: new FakeClock('2025-01-14T16:00:00Z'),
    retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 2_000, ...o.retry },
    fetchApi: o.fetchApi,
    requestsPerMinute: o.requestsPerMinute ?? 60_000,
    stream: { initialReconnectMs: 50 },
  });
}
