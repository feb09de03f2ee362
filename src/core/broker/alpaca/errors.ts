// Alpaca failures as KobeErrors. What the SDK throws, per kind of call (reads were already retried
// by the SDK when they get here; POST and DELETE never are):
//   401, or 403 outside a submit        -> AuthError (exit 4): the keys are refused or not allowed
//   403 on submit (buying power, qty)   -> BrokerRejection(403): the order was not accepted
//   422 "client_order_id must be unique" -> DuplicateClientOrderId: the order exists, look it up
//   other 4xx on submit or cancel       -> BrokerRejection(status)
//   429/5xx on a read or cancel         -> TransientBrokerError (the only retryable kind)
//   5xx, timeout or network error on submit -> UnknownOutcome: it may have been placed; resolve by
//                                          client id, never re-send under a new id
//   timeout or network error on a read  -> ConnectivityError (exit 4)
// Messages are built from the status and the API's `message` only, then scrubbed of the key id and
// secret: an error body that echoes request headers must never carry the key into a log or a hint.
import { ApiError, FetchError } from '@alpacahq/alpaca-trade-api/rest';
import { BrokerRejection, DuplicateClientOrderId, UnknownOutcome } from '../errors.js';
import { AuthError, ConnectivityError, KobeError, TransientBrokerError } from '../../errors.js';

/** Hint for refused or missing keys. */
export const KEY_HINT = 'set ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY in .env (values are never printed); paper keys only work on the paper host';

const LOOKUP_HINT = 'never re-send it under a new id: `kobe reconcile` resolves it by client_order_id';

/** Alpaca answered 2xx but with a body kobe cannot read (a missing or junk field). */
export class BrokerDataError extends KobeError {
  override readonly code = 'BROKER_DATA';
}

/** What kind of call failed: reads are retried by the SDK, submits and cancels never are. */
export type CallKind = 'read' | 'submit' | 'cancel';

/** Facts about the failed call, for messages. */
export interface CallContext {
  kind: CallKind;
  /** What was asked, e.g. "GET /v2/account" or "order kobe-...". */
  what: string;
  timeoutMs: number;
  retries: number;
  clientOrderId?: string;
  /** Values that must never appear in a message (key id, secret). */
  secrets: readonly string[];
}

const HEADER_ECHO = /apca-api-[a-z-]+["']?\s*[:=]\s*["']?[^\s"',}]+/gi;

/** Text with every secret value and any echoed APCA-API-* header value removed. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 4) out = out.split(s).join('[redacted]');
  return out.replace(HEADER_ECHO, '[redacted header]');
}

/** The API's own words for an HTTP error: its `message` field, scrubbed and short. */
export function apiMessage(err: ApiError, secrets: readonly string[]): string | undefined {
  const m = err.message?.trim();
  // The SDK falls back to the raw body when it is not a {code, message} envelope: never repeat that.
  if (!m || m.startsWith('Response returned an error code') || /^[[{<]/.test(m) || m.includes('\n')) return undefined;
  return scrub(m, secrets).slice(0, 200);
}

const isDuplicate = (msg: string | undefined) => !!msg && /client[_ ]order[_ ]id must be unique/i.test(msg);

/** A failed fetch: the SDK's FetchError, or fetch's own TypeError when it comes from another realm. */
function isNetworkFailure(err: unknown): err is Error {
  if (err instanceof FetchError) return true;
  const e = err as { name?: unknown; message?: unknown } | null;
  return !!e && typeof e === 'object' && e.name === 'TypeError' && e.message === 'fetch failed';
}

/** The errno-like code of a network failure (ECONNREFUSED, ...), or TimeoutError / AbortError. */
function networkCode(err: Error): string {
  let c: unknown = err.cause;
  for (let i = 0; i < 3 && c && typeof c === 'object'; i++) {
    const o = c as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof o.code === 'string') return o.code;
    if (o.name === 'TimeoutError' || o.name === 'AbortError') return o.name;
    c = o.cause;
  }
  return 'network error';
}

function httpError(err: ApiError, c: CallContext): KobeError {
  const said = apiMessage(err, c.secrets);
  const status = err.status;
  const text = `HTTP ${status}${said ? `: ${said}` : ''}`;
  const details = { status, alpaca_code: err.code ?? null, request_id: err.requestId ?? null, call: c.what };
  if (status === 401 || (status === 403 && c.kind !== 'submit')) {
    return new AuthError(`Alpaca refused the API keys (${text}) on ${c.what}`, { hint: KEY_HINT, details });
  }
  if (c.kind === 'submit') {
    if (status === 422 && isDuplicate(said) && c.clientOrderId) return new DuplicateClientOrderId(c.clientOrderId);
    if (status >= 500) return new UnknownOutcome(`Alpaca answered ${text} to ${c.what}: it may or may not have been placed`, { hint: LOOKUP_HINT, details });
    if (status === 429) return new TransientBrokerError(`Alpaca rate-limited ${c.what} (${text}); it was not accepted`, { hint: 'wait and look it up by client_order_id before anything else', details });
    return new BrokerRejection(`Alpaca rejected ${c.what} (${text})`, status);
  }
  if (status === 429 || status >= 500) {
    const tries = c.kind === 'read' ? ` after ${c.retries} retries` : '';
    return new TransientBrokerError(`Alpaca answered ${text} to ${c.what}${tries}`, { hint: 'the broker is busy or failing; try again shortly', details });
  }
  if (c.kind === 'cancel') return new BrokerRejection(`Alpaca refused ${c.what} (${text})`, status);
  return new KobeError(`Alpaca refused ${c.what} (${text})`, { details });
}

/** Map anything the SDK (or the transport under it) threw to a KobeError with no secret in it. */
export function toKobeError(err: unknown, c: CallContext): KobeError {
  if (err instanceof KobeError) return err;
  if (err instanceof ApiError) return httpError(err, c);
  const hint = 'check alpaca.base_url in config/base.yaml and the network';
  if (isNetworkFailure(err)) {
    const code = networkCode(err);
    const timedOut = code === 'TimeoutError' || code === 'AbortError';
    const why = timedOut ? `no answer within ${c.timeoutMs} ms` : `cannot reach Alpaca (${scrub(code, c.secrets)})`;
    const details = { call: c.what, reason: timedOut ? 'timeout' : code };
    if (c.kind === 'submit') return new UnknownOutcome(`${why} to ${c.what}: it may or may not have been placed`, { hint: LOOKUP_HINT, details });
    const tries = c.kind === 'read' && !timedOut ? ` after ${c.retries} retries` : '';
    return new ConnectivityError(`${why} for ${c.what}${tries}`, { hint, details });
  }
  // Anything else (an SDK RequiredError, a bug): keep only a scrubbed one-line message.
  const msg = scrub(err instanceof Error ? err.message : String(err), c.secrets).split('\n')[0].slice(0, 200);
  if (c.kind === 'submit') return new UnknownOutcome(`${c.what} failed unexpectedly (${msg}): it may or may not have been placed`, { hint: LOOKUP_HINT, details: { call: c.what } });
  return new KobeError(`Alpaca call ${c.what} failed: ${msg}`, { details: { call: c.what } });
}
