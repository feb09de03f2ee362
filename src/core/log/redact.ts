// Secrets never reach stdout, stderr, logs, events or the chain: keys with secret names are
// censored by name, and the known secret values are also scrubbed from any string (a broker error
// that echoes a request header would otherwise leak the key inside a message).

/** Environment keys that hold secrets. */
export const SECRET_ENV_KEYS = ['ALPACA_API_KEY_ID', 'ALPACA_API_SECRET_KEY', 'POLYGON_API_KEY', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID', 'KOBE_REDIS_URL'] as const;

const SECRET_NAME = /(secret|token|password|api[_-]?key|key[_-]?id|authorization|apca-api)/i;
export const CENSOR = '[redacted]';

/** Replaces secret values and secret-named fields. */
export class Redactor {
  private values: string[] = [];

  /** Remember the secret values of an environment map (and the password inside KOBE_REDIS_URL). */
  addFromEnv(env: Record<string, string | undefined>): void {
    const found: string[] = [];
    for (const k of SECRET_ENV_KEYS) if (env[k] && k !== 'KOBE_REDIS_URL') found.push(env[k]!);
    // A Redis URL is a secret for its password; one without (a loopback Redis) is shown as is.
    const pass = /^rediss?:\/\/[^/@]*:([^/@]+)@/.exec(env.KOBE_REDIS_URL ?? '')?.[1];
    if (pass) found.push(env.KOBE_REDIS_URL!, pass, safeDecode(pass));
    this.add(...found);
  }

  /** Remember secret values found elsewhere (the password of a --queue URL). */
  add(...values: string[]): void {
    for (const v of values) if (v && v.length >= 4 && !this.values.includes(v)) this.values.push(v);
    this.values.sort((a, b) => b.length - a.length);
  }

  /** A string with every known secret value replaced. */
  text(s: string): string {
    let out = s;
    for (const v of this.values) if (out.includes(v)) out = out.split(v).join(CENSOR);
    return out;
  }

  /** A deep copy with secret-named fields censored and secret values scrubbed. */
  value<T>(v: T, depth = 0): T {
    if (typeof v === 'string') return this.text(v) as T;
    if (v === null || typeof v !== 'object') return v;
    // Past the depth limit (which also stops cycles) nothing is passed on unscrubbed.
    if (depth > 8) return '[too deep]' as T;
    if (Array.isArray(v)) return v.map((x) => this.value(x, depth + 1)) as T;
    if (v instanceof Date) return (Number.isNaN(v.getTime()) ? 'Invalid Date' : v.toISOString()) as T;
    if (v instanceof Error) return this.value({ name: v.name, message: v.message }, depth + 1) as T;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      out[k] = SECRET_NAME.test(k) && typeof x === 'string' && x !== '' ? CENSOR : this.value(x, depth + 1);
    }
    return out as T;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
