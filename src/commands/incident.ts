import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { brokerSnapshot, type Bounded, type BrokerSnapshot } from '../core/budget/broker-probe.js';
import { UsageError, errorText } from '../core/errors.js';
import { SEVERITIES, renderIncident, writeIncidentFile, type Severity } from '../core/incident/report.js';
import { actionsTaken, readTimeline } from '../core/incident/timeline.js';
import { readKillHistory } from '../core/risk/kill-switch.js';
import { displayPath } from '../core/paths.js';
import { IdempotencyFile, PositionsFile } from '../core/state/schemas.js';

/** Flags of `kobe incident new`. */
export interface IncidentNewOptions {
  severity: Severity;
  title: string;
  hours: number;
}

/** Where the report went and what it holds. */
export interface IncidentNewResult {
  /** Absolute path of the new report. */
  path: string;
  file: string;
  severity: Severity;
  title: string;
  timeline_entries: number;
  actions: number;
  broker_reached: boolean;
  /** Follow-up records that could not be written; the report exists regardless. */
  warnings: string[];
}

/** Validate --sev (SEV-0..2, or 0..2), --title and --hours. */
export function parseIncidentNew(raw: Record<string, unknown>): IncidentNewOptions {
  const m = /^(?:sev-?)?([012])$/i.exec(String(raw.sev ?? '').trim());
  if (!m) throw new UsageError(`--sev must be SEV-0, SEV-1 or SEV-2, got "${raw.sev}"`, { hint: Object.entries(SEVERITIES).map(([k, v]) => `${k}: ${v.description}`).join('; ') });
  const title = typeof raw.title === 'string' ? raw.title.replace(/\s+/g, ' ').trim() : '';
  if (!title) throw new UsageError('--title must not be empty');
  const hours = raw.hours === undefined ? 6 : Number(raw.hours);
  if (!Number.isFinite(hours) || hours <= 0 || hours > 720) throw new UsageError(`--hours must be a number of hours from 0 to 720, got "${raw.hours}"`);
  return { severity: `SEV-${m[1]}` as Severity, title, hours };
}

/** Wire `incident new`. */
export function register(program: Command, kit: Kit): void {
  const incident = program
    .command('incident')
    .description('incident reports in logs/incidents/ (the runbook\'s post-incident template)')
    .addHelpText('after', '\nExample:\n  kobe incident new --sev SEV-0 --title "position discrepancy after broker outage"');
  incident
    .command('new')
    .description('write logs/incidents/INCIDENT_YYYY-MM-DD_HH-MM.md (ET) pre-filled with timeline, kill switch, positions, orders and actions')
    .requiredOption('--sev <level>', `severity: ${Object.entries(SEVERITIES).map(([k, v]) => `${k} (${v.description}, response ${v.response})`).join(', ')}`)
    .requiredOption('--title <text>', 'one line naming the incident')
    .option('--hours <h>', 'timeline window: the last H hours of events and audit records', '6')
    .addHelpText('after', '\nExample:\n  kobe incident new --sev SEV-1 --title "duplicate order on AAPL" --hours 12')
    .action(kit.action(parseIncidentNew, runIncidentNew, renderIncidentNew));
}

function attempt<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (err) {
    return { error: errorText(err) };
  }
}

/** Every section reads fail-soft: the report is written even when state, config or the broker is broken. */
export async function runIncidentNew(ctx: KobeContext, opts: IncidentNewOptions): Promise<IncidentNewResult> {
  ctx.requireHome();
  const { paths } = ctx;
  const now = ctx.clock.now();
  const { entries, problems } = readTimeline(paths.events, paths.chain, new Date(now.getTime() - opts.hours * 3_600_000), now);
  const store = await ctx.state();
  let broker: Bounded<BrokerSnapshot>;
  try {
    const { config } = await ctx.config();
    broker = await brokerSnapshot(() => ctx.broker(), config.broker.timeout_ms);
  } catch (err) {
    broker = { ok: false, error: `the broker could not be reached: config could not be loaded (${errorText(err)})` };
  }
  const actions = actionsTaken(entries);
  const text = renderIncident({
    detected_at: now, opened_by: ctx.user, severity: opts.severity, title: opts.title, hours: opts.hours,
    timeline: entries, timeline_problems: problems, kill: ctx.tradingState(),
    kill_history: attempt(() => readKillHistory(paths.killHistory).entries.slice(-5)),
    ledger: attempt(() => store.read(PositionsFile).positions),
    broker,
    orders: attempt(() => {
      const all = Object.values(store.read(IdempotencyFile).orders);
      return { unresolved: all.filter((o) => o.status === 'PENDING' || o.status === 'UNKNOWN'), in_flight: all.filter((o) => o.status === 'SUBMITTED' || o.status === 'PARTIALLY_FILLED') };
    }),
    actions,
  });
  const file = writeIncidentFile(path.join(paths.logsDir, 'incidents'), now, text);
  const rel = displayPath(paths, file);
  const warnings: string[] = [];
  const record = { severity: opts.severity, title: opts.title, file: rel, by: ctx.user };
  try {
    (await ctx.events()).emit('incident_opened', record, opts.severity === 'SEV-2' ? 'warn' : 'error');
  } catch (err) {
    warnings.push(`event not written: ${errorText(err)}`);
  }
  try {
    await (await ctx.audit()).append('incident_opened', record);
  } catch (err) {
    warnings.push(`audit record not written: ${errorText(err)}`);
  }
  return { path: file, file: rel, severity: opts.severity, title: opts.title, timeline_entries: entries.length, actions: actions.length, broker_reached: broker.ok, warnings };
}

/** The report path on stdout, what to fill in on stderr. */
export function renderIncidentNew(out: Output, r: IncidentNewResult): void {
  out.changed(`${r.severity} incident report written: ${r.timeline_entries} timeline entries, ${r.actions} action(s)${r.broker_reached ? '' : '; the broker could not be reached'}`);
  for (const w of r.warnings) out.warn(w);
  out.info(`fill in the description, resolution time, root cause and prevention measures (${SEVERITIES[r.severity].response} response)`);
  out.line(r.path);
}
