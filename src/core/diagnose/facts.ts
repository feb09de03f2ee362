// The facts `kobe diagnose` matches against the playbooks, gathered from local files only: state/,
// logs/, the brain's telemetry and the bar store's index. Every read is defensive, because
// diagnose is needed most when something is broken: a file that cannot be read becomes a fact
// (and evidence), never a crash. The broker is optional and bounded by a short timeout.
import fs from 'node:fs';
import path from 'node:path';
import { ConfigSchema, type KobeConfig } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import { loadUniverse } from '../data/universe.js';
import { errnoCode, errorText } from '../errors.js';
import { lastCompletedSession } from '../market/sessions.js';
import type { KobePaths } from '../paths.js';
import type { OrderReport } from '../ports/broker.js';
import { HeartbeatFile, IdempotencyFile, LastReconcileFile, PositionsFile, RiskVetoesFile, type IdempotencyRecord, type PositionEntry, type StateFileDef } from '../state/schemas.js';
import type { StateProblem, StateStore } from '../state/store.js';
import { readTelemetry, tailJsonl, type TelemetryRead } from '../brain/telemetry.js';

/** How far back events count as recent. */
export const RECENT_HOURS = 24;
/** How much of logs/events.jsonl is read (the end of it). */
const EVENTS_TAIL_BYTES = 4 * 1024 * 1024;

type Value<D> = D extends StateFileDef<infer T, infer _I> ? T : never;

/** Everything the playbooks look at. */
export interface DiagnoseFacts {
  now: Date;
  /** kill_switch.* (defaults when the config cannot be loaded). */
  ks: KobeConfig['kill_switch'];
  /** data.universe, for the data playbook's commands. */
  universe: string;
  heartbeat: Value<typeof HeartbeatFile> | null;
  pid: { value: number | null; alive: boolean | null; problem: string | null };
  reconcile: Value<typeof LastReconcileFile> | null;
  positions: PositionEntry[];
  orders: IdempotencyRecord[];
  vetoes: Value<typeof RiskVetoesFile> | null;
  /** Events of the last RECENT_HOURS hours, oldest first. */
  events: Array<Record<string, unknown>>;
  bars: { expected: string; checked: number; stale: Array<{ symbol: string; last: string | null }>; problem: string | null };
  telemetry: TelemetryRead;
  stateProblems: StateProblem[];
  broker: { asked: boolean; ok: boolean; error: string | null; orders: OrderReport[] };
  notes: string[];
}

/** What gathering needs; `brokerOrders` is left out to stay offline. */
export interface GatherDeps {
  paths: KobePaths;
  now: Date;
  store: StateStore;
  bars: BarStore | null;
  config: KobeConfig | null;
  isAlive: (pid: number) => boolean;
  brokerOrders?: () => Promise<OrderReport[]>;
  brokerTimeoutMs?: number;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

function readPid(file: string, isAlive: (pid: number) => boolean): DiagnoseFacts['pid'] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { value: null, alive: null, problem: errnoCode(err) === 'ENOENT' ? 'no PID file' : `cannot read (${errorText(err)})` };
  }
  const pid = Number(text.trim());
  if (!Number.isInteger(pid) || pid <= 0) return { value: null, alive: null, problem: `not a pid: ${JSON.stringify(text.trim().slice(0, 40))}` };
  return { value: pid, alive: isAlive(pid), problem: null };
}

function staleBars(d: GatherDeps, universeFile: string, expected: string): DiagnoseFacts['bars'] {
  const out: DiagnoseFacts['bars'] = { expected, checked: 0, stale: [], problem: null };
  if (!d.bars) return { ...out, problem: 'the bar store could not be opened' };
  let index;
  try {
    index = d.bars.index().symbols;
  } catch (err) {
    return { ...out, problem: `bar index unreadable: ${errorText(err)}` };
  }
  let symbols: string[];
  try {
    symbols = loadUniverse(path.resolve(d.paths.home, universeFile), d.config?.data.cap).symbols;
  } catch {
    // No universe file: judge whatever the store holds.
    symbols = Object.keys(index).sort();
  }
  out.checked = symbols.length;
  for (const s of symbols) {
    const last = index[s]?.last ?? null;
    if (last === null || last < expected) out.stale.push({ symbol: s, last });
  }
  return out;
}

/** Gather the facts; never throws for a damaged file (it becomes a fact). */
export async function gatherFacts(d: GatherDeps): Promise<DiagnoseFacts> {
  const notes: string[] = [];
  const config = d.config;
  if (!config) notes.push('config/base.yaml could not be loaded: kill_switch defaults were used (see `kobe preflight`)');
  const ks = config?.kill_switch ?? ConfigSchema.shape.kill_switch.parse(undefined);
  const universe = config?.data.universe ?? 'data/universe/demo.csv';
  const read = <T, I>(def: StateFileDef<T, I>): T | null => {
    // A corrupt file is reported by store.check() below; here it is simply unknown.
    try {
      return d.store.exists(def as unknown as StateFileDef<unknown>) ? d.store.read(def) : null;
    } catch {
      return null;
    }
  };
  let stateProblems: StateProblem[] = [];
  try {
    stateProblems = d.store.check();
  } catch (err) {
    stateProblems = [{ file: 'state/', field: '(dir)', problem: `cannot be checked: ${errorText(err)}` }];
  }
  const since = d.now.getTime() - RECENT_HOURS * 3_600_000;
  let events: Array<Record<string, unknown>> = [];
  try {
    events = tailJsonl(d.paths.events, EVENTS_TAIL_BYTES).filter((e) => typeof e.ts === 'string' && Date.parse(e.ts) >= since);
  } catch (err) {
    notes.push(`logs/events.jsonl cannot be read: ${errorText(err)}`);
  }
  const broker: DiagnoseFacts['broker'] = { asked: false, ok: false, error: null, orders: [] };
  if (d.brokerOrders) {
    broker.asked = true;
    try {
      broker.orders = await withTimeout(d.brokerOrders(), d.brokerTimeoutMs ?? 3_000);
      broker.ok = true;
    } catch (err) {
      broker.error = errorText(err);
    }
  } else notes.push('the broker was not asked: broker-side duplicates are not checked');
  return {
    now: d.now,
    ks,
    universe,
    heartbeat: read(HeartbeatFile),
    pid: readPid(d.paths.state(path.join('autonomous', 'kobe.pid')), d.isAlive),
    reconcile: read(LastReconcileFile),
    positions: (read(PositionsFile)?.positions ?? []).filter((p) => p.qty !== 0),
    orders: Object.values(read(IdempotencyFile)?.orders ?? {}),
    vetoes: read(RiskVetoesFile),
    events,
    bars: staleBars(d, universe, lastCompletedSession(d.now)),
    telemetry: readTelemetry(path.join(d.paths.logsDir, 'state')),
    stateProblems,
    broker,
    notes,
  };
}
