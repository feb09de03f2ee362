// The brain's telemetry under logs/state/ (SPEC section 10, seed 004's state contract):
// risk_snapshot.json, nav_state.json and diagnostics.json. The brain is their single writer
// (atomic replace); everything else only reads them, through readTelemetry, which validates each
// file and reports a corrupt one instead of trusting it.
//
// Liveness thresholds (diagnostics.liveness), counted in completed NYSE sessions so weekends and
// holidays never look idle:
// - idle_signals: no signal in logs/signals.jsonl for more than IDLE_SIGNAL_SESSIONS sessions.
// - idle_orders: picks were made and no entry order followed for more than IDLE_ORDER_SESSIONS
//   sessions after the oldest of them.
// - idle_exits: positions are open and either one is past its time stop, or during the regular
//   session (from 30 minutes after the open) the last exit scan is older than EXIT_SCAN_MAX_AGE_MIN.
// No history at all (a new home) is not idleness: the flags stay false and the timestamps null.
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import type { KobeConfig } from '../config/schema.js';
import { errnoCode, errorText } from '../errors.js';
import { countSessions, isTradingDay } from '../market/calendar.js';
import { marketStatus } from '../market/phases.js';
import { lastCompletedSession } from '../market/sessions.js';
import { etDate } from '../market/time.js';
import type { TradingState } from '../risk/trading-state.js';
import { atomicReplace } from '../state/atomic.js';
import { IdempotencyFile, PositionsFile, RiskVetoesFile, type PositionEntry } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import type { Diagnostics, NavState, RiskSnapshot, TriggerId, TriggerInput } from './contracts.js';
import { dataDownMinutes, evaluateTriggers } from './triggers.js';

/** Sessions without a signal before idle_signals. */
export const IDLE_SIGNAL_SESSIONS = 1;
/** Sessions after an unserved pick without an entry order before idle_orders. */
export const IDLE_ORDER_SESSIONS = 3;
/** Age of the last exit scan, in market hours, beyond which exits count as idle (scans run every 15 min). */
export const EXIT_SCAN_MAX_AGE_MIN = 30;
/** How much of the end of a log the liveness reads (days of signals; the logs are never rotated). */
const TAIL_BYTES = 512 * 1024;

/** File names under logs/state/. */
export const TELEMETRY_FILES = { risk: 'risk_snapshot.json', nav: 'nav_state.json', diagnostics: 'diagnostics.json' } as const;

const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'expected a UTC ISO timestamp ending in Z');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const num = z.number().finite();
const counts = z.record(z.string(), z.number().int().min(0));
const circuit = z.strictObject({ value: z.union([num, z.string(), z.null()]), threshold: num, tripped: z.boolean() });

/** Schema of nav_state.json. */
export const NavStateSchema: z.ZodType<NavState, z.ZodTypeDef, unknown> = z.strictObject({
  version: z.literal(1), ts: iso, equity: num, peak: num, drawdown: num.min(0),
  start_of_day: z.strictObject({ date: day, equity: num }),
  week_peak: z.strictObject({ week_start: day, equity: num }),
  anomalies_rejected: z.array(z.strictObject({ ts: iso, equity: num, previous: num, reason: z.string() })),
});

/** Schema of risk_snapshot.json. */
export const RiskSnapshotSchema: z.ZodType<RiskSnapshot, z.ZodTypeDef, unknown> = z.strictObject({
  version: z.literal(1), ts: iso, trading_state: z.enum(['ACTIVE', 'REDUCING', 'HALTED']), kill_reason: z.string().nullable(),
  drawdown_state: z.enum(['normal', 'elevated', 'breached']),
  circuits: z.strictObject({ K1: circuit, K2: circuit, K5: circuit, K7: circuit, K8: circuit }),
});

/** Schema of diagnostics.json. */
export const DiagnosticsSchema: z.ZodType<Diagnostics, z.ZodTypeDef, unknown> = z.strictObject({
  version: z.literal(1), ts: iso,
  veto_counters: z.strictObject({ today: counts, total: counts }),
  exit_pipeline: z.strictObject({
    last_exit_scan_ts: iso.nullable(), last_exit_trigger_ts: iso.nullable(), positions: z.number().int().min(0), positions_without_stop: z.number().int().min(0),
    positions_without_target: z.number().int().min(0), underwater_without_exit_plan: z.number().int().min(0),
  }),
  liveness: z.strictObject({
    last_signal_ts: iso.nullable(), last_order_ts: iso.nullable(), last_exit_ts: iso.nullable(),
    idle_signals: z.boolean(), idle_orders: z.boolean(), idle_exits: z.boolean(), details: z.record(z.string(), num.nullable()),
  }),
});

/** The last lines of a JSON-lines log that parse as objects (a partial first line is skipped). */
export function tailJsonl(file: string, bytes = TAIL_BYTES): Array<Record<string, unknown>> {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return [];
    throw err;
  }
  let text: string;
  try {
    const size = fs.fstatSync(fd).size;
    const start = Math.max(0, size - bytes);
    const buf = Buffer.alloc(size - start);
    fs.readSync(fd, buf, 0, buf.length, start);
    text = buf.toString('utf8');
    if (start > 0) text = text.slice(text.indexOf('\n') + 1);
  } finally {
    fs.closeSync(fd);
  }
  const out: Array<Record<string, unknown>> = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      const o = JSON.parse(line) as unknown;
      if (o && typeof o === 'object' && !Array.isArray(o)) out.push(o as Record<string, unknown>);
    } catch {
      /* a torn or foreign line: liveness only needs the readable ones */
    }
  }
  return out;
}

/** Completed sessions strictly after the ET date of `ts`, up to the last completed session at `now`. */
export function sessionsSince(ts: string, now: Date): number {
  const from = etDate(new Date(ts));
  const last = lastCompletedSession(now);
  return last <= from ? 0 : countSessions(from, last) - (isTradingDay(from) ? 1 : 0);
}

/** True when a position is still held after the session its time stop fell due. */
export function pastTimeStop(p: PositionEntry, now: Date): boolean {
  if (p.entry_date === null || p.time_stop_bars === null || p.qty === 0) return false;
  return sessionsSince(`${p.entry_date}T12:00:00Z`, now) > p.time_stop_bars;
}

/** A position has an exit plan when it has a stop and a time stop (reconcile's NO_EXIT_PLAN rule). */
export function hasExitPlan(p: PositionEntry): boolean {
  return p.stop !== null && p.time_stop_bars !== null;
}

const maxTs = (xs: Array<string | null | undefined>): string | null => xs.reduce<string | null>((m, x) => (typeof x === 'string' && (m === null || x > m) ? x : m), null);
const ageS = (ts: string | null, now: Date) => (ts === null ? null : Math.round((now.getTime() - Date.parse(ts)) / 1000));

/** What buildDiagnostics reads; the exit timestamps come from the brain's exit task. */
export interface DiagnosticsInput {
  store: StateStore;
  logsDir: string;
  now: Date;
  /** Current prices by symbol (the exit scanner's spot price map); unpriced positions are counted apart. */
  prices: Record<string, number>;
  lastExitScanTs: string | null;
  lastExitTriggerTs: string | null;
}

/** Veto counters, exit pipeline coverage and liveness flags from the state files and logs. */
export function buildDiagnostics(i: DiagnosticsInput): Diagnostics {
  const { now } = i;
  const today = etDate(now);
  const vetoes = i.store.read(RiskVetoesFile);
  const positions = i.store.read(PositionsFile).positions.filter((p) => p.qty !== 0);
  const orders = Object.values(i.store.read(IdempotencyFile).orders);
  const signals = tailJsonl(path.join(i.logsDir, 'signals.jsonl'));
  const closes = tailJsonl(path.join(i.logsDir, 'trades.jsonl')).filter((t) => t.event === 'close');

  let unpriced = 0;
  let underwater = 0;
  for (const p of positions) {
    const px = i.prices[p.symbol];
    if (typeof px !== 'number' || !Number.isFinite(px)) unpriced++;
    else if ((p.qty > 0 ? px < p.avg_price : px > p.avg_price) && !hasExitPlan(p)) underwater++;
  }
  const lastSignal = maxTs(signals.map((s) => s.ts as string));
  const lastOrder = maxTs(orders.map((o) => o.created_at));
  const lastEntry = maxTs(orders.filter((o) => o.intent.kind === 'entry').map((o) => o.created_at));
  const lastExit = maxTs(closes.map((t) => t.ts as string));
  const unserved = signals.filter((s) => s.picked === true && typeof s.ts === 'string' && (lastEntry === null || s.ts > lastEntry)).map((s) => s.ts as string).sort();
  const signalIdle = lastSignal === null ? null : sessionsSince(lastSignal, now);
  const orderIdle = unserved.length ? sessionsSince(unserved[0], now) : null;
  const pastStop = positions.filter((p) => pastTimeStop(p, now)).length;
  const m = marketStatus(now);
  const scanAge = ageS(i.lastExitScanTs, now);
  const scanDue = m.isOpen && m.open !== null && now.getTime() >= m.open.getTime() + EXIT_SCAN_MAX_AGE_MIN * 60_000;
  const scanStale = scanDue && (scanAge === null || scanAge > EXIT_SCAN_MAX_AGE_MIN * 60);
  return {
    version: 1,
    ts: now.toISOString(),
    veto_counters: { today: vetoes.date === today ? { ...vetoes.today } : {}, total: { ...vetoes.total } },
    exit_pipeline: {
      last_exit_scan_ts: i.lastExitScanTs,
      last_exit_trigger_ts: i.lastExitTriggerTs,
      positions: positions.length,
      positions_without_stop: positions.filter((p) => p.stop === null).length,
      positions_without_target: positions.filter((p) => p.target === null).length,
      underwater_without_exit_plan: underwater,
    },
    liveness: {
      last_signal_ts: lastSignal,
      last_order_ts: lastOrder,
      last_exit_ts: lastExit,
      idle_signals: signalIdle !== null && signalIdle > IDLE_SIGNAL_SESSIONS,
      idle_orders: orderIdle !== null && orderIdle > IDLE_ORDER_SESSIONS,
      idle_exits: positions.length > 0 && (pastStop > 0 || scanStale),
      details: {
        signal_idle_sessions: signalIdle,
        order_idle_sessions: orderIdle,
        unserved_picks: unserved.length,
        positions_past_time_stop: pastStop,
        positions_unpriced: unpriced,
        exit_scan_age_s: scanAge,
        last_signal_age_s: ageS(lastSignal, now),
        last_order_age_s: ageS(lastOrder, now),
        last_exit_age_s: ageS(lastExit, now),
      },
    },
  };
}

const round = (x: number, d = 6) => Math.round(x * 10 ** d) / 10 ** d;

/** The risk snapshot: trading state, drawdown state (elevated past half a K1 limit) and each circuit. */
export function buildRiskSnapshot(i: { now: Date; tradingState: TradingState; input: TriggerInput; cfg: KobeConfig['kill_switch'] }): RiskSnapshot {
  const { input: t, cfg } = i;
  const tripped = new Set<TriggerId>(evaluateTriggers(t, cfg).map((f) => f.id));
  const daily = t.startOfDayEquity > 0 ? Math.max(0, (t.startOfDayEquity - t.equity) / t.startOfDayEquity) : 0;
  const weekly = t.weekPeakEquity > 0 ? Math.max(0, (t.weekPeakEquity - t.equity) / t.weekPeakEquity) : 0;
  // K1 shows whichever measure is closer to its own limit: the binding constraint.
  const k1 = daily / cfg.daily_loss_pct >= weekly / cfg.weekly_drawdown_pct ? { value: daily, threshold: cfg.daily_loss_pct } : { value: weekly, threshold: cfg.weekly_drawdown_pct };
  const elevated = daily > cfg.daily_loss_pct / 2 || weekly > cfg.weekly_drawdown_pct / 2;
  const down = dataDownMinutes(t.dataDownSince, t.now);
  return {
    version: 1,
    ts: i.now.toISOString(),
    trading_state: i.tradingState.state,
    kill_reason: i.tradingState.record?.reason ?? null,
    drawdown_state: tripped.has('K1') ? 'breached' : elevated ? 'elevated' : 'normal',
    circuits: {
      K1: { value: round(k1.value), threshold: k1.threshold, tripped: tripped.has('K1') },
      K2: { value: t.consecutiveCriticalFailures, threshold: cfg.critical_task_failures, tripped: tripped.has('K2') },
      K5: { value: down === null ? null : Number.isFinite(down) ? round(down, 1) : `down since ${t.dataDownSince}`, threshold: cfg.data_down_minutes, tripped: tripped.has('K5') },
      K7: { value: t.consecutiveBrokerRejections, threshold: cfg.broker_rejections, tripped: tripped.has('K7') },
      K8: { value: round(t.reconcileMismatchUsd, 2), threshold: cfg.reconcile_mismatch_usd, tripped: tripped.has('K8') },
    },
  };
}

/** The telemetry documents; publish writes only those given. */
export interface Telemetry {
  risk?: RiskSnapshot;
  nav?: NavState;
  diagnostics?: Diagnostics;
}

const SCHEMAS = { risk: RiskSnapshotSchema, nav: NavStateSchema, diagnostics: DiagnosticsSchema } as const;
type Key = keyof typeof SCHEMAS;

/** Validate and atomically replace each given file in `dir` (logs/state); returns the paths written. */
export async function publishTelemetry(dir: string, t: Telemetry): Promise<string[]> {
  const written: string[] = [];
  for (const key of Object.keys(SCHEMAS) as Key[]) {
    const doc = t[key];
    if (doc === undefined) continue;
    const r = SCHEMAS[key].safeParse(doc);
    // The single writer never publishes a file its readers would reject.
    if (!r.success) throw new Error(`refusing to publish an invalid ${TELEMETRY_FILES[key]}: ${r.error.issues[0].path.join('.') || '(root)'}: ${r.error.issues[0].message}`);
    const file = path.join(dir, TELEMETRY_FILES[key]);
    atomicReplace(file, `${JSON.stringify(r.data, null, 2)}\n`);
    written.push(file);
  }
  return written;
}

/** One telemetry file that could not be trusted. */
export interface TelemetryProblem {
  file: string;
  problem: string;
}

/** The telemetry as read back: a missing file is null, a corrupt one is null plus a problem. */
export interface TelemetryRead {
  risk: RiskSnapshot | null;
  nav: NavState | null;
  diagnostics: Diagnostics | null;
  problems: TelemetryProblem[];
}

/** Read and validate every telemetry file in `dir`, reporting corruption per file. */
export function readTelemetry(dir: string): TelemetryRead {
  const out: TelemetryRead = { risk: null, nav: null, diagnostics: null, problems: [] };
  for (const key of Object.keys(SCHEMAS) as Key[]) {
    const name = TELEMETRY_FILES[key];
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, name), 'utf8');
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') out.problems.push({ file: name, problem: `cannot read (${errnoCode(err) ?? errorText(err)})` });
      continue;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      out.problems.push({ file: name, problem: text.trim() === '' ? 'empty file' : `not valid JSON (${errorText(err)})` });
      continue;
    }
    const r = SCHEMAS[key].safeParse(raw);
    if (!r.success) {
      const issue = r.error.issues[0];
      out.problems.push({ file: name, problem: `${issue.path.join('.') || '(root)'}: ${issue.message}` });
      continue;
    }
    (out as unknown as Record<Key, unknown>)[key] = r.data;
  }
  return out;
}
