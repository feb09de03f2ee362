// Flag values every command parses the same way: a clear UsageError naming the flag, never a
// silent default for a bad value.
import { errorText, UsageError } from '../core/errors.js';
import { parseIsoDate } from '../core/market/iso-date.js';

/** An optional date flag: absent stays undefined; anything but a real YYYY-MM-DD is a usage error. */
export function dateFlag(flag: string, raw: unknown): string | undefined {
  if (raw === undefined) return undefined;
  const s = String(raw);
  try {
    parseIsoDate(s);
  } catch (err) {
    throw new UsageError(`${flag}: ${errorText(err)} (${flag} must be a date as YYYY-MM-DD)`, { hint: `${flag} takes a real calendar date, like 2024-01-31` });
  }
  return s;
}

/** An optional whole-number flag in [min, max]: absent stays undefined. */
export function intFlag(flag: string, raw: unknown, min: number, max: number, hint?: string): number | undefined {
  if (raw === undefined) return undefined;
  const text = String(raw).trim();
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, got "${text}"`, hint ? { hint } : {});
  return n;
}
