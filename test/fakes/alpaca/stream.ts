// The fake Alpaca's `trade_updates` websocket, on the REST server's port at /stream (the SDK's
// trading stream URL is the REST host with wss:// and /stream). Protocol, as Alpaca speaks it:
//   client {"action":"authenticate","data":{"key_id","secret_key"}} (or {"action":"auth","key","secret"})
//   server {"stream":"authorization","data":{"action":"authenticate","status":"authorized"|"unauthorized"}}
//          (wrong keys: "unauthorized", then the socket is closed)
//   client {"action":"listen","data":{"streams":["trade_updates"]}}
//   server {"stream":"listening","data":{"streams":["trade_updates"]}}
//   server {"stream":"trade_updates","data":{"event","order",timestamp[,execution_id,price,qty,position_qty]}}
// Frames go out as binary, as Alpaca's trading stream sends them. Nothing is replayed after a drop.
import type http from 'node:http';
import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';

interface WsSocket {
  send(data: string | Buffer, opts?: { binary?: boolean }): void;
  on(ev: 'message', fn: (data: Buffer) => void): void;
  on(ev: 'close' | 'error', fn: () => void): void;
  close(code?: number, reason?: string): void;
  terminate(): void;
  readonly readyState: number;
}
interface WsServer {
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WsSocket) => void): void;
  close(): void;
}
// `ws` ships without types here (the SDK depends on it); this is the little of it the fake uses.
const { WebSocketServer } = createRequire(import.meta.url)('ws') as { WebSocketServer: new (o: { noServer: true; perMessageDeflate: false }) => WsServer };

export const STREAM_PATH = '/stream';

interface Client {
  ws: WsSocket;
  authorized: boolean;
  listening: boolean;
}

/** The trade_updates hub: accepts sockets, checks keys, and broadcasts events to listeners. */
export class TradeUpdatesHub {
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly clients = new Set<Client>();
  /** Every authentication attempt's outcome, for tests. */
  readonly auths: boolean[] = [];
  duplicate = false;

  constructor(private readonly keys: () => { keyId: string; secret: string }) {}

  /** Connections that are authorized and listening to trade_updates. */
  get listeners(): number {
    return [...this.clients].filter((c) => c.listening).length;
  }

  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    if (new URL(req.url ?? '/', 'http://127.0.0.1').pathname !== STREAM_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      const c: Client = { ws, authorized: false, listening: false };
      this.clients.add(c);
      ws.on('message', (data) => this.onMessage(c, data));
      ws.on('close', () => this.clients.delete(c));
      ws.on('error', () => this.clients.delete(c));
    });
  }

  private send(c: Client, frame: unknown): void {
    if (c.ws.readyState === 1) c.ws.send(Buffer.from(JSON.stringify(frame)), { binary: true });
  }

  private onMessage(c: Client, data: Buffer): void {
    let m: { action?: unknown; data?: Record<string, unknown>; key?: unknown; secret?: unknown };
    try {
      m = JSON.parse(data.toString('utf8')) as typeof m;
    } catch {
      this.send(c, { stream: 'error', data: { error_message: 'invalid syntax' } });
      return;
    }
    if (m.action === 'authenticate' || m.action === 'auth') {
      const key = m.action === 'auth' ? m.key : m.data?.key_id;
      const secret = m.action === 'auth' ? m.secret : m.data?.secret_key;
      const k = this.keys();
      c.authorized = key === k.keyId && secret === k.secret;
      this.auths.push(c.authorized);
      this.send(c, { stream: 'authorization', data: { action: 'authenticate', status: c.authorized ? 'authorized' : 'unauthorized' } });
      if (!c.authorized) c.ws.close(1008, 'unauthorized');
      return;
    }
    if (m.action === 'listen') {
      if (!c.authorized) {
        this.send(c, { stream: 'authorization', data: { action: 'listen', status: 'unauthorized' } });
        return;
      }
      const streams = Array.isArray(m.data?.streams) ? (m.data.streams as unknown[]).filter((s) => s === 'trade_updates') : [];
      c.listening = streams.length > 0;
      this.send(c, { stream: 'listening', data: { streams } });
      return;
    }
    this.send(c, { stream: 'error', data: { error_message: `unknown action ${String(m.action)}` } });
  }

  /** Send one trade_updates frame (twice when duplicating) to every listening socket. */
  broadcast(data: Record<string, unknown>): void {
    const frame = { stream: 'trade_updates', data };
    for (const c of this.clients) {
      if (!c.listening) continue;
      this.send(c, frame);
      if (this.duplicate) this.send(c, frame);
    }
  }

  /** Send raw text to every listening socket (junk for parser tests). */
  broadcastRaw(text: string): void {
    for (const c of this.clients) if (c.listening && c.ws.readyState === 1) c.ws.send(Buffer.from(text), { binary: true });
  }

  /** Cut every socket as a network failure would (no close handshake). */
  drop(): void {
    for (const c of this.clients) c.ws.terminate();
    this.clients.clear();
  }

  close(): void {
    this.drop();
    this.wss.close();
  }
}
