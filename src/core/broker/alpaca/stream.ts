// Alpaca's `trade_updates` stream as the Broker port's streamOrderUpdates, on the SDK's
// TradingStream (its socket, auth frame, keepalive pings, reconnect with backoff and re-listen).
// The outside contract:
// - URL: config alpaca.base_url with https -> wss (http only for loopback, -> ws) and path /stream,
//   which is where the SDK's own paper/live URLs point. Keys go in the auth frame, never in a message.
// - Wrong keys: Alpaca answers `unauthorized`; the SDK gives up without reconnecting, and the open
//   call rejects with AuthError. No authorization within the connect timeout: ConnectivityError.
// - Nothing is replayed after a reconnect, and an event may arrive twice: the caller applies events
//   idempotently (by execution id) and resyncs by polling after every reconnect.
// How it reports, through the port's two callbacks:
//   onEvent(e)                     every trade update that parses (order as an OrderReport, numbers)
//   onState('connected')           listening (first connect and after every reconnect): resync now
//   onState('disconnected', why)   the socket closed; the SDK is reconnecting (unless keys were refused)
//   onState('connected', detail)   still connected, but a message was dropped because it could not be
//                                  read (or the handler threw): resync by polling, as after a reconnect
import { streaming } from '@alpacahq/alpaca-trade-api';
import { AuthError, ConnectivityError, SafetyRefusal } from '../../errors.js';
import type { OrderStream, OrderUpdateEvent } from '../../ports/broker.js';
import { KEY_HINT, scrub } from './errors.js';
import { toOrderUpdate } from './map.js';

/** What the stream is opened with. */
export interface OrderStreamOptions {
  baseUrl: string;
  keyId: string;
  secret: string;
  /** How long the first connect, authorization and listen may take. */
  connectTimeoutMs: number;
  initialReconnectMs?: number;
  maxReconnectMs?: number;
}

type StateFn = (state: 'connected' | 'disconnected', detail?: string) => void;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** The trade_updates URL for a REST base URL: https -> wss, loopback http -> ws, path /stream. */
export function streamUrl(baseUrl: string): string {
  const u = new URL(baseUrl);
  if (u.protocol === 'https:') u.protocol = 'wss:';
  else if (u.protocol === 'http:' && LOOPBACK.has(u.hostname)) u.protocol = 'ws:';
  else throw new SafetyRefusal(`refused: the order stream for ${u.protocol}//${u.host} would carry the API keys in clear text`, { hint: 'use an https:// URL for alpaca.base_url' });
  u.pathname = `${u.pathname.replace(/\/+$/, '')}/stream`;
  u.search = '';
  return u.toString();
}

/** The SDK's TradingStream, handing each trade_updates frame's raw data to us (map.ts reads it under zod). */
class RawTradeUpdates extends streaming.TradingStream {
  constructor(
    opts: streaming.TradingStreamOptions,
    private readonly onData: (data: unknown) => void,
  ) {
    super(opts);
  }

  protected override handleMessage(message: unknown): void {
    const m = message as { stream?: unknown; data?: unknown } | null;
    if (m !== null && typeof m === 'object' && !Array.isArray(m) && m.stream === 'trade_updates') this.onData(m.data);
    else super.handleMessage(message);
  }
}

const UNREADABLE = /^failed to (decode|process) message/;

/** Open the stream; resolves once Alpaca has authorized the keys and confirmed the subscription. */
export async function openOrderStream(o: OrderStreamOptions, onEvent: (e: OrderUpdateEvent) => void, onState?: StateFn): Promise<OrderStream> {
  const secrets = [o.keyId, o.secret];
  const say = (text: string) => scrub(text, secrets).slice(0, 300);
  let closed = false;
  let lastProblem: string | undefined;
  let listening!: () => void;
  const firstListen = new Promise<void>((resolve) => (listening = resolve));
  const report: StateFn = (state, detail) => {
    if (!closed) onState?.(state, detail);
  };

  const s = new RawTradeUpdates(
    {
      url: streamUrl(o.baseUrl),
      credentials: { keyId: o.keyId, secret: o.secret },
      reconnect: true,
      maxReconnectAttempts: streaming.UNLIMITED_RECONNECT_ATTEMPTS,
      initialReconnectMs: o.initialReconnectMs ?? 1_000,
      maxReconnectMs: o.maxReconnectMs ?? 30_000,
    },
    (data) => {
      let e: OrderUpdateEvent;
      try {
        e = toOrderUpdate(data);
      } catch (err) {
        report('connected', say(`dropped an unreadable order update: ${err instanceof Error ? err.message : String(err)}`));
        return;
      }
      try {
        onEvent(e);
      } catch (err) {
        report('connected', say(`the order update handler failed on ${e.event} of ${e.order.client_order_id}: ${err instanceof Error ? err.message : String(err)}`));
      }
    },
  );
  s.on(streaming.EVENT.SUBSCRIPTION, (streams: unknown) => {
    if (!Array.isArray(streams) || !streams.includes('trade_updates')) return;
    lastProblem = undefined;
    listening();
    report('connected');
  });
  s.onError((msg: string) => {
    if (UNREADABLE.test(msg)) report('connected', say(`dropped an unreadable message: ${msg}`));
    else lastProblem = say(msg);
  });
  s.onDisconnect(() => report('disconnected', lastProblem ?? 'the order stream closed; reconnecting'));
  s.subscribeTradeUpdates();
  s.connect();

  const auth = await s.waitForAuthenticationResult(o.connectTimeoutMs);
  if (!auth.authenticated) {
    closed = true;
    s.disconnect();
    if (auth.status === streaming.STREAM_AUTH_STATUS.SERVER_REJECTED) {
      throw new AuthError('Alpaca refused the API keys on the order stream (trade_updates)', { hint: KEY_HINT, details: { call: 'trade_updates stream' } });
    }
    throw new ConnectivityError(`the order stream was not authorized within ${o.connectTimeoutMs} ms (${say(auth.message)})`, { hint: 'check alpaca.base_url and the network; orders are still followed by polling', details: { call: 'trade_updates stream', reason: auth.status } });
  }
  let timer: NodeJS.Timeout | undefined;
  const listened = await Promise.race([firstListen.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), o.connectTimeoutMs)))]);
  clearTimeout(timer);
  if (!listened) {
    closed = true;
    s.disconnect();
    throw new ConnectivityError(`the order stream did not confirm the trade_updates subscription within ${o.connectTimeoutMs} ms`, { details: { call: 'trade_updates stream' } });
  }
  return {
    close: async () => {
      closed = true;
      s.removeAllListeners();
      s.disconnect();
    },
  };
}
