// Redis URLs of the research queue: redis://[user:pass@]host[:port][/db] or rediss:// (TLS). The
// password is a secret: it never appears in a message, a display form, a job or a key, and errors
// about a bad URL describe it without echoing it.
import { UsageError } from '../../errors.js';

/** A parsed queue URL. */
export interface QueueUrl {
  tls: boolean;
  host: string;
  port: number;
  db: number;
  username?: string;
  password?: string;
}

const FORM = 'redis://[user:password@]host[:port][/db] or rediss://... for TLS';

/** Parse a queue URL; `source` names where it came from (--queue, research.queue, KOBE_REDIS_URL). */
export function parseQueueUrl(text: string, source: string): QueueUrl {
  let u: URL;
  try {
    u = new URL(text.trim());
  } catch {
    throw new UsageError(`${source} is not a URL (expected ${FORM})`, { hint: `e.g. redis://127.0.0.1:6379/0` });
  }
  const bad = (what: string) => new UsageError(`${source}: ${what} (expected ${FORM})`, { hint: 'e.g. redis://127.0.0.1:6379/0; keep a password in .env as KOBE_REDIS_URL' });
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`scheme ${u.protocol} is not redis: or rediss:`);
  if (!u.hostname) throw bad('no host');
  if (u.search || u.hash) throw bad('query strings and fragments are not supported');
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,2}$/.test(dbText)) throw bad('the path must be a database number');
  const port = u.port === '' ? 6379 : Number(u.port);
  const url: QueueUrl = { tls: u.protocol === 'rediss:', host: u.hostname.replace(/^\[(.*)\]$/, '$1'), port, db: dbText === '' ? 0 : Number(dbText) };
  if (u.username) url.username = decodeURIComponent(u.username);
  if (u.password) url.password = decodeURIComponent(u.password);
  return url;
}

/** The URL for messages: the user is shown, the password never. */
export function displayQueueUrl(u: QueueUrl): string {
  const auth = u.username ? `${u.username}${u.password ? ':***' : ''}@` : u.password ? ':***@' : '';
  const host = u.host.includes(':') ? `[${u.host}]` : u.host;
  return `${u.tls ? 'rediss' : 'redis'}://${auth}${host}:${u.port}/${u.db}`;
}

/** Values the redactor must scrub from every output (the password). */
export function queueSecrets(u: QueueUrl): string[] {
  return u.password ? [u.password, encodeURIComponent(u.password)] : [];
}

/**
 * The URL a command uses: the flag's, else KOBE_REDIS_URL, else config research.queue. A URL
 * without credentials borrows them from KOBE_REDIS_URL when it names the same host and port, so the
 * config says where the queue is and `.env` holds the secret.
 */
export function resolveQueueUrl(o: { flag?: string; env?: string; config?: string }): QueueUrl | null {
  const env = o.env ? parseQueueUrl(o.env, 'KOBE_REDIS_URL') : null;
  const chosen = o.flag !== undefined ? parseQueueUrl(o.flag, '--queue') : env ?? (o.config !== undefined ? parseQueueUrl(o.config, 'research.queue') : null);
  if (!chosen || !env || chosen === env || chosen.password || chosen.username) return chosen;
  if (env.host !== chosen.host || env.port !== chosen.port) return chosen;
  return { ...chosen, username: env.username, password: env.password };
}

/** ioredis connection options (never logged: they hold the password). */
export function redisOptions(u: QueueUrl): { host: string; port: number; db: number; username?: string; password?: string; tls?: { servername: string } } {
  return { host: u.host, port: u.port, db: u.db, username: u.username, password: u.password, ...(u.tls ? { tls: { servername: u.host } } : {}) };
}
