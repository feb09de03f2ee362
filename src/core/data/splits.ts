// Splits as providers report them (shares after : shares before on an ex date) -> SplitRecord, and
// the bar index's list of them. A ratio that is not a positive finite number, or a date that is
// not a calendar day, is the provider's error naming the symbol and field, never a skipped row.
import type { SplitRecord } from '../ports/market-data.js';
import { ProviderError } from './errors.js';

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** One provider split, validated. */
export function splitRecord(where: string, symbol: string, date: unknown, to: unknown, from: unknown): SplitRecord {
  const bad = (field: string, v: unknown) => new ProviderError(`${where} for ${symbol}: field ${field} is not usable (${JSON.stringify(v)?.slice(0, 40)})`, { details: { symbol, field } });
  if (typeof date !== 'string' || !DAY.test(date)) throw bad('date', date);
  if (typeof to !== 'number' || !(to > 0) || !Number.isFinite(to)) throw bad('to', to);
  if (typeof from !== 'number' || !(from > 0) || !Number.isFinite(from)) throw bad('from', from);
  return { date, ratio: to / from };
}

/** `known` plus the splits in `more` it does not have (same date), by date. */
export function mergeSplits(known: readonly SplitRecord[], more: readonly SplitRecord[]): SplitRecord[] {
  const byDate = new Map(known.map((s) => [s.date, s]));
  for (const s of more) if (!byDate.has(s.date)) byDate.set(s.date, s);
  return [...byDate.values()].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
}

/** "2:1 on 2025-01-15" (reverse: "1:10 on ..."). */
export function splitText(s: SplitRecord): string {
  const r = s.ratio >= 1 ? `${+s.ratio.toFixed(4)}:1` : `1:${+(1 / s.ratio).toFixed(4)}`;
  return `${r} on ${s.date}`;
}
