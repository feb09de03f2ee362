// Polygon failures as KobeErrors. Which are retried and what each becomes after the retry budget:
//   401/403            -> AuthError (exit 4), never retried: the key is refused or not entitled.
//   403 "Your plan doesn't include this data timeframe" -> PlanLimitError (exit 5): the key works,
//                         the range reaches back further than the plan (Basic: about 2 years).
//   refused/DNS/unreachable host -> ConnectivityError (exit 4) at once: nothing is listening.
//   429, 5xx, timeout, reset -> retried (429 after Retry-After, the rest with backoff); when the
//                         budget is spent -> ConnectivityError (exit 4): the provider is not serving,
//                         which for a batch job is the same as down, and a re-run resumes.
//   other 4xx, malformed JSON, bad fields -> ProviderError (exit 1) for that symbol only.
// No message ever carries the API key: URLs lose their apiKey value and the key itself is scrubbed.
import { AuthError, ConnectivityError, KobeError, PlanLimitError } from '../../errors.js';
import { ProviderError } from '../errors.js';

/** Hint for a refused or missing key. */
export const KEY_HINT = 'check POLYGON_API_KEY in .env (values are never printed)';
const RESUME_HINT = 'a re-run resumes: symbols already fetched are skipped';

export { ProviderError };

/** One failed HTTP attempt, classified. */
export type Failure =
  | { kind: 'http'; status: number; retryAfterMs?: number; detail?: string }
  | { kind: 'timeout' }
  | { kind: 'network'; code: string; retryable: boolean };

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'ERR_INVALID_URL']);
const TIMEOUT = new Set(['ECONNABORTED', 'ETIMEDOUT', 'ERR_CANCELED']);

interface HttpErrorLike {
  isAxiosError?: boolean;
  code?: string;
  message?: string;
  response?: { status: number; headers?: Record<string, unknown>; data?: unknown };
}

/** Replace the apiKey query value and any occurrence of the key itself. */
export function scrubKey(text: string, apiKey?: string): string {
  let out = text.replace(/([?&]apiKey=)[^&\s"']*/gi, '$1[redacted]');
  if (apiKey && apiKey.length >= 4) out = out.split(apiKey).join('[redacted]');
  return out;
}

/** Seconds of a Retry-After header in ms; undefined when absent or an HTTP date (then backoff applies). */
export function retryAfterMs(value: unknown): number | undefined {
  const s = Array.isArray(value) ? value[0] : value;
  if (typeof s !== 'string' && typeof s !== 'number') return undefined;
  const n = Number(s);
  return Number.isFinite(n) && n >= 0 ? n * 1000 : undefined;
}

/** Polygon's own words from an error body (`error` or `message`), if any. */
function bodyDetail(data: unknown): string | undefined {
  let d = data;
  if (typeof data === 'string') {
    try {
      d = JSON.parse(data);
    } catch {
      return data.trim().slice(0, 120) || undefined;
    }
  }
  if (d && typeof d === 'object') {
    const o = d as Record<string, unknown>;
    const text = o.error ?? o.message;
    if (typeof text === 'string') return text.slice(0, 200);
  }
  return undefined;
}

/** Classify what the SDK (axios) threw; anything that is not an HTTP failure is rethrown as is. */
export function classify(err: unknown): Failure {
  const e = err as HttpErrorLike;
  if (!e || typeof e !== 'object' || !e.isAxiosError) throw err;
  if (e.response) return { kind: 'http', status: e.response.status, retryAfterMs: retryAfterMs(e.response.headers?.['retry-after']), detail: bodyDetail(e.response.data) };
  const code = e.code ?? 'ERR_NETWORK';
  if (TIMEOUT.has(code)) return { kind: 'timeout' };
  return { kind: 'network', code, retryable: !UNREACHABLE.has(code) };
}

/** True when another attempt may succeed. */
export function isRetryable(f: Failure): boolean {
  if (f.kind === 'http') return f.status === 429 || f.status >= 500;
  if (f.kind === 'timeout') return true;
  return f.retryable;
}

/** Where and what, for messages. */
export interface FailureContext {
  symbol: string;
  url: string;
  attempts: number;
  timeoutMs: number;
  apiKey?: string;
  /** The requested range, for the plan-limit hint. */
  range?: { start: string; end: string };
}

/** Polygon's answer when a range goes beyond the plan's history (status NOT_AUTHORIZED). */
const PLAN_TIMEFRAME = /timeframe/i;

function planLimit(f: { status: number; detail?: string }, c: FailureContext, details: Record<string, unknown>): PlanLimitError {
  const start = c.range?.start;
  // Basic (free) covers about 2 years of daily aggregates; suggest a start just inside that.
  const end = c.range?.end ?? new Date().toISOString().slice(0, 10);
  const y = Number(end.slice(0, 4)) - 2;
  const later = end.slice(5) === '02-29' ? `${y}-02-28` : `${y}${end.slice(4)}`;
  return new PlanLimitError(`Polygon's plan does not include history from ${start ?? 'that date'} (HTTP ${f.status}: ${f.detail}) fetching ${c.symbol}`, {
    hint: `your Polygon plan limits how far back aggregates go (Basic: about 2 years): re-run with a later --start, e.g. --start ${later}, or upgrade the plan`,
    details: { ...details, plan_limit: true, requested_start: start ?? null },
  });
}

/** The KobeError for a failure that will not be retried (any more). */
export function failureError(f: Failure, c: FailureContext): KobeError {
  const where = scrubKey(c.url, c.apiKey);
  const tries = c.attempts > 1 ? ` (${c.attempts} attempts)` : '';
  const details = { symbol: c.symbol, url: where, attempts: c.attempts, ...(f.kind === 'http' ? { status: f.status } : { reason: f.kind === 'timeout' ? 'timeout' : f.code }) };
  if (f.kind === 'http') {
    const said = f.detail ? `: ${scrubKey(f.detail, c.apiKey)}` : '';
    if (f.status === 403 && f.detail && PLAN_TIMEFRAME.test(f.detail)) return planLimit(f, c, details);
    if (f.status === 401 || f.status === 403) {
      return new AuthError(`Polygon refused the API key (HTTP ${f.status}${said}) fetching ${c.symbol}`, { hint: f.status === 403 ? `${KEY_HINT}, and that its plan includes stocks aggregates` : KEY_HINT, details });
    }
    if (f.status === 429) return new ConnectivityError(`Polygon kept rate-limiting (HTTP 429) fetching ${c.symbol}${tries}`, { hint: `lower polygon.requests_per_minute in config/base.yaml (5 on the free tier); ${RESUME_HINT}`, details });
    if (f.status >= 500) return new ConnectivityError(`Polygon answered HTTP ${f.status}${said} for ${where}${tries}`, { hint: `the provider is failing; try again later: ${RESUME_HINT}`, details });
    return new ProviderError(`Polygon answered HTTP ${f.status}${said} for ${where}`, { details });
  }
  const hint = `check polygon.base_url in config/base.yaml and the network; ${RESUME_HINT}`;
  if (f.kind === 'timeout') return new ConnectivityError(`Polygon did not answer within ${c.timeoutMs} ms for ${where}${tries}`, { hint, details });
  return new ConnectivityError(`cannot reach Polygon at ${where} (${f.code})${tries}`, { hint, details });
}
