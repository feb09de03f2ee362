// A local fake of Alpaca's trading REST API, speaking the wire format of
// ../shared/reference/alpaca/trading-api.json: money and quantities as numeric strings, {code,
// message} error envelopes, 422 on a reused client_order_id (also after a cancel), 207 on cancel-all.
// The real SDK talks to it over HTTP on 127.0.0.1. Per-test scenarios: answer a status for the
// next N matching requests (401, 403, 429 + Retry-After, 500, ...), slow routes, error bodies that
// echo the request headers, and an order POST that is stored but never answered.
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { LocalHttpFake } from './local-http.js';
import { createAlpacaBroker, type RetryPolicy } from '../../src/core/broker/alpaca/index.js';
import { ConfigSchema, type KobeConfig } from '../../src/core/config/schema.js';
import { closeTimeEt, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../../src/core/market/calendar.js';
import { etDate, etOffsetMinutes } from '../../src/core/market/time.js';
import type { Broker } from '../../src/core/ports/broker.js';
import { FakeClock } from '../../src/core/ports/clock.js';

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

/** An order as the fake keeps it (numbers); served with numeric strings. */
export interface FakeOrder {
  id: string;
  client_order_id: string;
  symbol: string;
  side: 'buy' | 'sell';
  type: string;
  time_in_force: string;
  order_class: string;
  qty: number;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  status: string;
  submitted_at: string;
  filled_at: string | null;
  canceled_at: string | null;
  updated_at: string;
}

/** Starting state of the fake account. */
export interface FakeAlpacaOptions {
  keyId?: string;
  secret?: string;
  cash?: number;
  prices?: Record<string, number>;
  now?: () => Date;
}

const TERMINAL = new Set(['filled', 'canceled', 'expired', 'replaced', 'rejected', 'done_for_day', 'stopped', 'suspended']);
const CODES: Record<number, [number, string]> = {
  400: [40010000, 'invalid request'], 401: [40110000, 'request is not authorized'], 403: [40310000, 'forbidden'], 404: [40410000, 'not found'],
  422: [40010001, 'invalid input'], 429: [42910000, 'rate limit exceeded'], 500: [50010000, 'internal server error'],
};

const money = (n: number | null) => (n === null ? null : String(Math.round(n * 10_000) / 10_000));
const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');

/** An instant with New York's offset, as Alpaca writes clock times ("...T11:00:00-05:00"). */
export function isoEt(d: Date): string {
  const off = etOffsetMinutes(d);
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${off < 0 ? '-' : '+'}${pad(Math.abs(off) / 60)}:${pad(Math.abs(off) % 60)}`;
}

function matches(m: RouteMatch, method: string, path: string): boolean {
  if (m.method && m.method.toUpperCase() !== method) return false;
  if (m.path === undefined) return true;
  return typeof m.path === 'string' ? m.path === path : m.path.test(path);
}

type Reply = { status: number; body?: unknown; headers?: Record<string, string> };
type Answer = Reply | 'hold';

/** The fake server: start(), point alpaca.base_url at `baseUrl`, set scenarios, stop(). */
export class FakeAlpacaServer extends LocalHttpFake {
  protected readonly label = 'Alpaca';
  readonly requests: RecordedRequest[] = [];
  readonly orders: FakeOrder[] = [];
  readonly positions = new Map<string, { qty: number; avg: number }>();
  readonly prices: Record<string, number>;
  readonly keyId: string;
  readonly secret: string;
  cash: number;
  private readonly startCash: number;
  private readonly now: () => Date;
  private faults: FaultRule[] = [];
  private delays: Array<RouteMatch & { ms: number }> = [];
  private hangOrders = 0;

  constructor(o: FakeAlpacaOptions = {}) {
    super();
    this.keyId = o.keyId ?? 'PKTESTKEYID0001';
    this.secret = o.secret ?? 'test-secret-0001';
    this.cash = this.startCash = o.cash ?? 100_000;
    this.prices = { AAPL: 100, MSFT: 200, XOM: 50, ...o.prices };
    this.now = o.now ?? (() => new Date('2025-01-14T16:00:00Z'));
  }

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
    if (method === 'GET' && path === '/v2/positions') return { status: 200, body: [...this.positions].sort(([a], [b]) => (a < b ? -1 : 1)).map(([s, p]) => this.position(s, p)) };
    if (method === 'GET' && path === '/v2/clock') return { status: 200, body: this.clock() };
    if (method === 'GET' && path === '/v2/calendar') return this.calendar(q.get('start'), q.get('end'));
    if (method === 'POST' && path === '/v2/orders') return this.post(text);
    if (method === 'GET' && path === '/v2/orders') return this.list(q);
    if (method === 'DELETE' && path === '/v2/orders') {
      const open = this.orders.filter((o) => !TERMINAL.has(o.status));
      return { status: 207, body: open.map((o) => (this.cancel(o), { id: o.id, status: 200, body: this.wire(o) })) };
    }
    if (method === 'GET' && path === '/v2/orders:by_client_order_id') {
      const o = this.orders.find((x) => x.client_order_id === q.get('client_order_id'));
      return o ? { status: 200, body: this.wire(o) } : this.error(404, 'order not found');
    }
    if (orderId) {
      const o = this.orders.find((x) => x.id === decodeURIComponent(orderId));
      if (!o) return this.error(404, 'order not found');
      if (method === 'GET') return { status: 200, body: this.wire(o) };
      if (method === 'DELETE') {
        if (TERMINAL.has(o.status)) return this.error(422, `order is not cancelable (status ${o.status})`);
        this.cancel(o);
        return { status: 204 };
      }
    }
    return this.error(404, `no route ${method} ${path}`);
  }

  private buyingPower(): number {
    let reserved = 0;
    for (const o of this.orders) if (o.side === 'buy' && !TERMINAL.has(o.status)) reserved += (o.qty - o.filled_qty) * (o.limit_price ?? this.prices[o.symbol] ?? 0);
    return this.cash - reserved;
  }

  private account(): object {
    let mv = 0;
    for (const [s, p] of this.positions) mv += p.qty * (this.prices[s] ?? p.avg);
    const equity = this.cash + mv;
    return {
      id: 'f3e0f8c2-6a44-4a7c-9b7e-000000000001', account_number: 'PA3FAKE0001', status: 'ACTIVE', crypto_status: 'INACTIVE', currency: 'USD',
      cash: money(this.cash), portfolio_value: money(equity), equity: money(equity), last_equity: money(this.startCash), long_market_value: money(mv),
      short_market_value: '0', buying_power: money(this.buyingPower()), regt_buying_power: money(this.buyingPower()), multiplier: '1',
      pattern_day_trader: false, trading_blocked: false, transfers_blocked: false, account_blocked: false, trade_suspended_by_user: false,
      shorting_enabled: false, daytrade_count: 0, created_at: '2024-01-02T15:04:05.123456Z',
    };
  }

  private position(symbol: string, p: { qty: number; avg: number }): object {
    const px = this.prices[symbol] ?? p.avg;
    return {
      asset_id: '904837e3-3b76-47ec-b432-046db621571b', symbol, exchange: 'NASDAQ', asset_class: 'us_equity', asset_marginable: false,
      qty: money(p.qty), qty_available: money(p.qty), side: 'long', avg_entry_price: money(p.avg), market_value: money(p.qty * px),
      cost_basis: money(p.qty * p.avg), unrealized_pl: money((px - p.avg) * p.qty), unrealized_plpc: money((px - p.avg) / p.avg),
      unrealized_intraday_pl: '0', unrealized_intraday_plpc: '0', current_price: money(px), lastday_price: money(px), change_today: '0',
    };
  }

  /** An order on the wire, as the real API sends it. */
  wire(o: FakeOrder): object {
    return {
      id: o.id, client_order_id: o.client_order_id, created_at: o.submitted_at, updated_at: o.updated_at, submitted_at: o.submitted_at,
      filled_at: o.filled_at, expired_at: null, canceled_at: o.canceled_at, failed_at: null, replaced_at: null, replaced_by: null, replaces: null,
      asset_id: 'b0b6dd9d-8b9b-48a9-ba46-b9d54906e415', symbol: o.symbol, asset_class: 'us_equity', notional: null, qty: money(o.qty),
      filled_qty: money(o.filled_qty), filled_avg_price: money(o.filled_avg_price), order_class: o.order_class === 'simple' ? '' : o.order_class,
      order_type: o.type, type: o.type, side: o.side, time_in_force: o.time_in_force, limit_price: money(o.limit_price), stop_price: money(o.stop_price),
      status: o.status, extended_hours: false, legs: null, trail_percent: null, trail_price: null, hwm: null, position_intent: o.side === 'buy' ? 'buy_to_open' : 'sell_to_close',
    };
  }

  private post(text: string): Answer {
    let b: Record<string, unknown>;
    try {
      b = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return this.error(400, 'failed to decode request body');
    }
    const num = (v: unknown) => (typeof v === 'string' && /^\d+(\.\d+)?$/.test(v) ? Number(v) : null);
    const qty = num(b.qty);
    const symbol = String(b.symbol ?? '');
    const limit = b.limit_price === undefined ? null : num(b.limit_price);
    const cid = typeof b.client_order_id === 'string' ? b.client_order_id : randomUUID();
    if (this.orders.some((o) => o.client_order_id === cid)) return this.error(422, 'client_order_id must be unique');
    if (!(symbol in this.prices)) return this.error(422, `asset "${symbol}" not found`);
    if (qty === null || qty <= 0) return this.error(422, 'qty must be > 0');
    if ((b.type === 'limit' || b.type === 'stop_limit') && !(limit! > 0)) return this.error(422, 'invalid limit_price');
    if (b.side !== 'buy' && b.side !== 'sell') return this.error(422, 'invalid side');
    const px = this.prices[symbol];
    if (b.side === 'buy' && qty * (limit ?? px) > this.buyingPower()) return this.error(403, 'insufficient buying power');
    if (b.side === 'sell') {
      let available = this.positions.get(symbol)?.qty ?? 0;
      for (const o of this.orders) if (o.symbol === symbol && o.side === 'sell' && !TERMINAL.has(o.status)) available -= o.qty - o.filled_qty;
      if (qty > available) return this.error(403, `insufficient qty available for order (requested: ${qty}, available: ${available})`);
    }
    const at = this.now().toISOString();
    const o: FakeOrder = {
      id: randomUUID(), client_order_id: cid, symbol, side: b.side, type: String(b.type), time_in_force: String(b.time_in_force ?? 'day'),
      order_class: String(b.order_class || 'simple'), qty, filled_qty: 0, filled_avg_price: null, limit_price: limit,
      stop_price: b.stop_price === undefined ? null : num(b.stop_price), status: 'accepted', submitted_at: at, filled_at: null, canceled_at: null, updated_at: at,
    };
    this.orders.push(o);
    const marketable = o.type === 'market' || (o.type === 'limit' && (o.side === 'buy' ? limit! >= px : limit! <= px));
    if (marketable) this.fill(o, px, at);
    else if (o.time_in_force === 'ioc' || o.time_in_force === 'fok') this.cancel(o);
    if (this.hangOrders > 0) {
      this.hangOrders--;
      return 'hold';
    }
    return { status: 200, body: this.wire(o) };
  }

  private fill(o: FakeOrder, px: number, at: string): void {
    const p = this.positions.get(o.symbol) ?? { qty: 0, avg: 0 };
    if (o.side === 'buy') {
      p.avg = (p.qty * p.avg + o.qty * px) / (p.qty + o.qty);
      p.qty += o.qty;
      this.cash -= o.qty * px;
    } else {
      p.qty -= o.qty;
      this.cash += o.qty * px;
    }
    if (p.qty === 0) this.positions.delete(o.symbol);
    else this.positions.set(o.symbol, p);
    Object.assign(o, { filled_qty: o.qty, filled_avg_price: px, status: 'filled', filled_at: at, updated_at: at });
  }

  private cancel(o: FakeOrder): void {
    const at = this.now().toISOString();
    Object.assign(o, { status: 'canceled', canceled_at: at, updated_at: at });
  }

  private list(q: URLSearchParams): Answer {
    const status = q.get('status') ?? 'open';
    if (!['open', 'closed', 'all'].includes(status)) return this.error(422, 'invalid status');
    const limit = Math.min(Number(q.get('limit') ?? 50), 500);
    const after = q.get('after');
    const symbols = q.get('symbols')?.split(',');
    const asc = q.get('direction') === 'asc';
    const out = this.orders
      .filter((o) => status === 'all' || (status === 'open') === !TERMINAL.has(o.status))
      .filter((o) => (!after || o.submitted_at > after) && (!symbols || symbols.includes(o.symbol)))
      .map((o, i) => ({ o, i }))
      .sort((a, b) => (a.o.submitted_at === b.o.submitted_at ? a.i - b.i : a.o.submitted_at < b.o.submitted_at ? -1 : 1) * (asc ? 1 : -1))
      .slice(0, limit);
    return { status: 200, body: out.map(({ o }) => this.wire(o)) };
  }

  private clock(): object {
    const now = this.now();
    const d = etDate(now);
    const open = isTradingDay(d) && now >= sessionOpenUtc(d) && now < sessionCloseUtc(d);
    const nextOpen = isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
    const nextClose = isTradingDay(d) && now < sessionCloseUtc(d) ? d : nextSession(d);
    return { timestamp: isoEt(now), is_open: open, next_open: isoEt(sessionOpenUtc(nextOpen)), next_close: isoEt(sessionCloseUtc(nextClose)) };
  }

  private calendar(start: string | null, end: string | null): Answer {
    // Alpaca reads start/end as dates or as instants (in New York time).
    const day = (v: string | null, fallback: string) => (v === null ? fallback : /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : Number.isNaN(Date.parse(v)) ? null : etDate(new Date(v)));
    const today = etDate(this.now());
    const s = day(start, today);
    const e = day(end, s ?? today);
    if (!s || !e) return this.error(400, 'invalid start or end');
    const days = sessionsBetween(s, e).map((date) => ({ date, open: '09:30', close: closeTimeEt(date), session_open: '0400', session_close: '2000', settlement_date: nextSession(date) }));
    return { status: 200, body: days };
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

/** An AlpacaBroker pointed at the fake, with its keys (or `secrets`) and short read-retry waits. */
export function alpacaBrokerFor(server: FakeAlpacaServer, o: { timeoutMs?: number; retry?: Partial<RetryPolicy>; secrets?: Record<string, string | undefined>; fetchApi?: (url: string, init: RequestInit) => Promise<Response> } = {}): Broker {
  return createAlpacaBroker({
    config: alpacaConfig(server.baseUrl, { timeoutMs: o.timeoutMs }),
    secrets: o.secrets ?? { ALPACA_API_KEY_ID: server.keyId, ALPACA_API_SECRET_KEY: server.secret },
    clock: new FakeClock('2025-01-14T16:00:00Z'),
    retry: { maxRetries: 2, baseDelayMs: 10, maxDelayMs: 2_000, ...o.retry },
    fetchApi: o.fetchApi,
  });
}
