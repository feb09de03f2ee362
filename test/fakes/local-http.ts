// What every fake vendor server shares: an HTTP server on 127.0.0.1 with an ephemeral port, its
// base URL, and a stop that drops held connections and pending slow answers so tests can finish.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Base of the fake servers: subclasses answer requests in `handle`. */
export abstract class LocalHttpFake {
  protected server?: http.Server;
  /** Timers of delayed answers, cleared by stop(). */
  protected readonly timers = new Set<NodeJS.Timeout>();
  /** Vendor name for messages. */
  protected abstract readonly label: string;

  protected abstract handle(req: http.IncomingMessage, res: http.ServerResponse): void;

  /** Listen on 127.0.0.1 on an ephemeral port. */
  async start(): Promise<this> {
    this.server = http.createServer((req, res) => this.handle(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(0, '127.0.0.1', () => resolve());
    });
    return this;
  }

  /** The base URL to put in the config. */
  get baseUrl(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error(`fake ${this.label} server is not started`);
    return `http://127.0.0.1:${a.port}`;
  }

  /** Stop listening; destroys held and keep-alive sockets and pending delayed answers. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
