// A real redis-server for the queue tests: a free loopback port, a temp dir, no snapshots (unless a
// test asks for the append-only file, to survive its own kill), stopped after.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The redis-server binary, or null when none is installed. */
export const REDIS_SERVER: string | null = (() => {
  for (const dir of [...(process.env.PATH ?? '').split(path.delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin']) {
    const f = path.join(dir, 'redis-server');
    if (dir && fs.existsSync(f)) return f;
  }
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
})();

/** Why queue tests are skipped, or null when they can run. */
export const NO_REDIS = REDIS_SERVER ? null : 'redis-server is not installed (apt-get install -y redis-server); the queue tests need a real one';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RedisServerOptions {
  /** requirepass. */
  password?: string;
  /** appendonly yes + appendfsync always: data survives a SIGKILL of the server. */
  persist?: boolean;
  port?: number;
  dir?: string;
}

/** A running redis-server. */
export interface TestRedis {
  port: number;
  dir: string;
  /** redis://[:password@]127.0.0.1:port/0 */
  url: string;
  child: ChildProcess;
  /** Kill with a signal and wait for the exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Stop it and remove its dir (unless the dir was given). */
  stop(): Promise<void>;
}

function waitPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve();
      });
      c.once('error', () => {
        c.destroy();
        if (Date.now() > until) reject(new Error(`redis-server did not listen on ${port} within ${ms} ms`));
        else setTimeout(attempt, 25);
      });
    };
    attempt();
  });
}

/** Start redis-server on a free loopback port (or `port`) with a temp dir (or `dir`). */
export async function startRedis(o: RedisServerOptions = {}): Promise<TestRedis> {
  if (!REDIS_SERVER) throw new Error(NO_REDIS!);
  const port = o.port ?? (await freePort());
  const dir = o.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-redis-'));
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--loglevel', 'warning'];
  args.push(...(o.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']));
  if (o.password) args.push('--requirepass', o.password);
  const child = spawn(REDIS_SERVER, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.once('exit', () => (exited = true));
  await waitPort(port, 10_000);
  const kill = (signal: NodeJS.Signals = 'SIGTERM') =>
    new Promise<void>((resolve) => {
      if (exited) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return {
    port,
    dir,
    url: `redis://${o.password ? `:${encodeURIComponent(o.password)}@` : ''}127.0.0.1:${port}/0`,
    child,
    kill,
    stop: async () => {
      await kill('SIGTERM');
      if (!o.dir) fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
