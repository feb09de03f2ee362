// Connections to the queue's Redis. kobe's own client fails fast while Redis is away (no offline
// queue), so a coordinator notices a lost Redis instead of waiting forever; BullMQ's workers get
// options that retry forever, because a worker should ride out a Redis restart.
import { Redis } from 'ioredis';
import { AuthError, ConnectivityError, errorText } from '../../errors.js';
import { type QueueUrl, displayQueueUrl, redisOptions } from './url.js';

/** How long connecting may take before Redis counts as unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** A Redis error as a KobeError: AuthError for refused credentials, ConnectivityError otherwise. */
export function redisError(u: QueueUrl, err: unknown, hint: string): AuthError | ConnectivityError {
  const text = errorText(err);
  const code = (err as { code?: string })?.code;
  if (/WRONGPASS|NOAUTH|NOPERM|invalid username-password/i.test(text)) {
    return new AuthError(`Redis at ${displayQueueUrl(u)} refused kobe's credentials (${text.split('\n')[0]})`, { hint: 'check the user and password of KOBE_REDIS_URL in .env (or --queue)' });
  }
  return new ConnectivityError(`cannot reach Redis at ${displayQueueUrl(u)} (${code ?? text})`, { hint });
}

/** Connect kobe's own fail-fast client; a Redis that cannot be reached or refuses us throws. */
export async function connectRedis(u: QueueUrl, hint = 'start redis-server there, or check --queue, research.queue and KOBE_REDIS_URL'): Promise<Redis> {
  let last: unknown = null;
  const client = new Redis({
    ...redisOptions(u),
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (n) => Math.min(100 * n, 1_000),
  });
  client.on('error', (e: unknown) => (last = e));
  try {
    await client.connect();
    await client.ping();
    return client;
  } catch (err) {
    client.disconnect();
    throw redisError(u, last ?? err, hint);
  }
}

/** Options for a BullMQ Worker's connections: they block, and retry forever across Redis restarts. */
export function bullConnection(u: QueueUrl): Record<string, unknown> {
  return { ...redisOptions(u), maxRetriesPerRequest: null, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: (n: number) => Math.min(200 * n, 2_000) };
}

/** `p`, or a rejection with `onTimeout()` after `ms`. */
export function within<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
