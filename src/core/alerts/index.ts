// The alert sender the brain and commands use: Telegram when telegram.enabled and both secrets
// are set, otherwise a no-op that says once, in logs/kobe.log, why nothing is sent.
import type { Alerts } from '../ports/alerts.js';
import type { DiagLog } from '../log/logger.js';
import type { Sleep } from '../util/rate-limiter.js';
import { createTelegramAlerts, type AlertStats, type TelegramAlerts } from './telegram.js';

export { formatAlert, type AlertStats, type TelegramAlerts } from './telegram.js';

/** What createAlerts needs: config telegram.*, the secrets TELEGRAM_BOT_TOKEN / TELEGRAM_CHAT_ID, the log. */
export interface AlertsOptions {
  enabled: boolean;
  apiBase: string;
  token: string | undefined;
  chatId: string | undefined;
  minIntervalS: number;
  log: DiagLog;
  /** Monotonic milliseconds for pacing (default performance.now). */
  now?: () => number;
  sleep?: Sleep;
  fetchImpl?: typeof fetch;
  timeoutMs?: number;
  maxQueue?: number;
}

/** Why alerts are off, or null when they can be sent. */
export function alertsDisabledReason(o: Pick<AlertsOptions, 'enabled' | 'token' | 'chatId'>): string | null {
  if (!o.enabled) return 'telegram.enabled is false';
  if (!o.token) return 'TELEGRAM_BOT_TOKEN is not set';
  if (!o.chatId) return 'TELEGRAM_CHAT_ID is not set';
  return null;
}

/** The Telegram sender, or a no-op that logs "alerts disabled" once (on the first alert). */
export function createAlerts(o: AlertsOptions): TelegramAlerts {
  const reason = alertsDisabledReason(o);
  if (reason === null) {
    return createTelegramAlerts({ apiBase: o.apiBase, token: o.token!, chatId: o.chatId!, minIntervalS: o.minIntervalS, log: o.log, now: o.now, sleep: o.sleep, fetchImpl: o.fetchImpl, timeoutMs: o.timeoutMs, maxQueue: o.maxQueue });
  }
  let told = false;
  let suppressed = 0;
  const disabled: Alerts & { stats(): AlertStats } = {
    send(kind) {
      suppressed++;
      if (told) return;
      told = true;
      try {
        o.log.log('info', 'alerts disabled', { reason, first_kind: kind });
      } catch {
        /* never throws */
      }
    },
    flush: async () => undefined,
    stats: () => ({ sent: 0, failed: 0, coalesced: 0, dropped: suppressed, queued: 0 }),
  };
  return disabled;
}
