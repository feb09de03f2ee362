// Telegram alerts over the Bot API: POST {api_base}/bot<token>/sendMessage with JSON
// {chat_id, text}; answers {ok:true,result:{message_id,...}} or {ok:false,error_code,description}
// and, on 429, parameters.retry_after in seconds.
// Outside contract as kobe uses it: at most one message per telegram.min_interval_s; alerts that
// arrive while waiting are coalesced into one summary message (counted, never dropped silently);
// 429, 5xx, timeouts and network errors are retried up to MAX_ATTEMPTS (a duplicate alert is
// harmless, a lost kill-switch alert is not); other 4xx (bad token, unknown chat) are not.
// send() only queues: the trading path never waits on Telegram. The token is part of the URL, so
// every logged URL and error text has it replaced.
import type { DiagLog } from '../log/logger.js';
import { CENSOR } from '../log/redact.js';
import type { Sleep } from '../util/rate-limiter.js';
import type { AlertKind, Alerts } from '../ports/alerts.js';

/** Attempts per alert before it is given up (and logged). */
export const MAX_ATTEMPTS = 3;
/** Telegram's limit on a message's text. */
export const MAX_MESSAGE_CHARS = 4096;

const LABELS: Record<AlertKind, string> = {
  trade_executed: 'trade executed',
  position_closed: 'position closed',
  error: 'ERROR',
  kill_switch_on: 'KILL SWITCH ON',
  kill_switch_off: 'kill switch off',
  high_drawdown: 'HIGH DRAWDOWN',
};

/** Counters of the sender, for /metrics and tests. */
export interface AlertStats {
  /** Messages Telegram accepted (a summary counts once). */
  sent: number;
  /** Alerts given up after their attempts, or refused (4xx). */
  failed: number;
  /** Alerts that went out inside a summary message. */
  coalesced: number;
  /** Alerts not sent at all: dropped from a full queue (reported in the next message), or alerts disabled. */
  dropped: number;
  queued: number;
}

/** An Alerts sender that also reports its counters. */
export interface TelegramAlerts extends Alerts {
  stats(): AlertStats;
}

/** Options of the Telegram sender. */
export interface TelegramOptions {
  apiBase: string;
  token: string;
  chatId: string;
  minIntervalS: number;
  log: DiagLog;
  /** Monotonic milliseconds for pacing (default performance.now). */
  now?: () => number;
  sleep?: Sleep;
  fetchImpl?: typeof fetch;
  /** Per request (default 5000 ms). */
  timeoutMs?: number;
  /** Queued alerts kept at most; older ones are dropped and counted (default 200). */
  maxQueue?: number;
}

interface Pending {
  kind: AlertKind;
  text: string;
  attempts: number;
}

type PostResult = { ok: true; messageId: number | null } | { ok: false; retryable: boolean; retryAfterS: number | null; detail: Record<string, unknown> };

const unrefSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());

/** The text of one alert: label, text, then `key: value` lines. */
export function formatAlert(kind: AlertKind, text: string, fields?: Record<string, unknown>): string {
  const extra = Object.entries(fields ?? {})
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `\n${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join('');
  return clip(`kobe ${LABELS[kind]}: ${text}${extra}`, MAX_MESSAGE_CHARS);
}

function clip(s: string, n: number): string {
  return s.length <= n ? s : `${s.slice(0, n - 3)}...`;
}

/** Create the Telegram sender (use createAlerts, which also handles the disabled case). */
export function createTelegramAlerts(o: TelegramOptions): TelegramAlerts {
  const now = o.now ?? (() => performance.now());
  const sleep = o.sleep ?? unrefSleep;
  const fetchImpl = o.fetchImpl ?? fetch;
  const timeoutMs = o.timeoutMs ?? 5_000;
  const maxQueue = o.maxQueue ?? 200;
  const intervalMs = Math.max(0, o.minIntervalS * 1000);
  const url = `${o.apiBase.replace(/\/+$/, '')}/bot${o.token}/sendMessage`;
  const scrub = (s: string) => (o.token ? s.split(o.token).join(CENSOR) : s);
  const safeUrl = scrub(url);
  const queue: Pending[] = [];
  const stats = { sent: 0, failed: 0, coalesced: 0, dropped: 0 };
  let droppedUnreported = 0;
  let nextAt = Number.NEGATIVE_INFINITY;
  let running: Promise<void> | null = null;
  const log = (level: 'debug' | 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => {
    try {
      o.log.log(level, msg, fields);
    } catch {
      /* a failing log must not break the sender either */
    }
  };

  async function post(text: string): Promise<PostResult> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), timeoutMs);
    timer.unref();
    try {
      const res = await fetchImpl(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: o.chatId, text }), signal: ac.signal });
      const body = (await res.json().catch(() => null)) as { ok?: boolean; result?: { message_id?: number }; error_code?: number; description?: string; parameters?: { retry_after?: number } } | null;
      if (res.ok && body?.ok === true) return { ok: true, messageId: typeof body.result?.message_id === 'number' ? body.result.message_id : null };
      const header = Number(res.headers.get('retry-after'));
      const retryAfterS = typeof body?.parameters?.retry_after === 'number' ? body.parameters.retry_after : Number.isFinite(header) && header > 0 ? header : null;
      return {
        ok: false,
        retryable: res.status === 429 || res.status >= 500,
        retryAfterS,
        detail: { status: res.status, error_code: body?.error_code ?? null, description: scrub(String(body?.description ?? (body === null ? 'response is not JSON' : 'ok is not true'))), retry_after: retryAfterS },
      };
    } catch (err) {
      const timedOut = ac.signal.aborted;
      const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
      return { ok: false, retryable: true, retryAfterS: null, detail: { error: timedOut ? `no answer within ${timeoutMs} ms` : scrub(`${err instanceof Error ? err.message : String(err)}${cause}`) } };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The next message: one alert as it is, or as many as fit in one summary. */
  function takeBatch(): { items: Pending[]; text: string } {
    const dropNote = droppedUnreported ? `\n(${droppedUnreported} older alert(s) were dropped: queue full; see logs/kobe.log)` : '';
    if (queue.length === 1 && !dropNote) {
      const items = queue.splice(0, 1);
      return { items, text: items[0].text };
    }
    const items: Pending[] = [];
    let body = '';
    for (const p of queue) {
      const line = `\n${items.length + 1}. ${clip(p.text, 800)}`;
      if (items.length > 0 && body.length + line.length + dropNote.length + 120 > MAX_MESSAGE_CHARS) break;
      items.push(p);
      body += line;
    }
    queue.splice(0, items.length);
    const more = queue.length ? `\n(${queue.length} more follow)` : '';
    return { items, text: clip(`kobe: ${items.length} alert(s) (rate limited: one message per ${o.minIntervalS} s)${body}${more}${dropNote}`, MAX_MESSAGE_CHARS) };
  }

  async function pump(): Promise<void> {
    while (queue.length) {
      const wait = nextAt - now();
      if (wait > 0) await sleep(wait);
      const hadDrops = droppedUnreported;
      const { items, text } = takeBatch();
      const r = await post(text);
      nextAt = now() + intervalMs;
      if (r.ok) {
        stats.sent++;
        droppedUnreported -= hadDrops;
        if (items.length > 1) {
          stats.coalesced += items.length;
          log('info', 'alerts coalesced into one message', { alerts: items.length, kinds: [...new Set(items.map((p) => p.kind))] });
        }
        log('debug', 'alert sent', { kinds: items.map((p) => p.kind), message_id: r.messageId });
        continue;
      }
      for (const p of items) p.attempts++;
      const again = r.retryable ? items.filter((p) => p.attempts < MAX_ATTEMPTS) : [];
      const given = items.length - again.length;
      log('warn', 'alert not delivered', { url: safeUrl, ...r.detail, alerts: items.length, attempt: Math.max(...items.map((p) => p.attempts)), will_retry: again.length > 0 });
      if (given) {
        stats.failed += given;
        log('error', 'alert given up', { url: safeUrl, alerts: given, kinds: items.filter((p) => !again.includes(p)).map((p) => p.kind), texts: items.filter((p) => !again.includes(p)).map((p) => clip(p.text, 200)) });
      }
      queue.unshift(...again);
      if (again.length) nextAt = now() + Math.max(intervalMs, r.retryAfterS !== null ? r.retryAfterS * 1000 : 1000 * again[0].attempts);
    }
  }

  function kick(): void {
    if (running) return;
    running = (async () => {
      try {
        await pump();
      } catch (err) {
        log('error', 'alert sender failed', { error: scrub(err instanceof Error ? err.message : String(err)) });
      } finally {
        running = null;
        if (queue.length) kick();
      }
    })();
  }

  return {
    send(kind, text, fields) {
      try {
        queue.push({ kind, text: formatAlert(kind, text, fields), attempts: 0 });
        if (queue.length > maxQueue) {
          const n = queue.length - maxQueue;
          const gone = queue.splice(0, n);
          stats.dropped += n;
          droppedUnreported += n;
          log('warn', 'alert queue full: oldest alerts dropped', { dropped: n, kinds: gone.map((p) => p.kind) });
        }
        kick();
      } catch (err) {
        log('error', 'alert could not be queued', { kind, error: scrub(err instanceof Error ? err.message : String(err)) });
      }
    },
    async flush(limitMs) {
      // A real, referenced timer: the bound holds whatever clock paces the sends, and a CLI that
      // awaits flush stays alive until the queue drains or the bound passes.
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, limitMs))));
      try {
        while (running) if ((await Promise.race([running.then(() => 'done' as const), bound])) === 'timeout') break;
      } finally {
        clearTimeout(timer);
      }
      if (queue.length || running) log('warn', 'alerts not flushed in time', { queued: queue.length, limit_ms: limitMs });
    },
    stats: () => ({ ...stats, queued: queue.length }),
  };
}
