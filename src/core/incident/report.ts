// The incident report (incident runbook, POST-INCIDENT PROCEDURES): logs/incidents/
// INCIDENT_YYYY-MM-DD_HH-MM.md named in Eastern time, the exchange's clock that the runbooks and
// operators use. An existing report is never overwritten: the new one takes a -2, -3... suffix.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Bounded, BrokerSnapshot } from '../budget/broker-probe.js';
import { errnoCode } from '../errors.js';
import { etParts, formatEt } from '../market/time.js';
import type { KillHistoryEntry } from '../risk/kill-switch.js';
import type { TradingState } from '../risk/trading-state.js';
import { fsyncDir } from '../state/atomic.js';
import type { IdempotencyRecord, PositionEntry } from '../state/schemas.js';
import type { TimelineEntry } from './timeline.js';
import { makeDir } from '../util/files.js';

/** Severity levels of the incident runbook. */
export const SEVERITIES = {
  'SEV-0': { description: 'Live loss / Safety bypass / Data corruption', response: 'IMMEDIATE' },
  'SEV-1': { description: 'Major performance degradation / Bad fills', response: '< 15 min' },
  'SEV-2': { description: 'Quality / Maintenance issues', response: '< 24 hours' },
} as const;

/** SEV-0, SEV-1 or SEV-2. */
export type Severity = keyof typeof SEVERITIES;

/** Everything the report is filled from; a section that could not be read carries its error. */
export interface IncidentFacts {
  detected_at: Date;
  opened_by: string;
  severity: Severity;
  title: string;
  hours: number;
  timeline: TimelineEntry[];
  timeline_problems: string[];
  kill: TradingState;
  kill_history: KillHistoryEntry[] | { error: string };
  ledger: PositionEntry[] | { error: string };
  broker: Bounded<BrokerSnapshot>;
  orders: { unresolved: IdempotencyRecord[]; in_flight: IdempotencyRecord[] } | { error: string };
  actions: TimelineEntry[];
}

/** The report's file name at an instant (ET), without a collision suffix. */
export function incidentBaseName(at: Date): string {
  const p = etParts(at);
  const two = (n: number) => String(n).padStart(2, '0');
  return `INCIDENT_${p.year}-${two(p.month)}-${two(p.day)}_${two(p.hour)}-${two(p.minute)}`;
}

/** Write a new report under `dir` without ever replacing one; returns its path. */
export function writeIncidentFile(dir: string, at: Date, text: string): string {
  makeDir(dir);
  const tmp = path.join(dir, `.incident.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', 0o644);
  try {
    fs.writeSync(fd, text);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    const base = incidentBaseName(at);
    // link(2) fails when the name exists, so two writers in the same minute both keep their report.
    for (let n = 1; ; n++) {
      const file = path.join(dir, `${base}${n === 1 ? '' : `-${n}`}.md`);
      try {
        fs.linkSync(tmp, file);
        fsyncDir(dir);
        return file;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST' || n >= 1000) throw err;
      }
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

const cell = (s: unknown) => String(s ?? '-').replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
const et = (iso: string | Date) => formatEt(typeof iso === 'string' ? new Date(iso) : iso);
const num = (x: number | null | undefined, d = 2) => (x === null || x === undefined ? '-' : x.toFixed(d));

function table(head: string[], rows: unknown[][]): string[] {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

function killSection(f: IncidentFacts): string[] {
  const k = f.kill;
  const r = k.record;
  const out = [`State: **${k.state}**${r ? ` (reason: ${r.reason}${r.activated_at ? `; since ${et(r.activated_at)}` : ''}${r.activated_by ? ` by ${r.activated_by}` : ''})` : ' (kill switch off)'}`, ''];
  if ('error' in f.kill_history) return [...out, `Recent history: could not be read (${f.kill_history.error})`];
  if (f.kill_history.length === 0) return [...out, 'Recent history: none recorded'];
  return [...out, 'Recent history (newest last):', '', ...f.kill_history.map((h) =>
    h.event === 'on' ? `- ON  ${h.activated_at ? et(h.activated_at) : '?'} by ${h.activated_by ?? '?'}: ${h.reason}${h.mode === 'reduce' ? ' (reduce-only)' : ''}` : `- OFF ${h.deactivated_at ? et(h.deactivated_at) : '?'} by ${h.deactivated_by ?? '?'}${h.note ? `: ${h.note}` : ''}${h.forced ? ' (FORCED)' : ''}`)];
}

function positionsSection(f: IncidentFacts): string[] {
  const out = ['### Ledger (state/positions.json)', ''];
  if ('error' in f.ledger) out.push(`Could not be read: ${f.ledger.error}`);
  else if (f.ledger.length === 0) out.push('No positions in the ledger.');
  else out.push(...table(['symbol', 'qty', 'avg price', 'strategy', 'entry date', 'stop', 'target'], f.ledger.map((p) => [p.symbol, p.qty, num(p.avg_price), p.strategy, p.entry_date, num(p.stop), num(p.target)])));
  out.push('', '### Broker', '');
  const b = f.broker;
  if (!b.ok) out.push(`${b.error.charAt(0).toUpperCase()}${b.error.slice(1)}; only the ledger is shown.`);
  else if (b.value.positions.length === 0) out.push(`${b.value.broker}: no positions (equity ${num(b.value.equity)})`);
  else out.push(`${b.value.broker}, equity ${num(b.value.equity)}:`, '', ...table(['symbol', 'qty', 'avg entry', 'price', 'unrealized P&L'], b.value.positions.map((p) => [p.symbol, p.qty, num(p.avg_entry_price), num(p.current_price), num(p.unrealized_pl)])));
  return out;
}

function ordersSection(f: IncidentFacts): string[] {
  if ('error' in f.orders) return [`Could not be read: ${f.orders.error}`];
  const rows = [...f.orders.unresolved, ...f.orders.in_flight];
  if (rows.length === 0) return ['None: no order is PENDING, UNKNOWN, SUBMITTED or PARTIALLY_FILLED.'];
  return table(['client order id', 'status', 'symbol', 'side', 'qty', 'broker id', 'updated'], rows.map((o) => [o.client_order_id, o.status, o.intent.symbol, o.intent.side, o.intent.qty, o.broker_order_id, et(o.updated_at)]));
}

/** The report as Markdown, following the runbook's post-incident template. */
export function renderIncident(f: IncidentFacts): string {
  const sev = SEVERITIES[f.severity];
  const from = new Date(f.detected_at.getTime() - f.hours * 3_600_000);
  const lines = [
    `# Incident: ${f.title.replace(/\r?\n/g, ' ')}`,
    '',
    '_All times are US Eastern (America/New_York), as in the file name; raw UTC timestamps are in logs/events.jsonl and the audit chain._',
    '',
    ...table(['', ''], [
      ['Detected', `${et(f.detected_at)} (${f.detected_at.toISOString()})`],
      ['Severity', `${f.severity}: ${sev.description} (response: ${sev.response})`],
      ['Opened by', f.opened_by],
      ['Status', 'OPEN'],
    ]),
    '',
    '## Description', '', '_What happened, how it was noticed, what is affected._', '',
    `## Timeline (last ${f.hours} h: ${et(from)} to ${et(f.detected_at)})`, '',
    ...(f.timeline.length === 0 ? ['No events or audit records in this window.'] : table(['time (ET)', 'source', 'what', 'level / seq', 'details'], f.timeline.map((e) => [et(e.ts), e.source, e.name, e.source === 'audit' ? `#${e.seq ?? '?'}` : (e.level ?? ''), e.detail]))),
    ...(f.timeline_problems.length ? ['', ...f.timeline_problems.map((p) => `> warning: ${p}`)] : []),
    '',
    '## Kill switch', '', ...killSection(f), '',
    '## Positions', '', ...positionsSection(f), '',
    '## Unresolved orders (state/idempotency_store.json)', '', ...ordersSection(f), '',
    '## Actions taken', '',
    ...(f.actions.length === 0 ? ['None found in the timeline.'] : f.actions.map((a) => `- ${et(a.ts)} ${a.name}${a.source === 'audit' ? ` (audit #${a.seq ?? '?'})` : ' (event)'}${a.detail ? `: ${a.detail}` : ''}`)),
    '- _add manual actions here_', '',
    '## Resolution time', '', '_YYYY-MM-DD HH:MM ET_', '',
    '## Root cause', '', '_(if known)_', '',
    '## Prevention measures', '', '- _code, config, monitoring or runbook changes_', '',
  ];
  return `${lines.join('\n')}\n`;
}
