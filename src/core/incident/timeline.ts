// An incident's timeline: logs/events.jsonl and the audit chain merged by time. Both are read as
// they are, damage included: a line that does not parse is counted, never fatal, because an
// incident report is most needed when something is broken.
import fs from 'node:fs';
import { errnoCode, errorText } from '../errors.js';

/** One line of the timeline. */
export interface TimelineEntry {
  ts: string;
  source: 'event' | 'audit';
  /** The event name or the audit record type. */
  name: string;
  /** Event level (events only). */
  level?: string;
  /** Audit sequence number (audit only). */
  seq?: number;
  /** Key fields as `key=value`, shortened. */
  detail: string;
}

/** Audit types and events that are actions taken (by a person or kobe), for "Actions taken". */
export const ACTION_NAMES: ReadonlySet<string> = new Set([
  'kill_on', 'kill_off', 'reconcile_fix', 'order_canceled', 'orders_canceled', 'chain_repaired', 'state_restored', 'config_pin_changed', 'budget_reset', 'approval',
]);

const SKIP = new Set(['ts', 'level', 'event', 'type', 'seq', 'msg', 'time', 'pid', 'hostname']);

/** `key=value` pairs of a record's fields (at most 6, each value at most 60 characters). */
export function keyFields(o: Record<string, unknown>): string {
  return Object.entries(o)
    .filter(([k, v]) => !SKIP.has(k) && v !== undefined && v !== null && v !== '')
    .slice(0, 6)
    .map(([k, v]) => {
      const s = typeof v === 'string' ? v : JSON.stringify(v);
      return `${k}=${s.length > 60 ? `${s.slice(0, 57)}...` : s}`;
    })
    .join(' ');
}

function readLines(file: string): string[] {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
}

const inWindow = (ts: unknown, from: number, to: number): ts is string => typeof ts === 'string' && Date.parse(ts) >= from && Date.parse(ts) <= to;

/** Events and audit records with from <= ts <= to, oldest first; unreadable lines are counted as problems. */
export function readTimeline(eventsFile: string, chainFile: string, from: Date, to: Date): { entries: TimelineEntry[]; problems: string[] } {
  const entries: TimelineEntry[] = [];
  const problems: string[] = [];
  const a = from.getTime();
  const b = to.getTime();
  const scan = (file: string, label: string, take: (o: Record<string, unknown>) => void) => {
    let bad = 0;
    let lines: string[];
    try {
      lines = readLines(file);
    } catch (err) {
      problems.push(`${label} cannot be read: ${errorText(err)}`);
      return;
    }
    for (const l of lines) {
      try {
        const o = JSON.parse(l) as unknown;
        if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new Error('not an object');
        take(o as Record<string, unknown>);
      } catch {
        bad++;
      }
    }
    if (bad) problems.push(`${label}: ${bad} line(s) could not be parsed`);
  };
  scan(eventsFile, 'logs/events.jsonl', (o) => {
    if (!inWindow(o.ts, a, b)) return;
    entries.push({ ts: o.ts, source: 'event', name: String(o.event ?? o.msg ?? '?'), level: typeof o.level === 'string' ? o.level : undefined, detail: keyFields(o) });
  });
  scan(chainFile, 'state/hash_chain.jsonl', (o) => {
    const p = o.payload as Record<string, unknown> | undefined;
    if (!p || typeof p !== 'object' || !inWindow(p.ts, a, b)) return;
    entries.push({ ts: p.ts, source: 'audit', name: String(p.type ?? '?'), seq: typeof p.seq === 'number' ? p.seq : undefined, detail: keyFields(p) });
  });
  entries.sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts) || (x.source === y.source ? 0 : x.source === 'audit' ? -1 : 1));
  return { entries, problems };
}

const SAME_ACTION: Record<string, string> = { orders_canceled: 'order_canceled' };

/** The actions in a timeline; an event that repeats an audit record within 2 s is dropped. */
export function actionsTaken(entries: TimelineEntry[]): TimelineEntry[] {
  const audits = entries.filter((e) => e.source === 'audit' && ACTION_NAMES.has(e.name));
  const events = entries.filter((e) => e.source === 'event' && ACTION_NAMES.has(e.name)).filter((e) => {
    const name = SAME_ACTION[e.name] ?? e.name;
    return !audits.some((x) => x.name === name && Math.abs(Date.parse(x.ts) - Date.parse(e.ts)) <= 2_000);
  });
  return [...audits, ...events].sort((x, y) => Date.parse(x.ts) - Date.parse(y.ts));
}
