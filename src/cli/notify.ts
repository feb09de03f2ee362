// Operator alerts from a command (kill on/off), not only from the brain: Telegram when keys and
// config enable it. Called after the action is done; it can only add a warning, never undo it.
import fs from 'node:fs';
import { errorText } from '../core/errors.js';
import type { AlertKind } from '../core/ports/alerts.js';
import type { KobeContext } from './context.js';

/** Send one alert and wait up to 2 s for it; returns a warning when it could not be sent. */
export async function notifyOperator(ctx: KobeContext, kind: AlertKind, text: string): Promise<string | null> {
  try {
    // `kill on` is timed: without a token anywhere, decide with one file read and load nothing.
    let envText = '';
    try {
      envText = fs.readFileSync(ctx.paths.env, 'utf8');
    } catch {
      envText = '';
    }
    if (!ctx.env.TELEGRAM_BOT_TOKEN && !/^[ \t]*(export[ \t]+)?TELEGRAM_BOT_TOKEN[ \t]*=[ \t]*['"]?[^\s'"#]/m.test(envText)) return null;
    const s = await ctx.secrets();
    // No keys, no alerting: decided before config (zod, yaml) is even loaded.
    if (!s.TELEGRAM_BOT_TOKEN || !s.TELEGRAM_CHAT_ID) return null;
    const { config } = await ctx.config();
    if (!config.telegram.enabled) return null;
    const { createAlerts } = await import('../core/alerts/index.js');
    const a = createAlerts({ enabled: true, apiBase: config.telegram.api_base, token: s.TELEGRAM_BOT_TOKEN, chatId: s.TELEGRAM_CHAT_ID, minIntervalS: 0, log: await ctx.log() });
    a.send(kind, text);
    await a.flush(2_000);
    return a.stats().failed > 0 || a.stats().queued > 0 ? 'the Telegram alert could not be delivered (see logs/kobe.log)' : null;
  } catch (err) {
    return `alert not sent: ${errorText(err)}`;
  }
}
