// The incident playbooks of the seed runbooks (000: incident runbook, 001: troubleshooting, 004:
// v7.6 playbooks) as rules over the gathered facts. Each rule returns its evidence (empty when it
// does not match) and the playbook as kobe commands, in the order an operator runs them.
import { barsHeld } from '../trade/exits.js';
import { lastCompletedSession } from '../market/sessions.js';
import { etDate } from '../market/time.js';
import { EXIT_SCAN_MAX_AGE_MIN, hasExitPlan, pastTimeStop } from '../brain/telemetry.js';
import { marketStatus } from '../market/phases.js';
import { isTerminal } from '../ports/broker.js';
import type { DiagnoseFacts } from './facts.js';

/** Heartbeat age beyond which the brain counts as down (it rewrites the file every 30 s). */
export const HEARTBEAT_MAX_AGE_S = 120;
/** Age of the last reconcile beyond which positions count as unverified. */
export const RECONCILE_MAX_AGE_H = 24;
/** Risk vetoes in a day, with no order, that make the risk gate the likely blocker. */
export const VETO_HEAVY_MIN = 5;

/** One step of a playbook: the command and why it is run. */
export interface PlaybookStep {
  run: string;
  why: string;
}

/** A playbook that matches, with the evidence that made it match. */
export interface PlaybookMatch {
  id: PlaybookId;
  title: string;
  severity: 'SEV-0' | 'SEV-1' | 'SEV-2';
  evidence: string[];
  steps: PlaybookStep[];
}

/** Every playbook diagnose knows, in the order they are reported. */
export const PLAYBOOK_IDS = [
  'telemetry_corruption', 'position_discrepancy', 'duplicate_orders', 'brain_down', 'high_drawdown', 'data_source_failure',
  'broker_unreachable', 'stalled_exits', 'positions_stuck', 'order_rejected', 'nav_spikes', 'pipeline_stall',
] as const;
/** A playbook's id. */
export type PlaybookId = (typeof PLAYBOOK_IDS)[number];

type Rule = (f: DiagnoseFacts) => Omit<PlaybookMatch, 'id'> | null;

const step = (run: string, why: string): PlaybookStep => ({ run, why });
const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
const ageS = (f: DiagnoseFacts, ts: string) => Math.round((f.now.getTime() - Date.parse(ts)) / 1000);
const list = (xs: string[], n = 5) => `${xs.slice(0, n).join(', ')}${xs.length > n ? ` and ${xs.length - n} more` : ''}`;
const live = (status: string, filled: number) => status !== 'REJECTED' && !((status === 'CANCELED' || status === 'EXPIRED') && filled === 0);
const restart = [step('kobe brain stop', 'stop the brain gracefully'), step('kobe brain start', 'restart it; then check that its timestamps advance')];

const brainDown: Rule = (f) => {
  const ev: string[] = [];
  const hb = f.heartbeat;
  if (f.stateProblems.some((p) => p.file.endsWith('heartbeat.json'))) ev.push('state/heartbeat.json is unreadable');
  else if (!hb) ev.push('no heartbeat: state/heartbeat.json is missing (the brain has not run in this home)');
  else {
    const age = ageS(f, hb.ts);
    if (age > HEARTBEAT_MAX_AGE_S) ev.push(`heartbeat ${age} s old (limit ${HEARTBEAT_MAX_AGE_S} s; phase ${hb.phase}, last task ${hb.last_task ?? 'none'})`);
    else if (!hb.last_cycle_ok) ev.push(`the last cycle failed (task ${hb.last_task ?? 'unknown'}, last success ${hb.last_success ?? 'never'}): /health answers 503`);
  }
  if (f.pid.problem) ev.push(`state/autonomous/kobe.pid: ${f.pid.problem}`);
  else if (f.pid.alive === false) ev.push(`pid ${f.pid.value} from state/autonomous/kobe.pid is not running`);
  if (!ev.length) return null;
  return {
    title: 'Brain not running', severity: 'SEV-1', evidence: ev,
    steps: [
      step('kobe brain status', 'is a brain process running, and since when'),
      step('kobe incident new --sev SEV-1 --title "brain down"', 'the report carries the last events: look for the crash reason'),
      step('kobe brain start', 'restart (a stale lock of a dead brain is cleaned up)'),
      step('kobe brain health', 'expect a fresh heartbeat and a successful cycle'),
    ],
  };
};

const positionDiscrepancy: Rule = (f) => {
  const r = f.reconcile;
  const ev: string[] = [];
  const dirty = !!r && !r.clean;
  if (!r) ev.push('no reconcile on record (state/reconcile/last_reconcile.json)');
  else {
    if (dirty) {
      ev.push(`last reconcile at ${r.ts} found ${r.discrepancies.length} discrepancies: ${list(r.discrepancies.map((x) => `${x.type}${x.symbol ? ` ${x.symbol}` : ''} (${x.detail})`), 4)}`);
      if (r.mismatch_notional > 0) ev.push(`mismatch notional ${usd(r.mismatch_notional)} (K8 halts above ${usd(f.ks.reconcile_mismatch_usd)})`);
    }
    const hours = ageS(f, r.ts) / 3600;
    if (hours > RECONCILE_MAX_AGE_H) ev.push(`last reconcile is ${hours.toFixed(1)} h old (limit ${RECONCILE_MAX_AGE_H} h)`);
  }
  if (!ev.length) return null;
  if (!dirty) {
    return {
      title: 'Positions not verified against the broker', severity: 'SEV-2', evidence: ev,
      steps: [step('kobe reconcile', 'read-only diff with the broker'), step('kobe diagnose', 'discrepancies, if any, bring up the full position-discrepancy playbook')],
    };
  }
  return {
    title: 'Position discrepancy', severity: 'SEV-0', evidence: ev,
    steps: [
      step('kobe kill on --reason "position discrepancy"', 'halt first: the ledger and the broker disagree'),
      step('kobe positions', 'broker positions joined with the ledger'),
      step('kobe reconcile', 'the plan: ghosts, orphans, quantity and price mismatches'),
      step('kobe reconcile --fix --yes', 'apply the broker as truth (every fix is an audit record)'),
      step('kobe reconcile', 'verify: expect clean'),
      step('kobe kill off --yes --note "reconciled: ledger matches the broker"', 'resume only once clean (kill off refuses otherwise)'),
    ],
  };
};

const orderRejected: Rule = (f) => {
  const seen = new Set<string>();
  const ev: string[] = [];
  for (const e of f.events.filter((x) => x.event === 'order_rejected')) {
    seen.add(String(e.client_order_id));
    ev.push(`${e.ts} ${e.symbol ?? '?'} ${e.client_order_id ?? ''} rejected: ${e.reason ?? 'no reason given'}`);
  }
  const today = etDate(f.now);
  for (const o of f.orders) {
    if (o.status !== 'REJECTED' || etDate(new Date(o.updated_at)) !== today || seen.has(o.client_order_id)) continue;
    ev.push(`${o.updated_at} ${o.intent.symbol} ${o.client_order_id} REJECTED in the store: ${o.reason ?? 'no reason recorded'}`);
  }
  if (!ev.length) return null;
  const first = f.events.find((x) => x.event === 'order_rejected')?.client_order_id ?? f.orders.find((o) => o.status === 'REJECTED')?.client_order_id;
  return {
    title: 'Order rejected', severity: 'SEV-2', evidence: ev,
    steps: [
      step('kobe orders --recent 20', 'the rejections and their reasons'),
      ...(first ? [step(`kobe orders --client-id ${String(first)}`, "the store record and the broker's view of one")] : []),
      step('kobe account', 'buying power, cash, trading-blocked flags'),
      step('kobe market', 'was the market closed?'),
      step('kobe positions', 'a position limit reached?'),
      step('kobe trade --once', 'retry once the cause is fixed (K7 halts after repeated rejections)'),
    ],
  };
};

const dataSourceFailure: Rule = (f) => {
  const ev: string[] = [];
  for (const e of f.events.filter((x) => x.event === 'data_prefetch_stopped')) ev.push(`${e.ts} data prefetch stopped: ${e.code ?? ''} ${e.message ?? ''}`.trim());
  const b = f.bars;
  if (b.problem) ev.push(b.problem);
  else if (b.checked === 0) ev.push('no symbols to check: the universe and the bar store are empty');
  else if (b.stale.length) ev.push(`${b.stale.length} of ${b.checked} symbols have no bar for the last completed session ${b.expected}: ${list(b.stale.map((s) => `${s.symbol} (last ${s.last ?? 'none'})`))}`);
  if (!ev.length) return null;
  return {
    title: 'Data source failure', severity: 'SEV-1', evidence: ev,
    steps: [
      step('kobe data list', 'what the bar store holds and how fresh it is'),
      step('kobe data verify', 'damaged or stale series'),
      step(`kobe data prefetch --universe ${f.universe}`, 'refetch (resumable; honours the Polygon rate limit)'),
      step('kobe preflight', 'data freshness and keys'),
      step('kobe kill on --reason "data source failure"', `if the provider stays down (the brain halts by itself after ${f.ks.data_down_minutes} min, K5)`),
    ],
  };
};

const highDrawdown: Rule = (f) => {
  const nav = f.telemetry.nav;
  if (!nav) return null;
  const ev: string[] = [];
  const halfWeekly = f.ks.weekly_drawdown_pct / 2;
  const halfDaily = f.ks.daily_loss_pct / 2;
  if (nav.drawdown > halfWeekly) ev.push(`drawdown ${pct(nav.drawdown)} from the peak ${usd(nav.peak)} (equity ${usd(nav.equity)}) > half the K1 weekly limit (${pct(halfWeekly)})`);
  const sod = nav.start_of_day;
  if (sod.date === etDate(f.now) && sod.equity > 0) {
    const loss = (sod.equity - nav.equity) / sod.equity;
    if (loss > halfDaily) ev.push(`daily loss ${pct(loss)} of start-of-day equity ${usd(sod.equity)} > half the K1 daily limit (${pct(halfDaily)})`);
  }
  const dd = f.telemetry.risk?.drawdown_state;
  if (ev.length && dd && dd !== 'normal') ev.push(`risk_snapshot drawdown_state: ${dd}`);
  if (!ev.length) return null;
  return {
    title: 'High drawdown', severity: 'SEV-1', evidence: ev,
    steps: [
      step('kobe positions', 'which positions carry the loss'),
      step('kobe account', "the broker's equity against nav_state's"),
      step('kobe reconcile', 'make sure the loss is real, not a ledger mismatch'),
      step('kobe kill on --reason "high drawdown"', `halt before the limit if the loss keeps growing (the brain halts by itself past ${pct(f.ks.daily_loss_pct)} daily / ${pct(f.ks.weekly_drawdown_pct)} weekly, K1)`),
      step('kobe close-all --yes', 'a manual decision, never automatic'),
      step('kobe incident new --sev SEV-1 --title "high drawdown"', 'review after the close'),
    ],
  };
};

const duplicateOrders: Rule = (f) => {
  const ev: string[] = [];
  const cancel = new Set<string>();
  const groups = new Map<string, Array<{ cid: string; status: string; open: boolean; at: string }>>();
  const add = (key: string, x: { cid: string; status: string; open: boolean; at: string }) => {
    const g = groups.get(key) ?? [];
    if (!g.some((y) => y.cid === x.cid)) g.push(x);
    groups.set(key, g);
  };
  for (const o of f.orders) {
    if (!live(o.status, o.filled_qty)) continue;
    add(`${o.intent.session_date} ${o.intent.symbol} ${o.intent.side}`, { cid: o.client_order_id, status: o.status, open: ['PENDING', 'SUBMITTED', 'UNKNOWN', 'PARTIALLY_FILLED'].includes(o.status), at: o.created_at });
  }
  const known = new Set(f.orders.map((o) => o.client_order_id));
  for (const o of f.broker.orders) {
    if (o.status === 'rejected' || ((o.status === 'canceled' || o.status === 'expired') && o.filled_qty === 0)) continue;
    const at = o.submitted_at ?? o.updated_at;
    if (!at) continue;
    add(`${etDate(new Date(at))} ${o.symbol} ${o.side}`, { cid: o.client_order_id, status: `broker ${o.status}${known.has(o.client_order_id) ? '' : ', not in the store'}`, open: !isTerminal(o.status), at });
  }
  for (const [key, g] of groups) {
    if (g.length < 2) continue;
    g.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
    ev.push(`${g.length} ${key.split(' ')[2]} orders for ${key.split(' ')[1]} on ${key.split(' ')[0]}: ${g.map((x) => `${x.cid} (${x.status})`).join(', ')}`);
    for (const x of g.slice(1)) if (x.open) cancel.add(x.cid);
  }
  if (!ev.length) return null;
  return {
    title: 'Duplicate orders', severity: 'SEV-0', evidence: ev,
    steps: [
      step('kobe kill on --reason "duplicate orders"', 'halt first'),
      step('kobe orders --recent 20', 'broker orders next to the idempotency store'),
      ...[...cancel].map((cid) => step(`kobe orders cancel --client-id ${cid}`, 'cancel the later, still open duplicate')),
      step('kobe reconcile', 'what the duplicates left behind (quantity mismatches, orphan orders)'),
      step('kobe reconcile --fix --yes', 'apply the broker as truth'),
      step('kobe kill off --yes --note "duplicates cancelled and reconciled"', 'resume only once clean'),
    ],
  };
};

const positionsStuck: Rule = (f) => {
  const last = lastCompletedSession(f.now);
  const ev = f.positions.filter((p) => pastTimeStop(p, f.now)).map((p) => `${p.symbol} held ${barsHeld(p.entry_date!, last)} sessions since ${p.entry_date}, past its time stop of ${p.time_stop_bars}`);
  const lv = f.telemetry.diagnostics?.liveness;
  if (lv?.idle_exits && f.positions.length) ev.push(`diagnostics liveness.idle_exits is true (exit scan ${lv.details.exit_scan_age_s ?? 'never'} s ago, ${lv.details.positions_past_time_stop ?? 0} past time stop)`);
  if (!ev.length) return null;
  return {
    title: 'Positions stuck', severity: 'SEV-1', evidence: ev,
    steps: [
      step('kobe positions', 'bars held against each time stop'),
      step('kobe reconcile', 'NO_EXIT_PLAN rows and ledger gaps'),
      step('kobe trade --once', 'runs due exits (time stops included) before any entry'),
      step('kobe brain status', 'is the exit task running'),
      ...restart,
    ],
  };
};

const navSpikes: Rule = (f) => {
  const nav = f.telemetry.nav;
  const since = f.now.getTime() - 24 * 3_600_000;
  const recent = (nav?.anomalies_rejected ?? []).filter((a) => Date.parse(a.ts) >= since);
  if (!recent.length) return null;
  const a = recent[recent.length - 1];
  return {
    title: 'NAV spikes', severity: 'SEV-2',
    evidence: [`${recent.length} equity reading(s) rejected as anomalies in the last 24 h; latest ${a.ts}: ${usd(a.equity)} against trusted ${usd(a.previous)} (${a.reason})`],
    steps: [
      step('kobe account', "the broker's equity now, against nav_state's trusted equity"),
      step('kobe status', 'drawdown as the brain sees it'),
      step('$EDITOR config/base.yaml', 'tighten kill_switch.nav_max_jump_pct / nav_max_jump_usd if glitches recur'),
      step('kobe preflight', 'the edited config validates'),
      ...restart,
    ],
  };
};

const stalledExits: Rule = (f) => {
  const ev: string[] = [];
  const noStop = f.positions.filter((p) => p.stop === null).map((p) => p.symbol);
  const noPlan = f.positions.filter((p) => !hasExitPlan(p)).map((p) => p.symbol);
  if (noStop.length) ev.push(`${noStop.length} position(s) without a stop: ${list(noStop)}`);
  if (noPlan.length > noStop.length) ev.push(`${noPlan.length} position(s) without a full exit plan (stop and time stop): ${list(noPlan)}`);
  const ep = f.telemetry.diagnostics?.exit_pipeline;
  if (ep && ep.underwater_without_exit_plan > 0) ev.push(`diagnostics: ${ep.underwater_without_exit_plan} underwater position(s) without an exit plan`);
  const m = marketStatus(f.now);
  if (f.positions.length && m.isOpen && m.open && f.now.getTime() >= m.open.getTime() + EXIT_SCAN_MAX_AGE_MIN * 60_000) {
    const scan = ep?.last_exit_scan_ts ?? null;
    if (scan === null || ageS(f, scan) > EXIT_SCAN_MAX_AGE_MIN * 60) ev.push(`no exit scan in the last ${EXIT_SCAN_MAX_AGE_MIN} min of market hours (last ${scan ?? 'never'})`);
  }
  if (!ev.length) return null;
  return {
    title: 'Stalled exit pipeline', severity: 'SEV-1', evidence: ev,
    steps: [
      step('kobe positions', 'stop, target and time stop of each position'),
      step('kobe reconcile', 'NO_EXIT_PLAN rows'),
      step('kobe reconcile --fix --yes', 'add exit plans from the strategy (stop 2 x ATR below entry)'),
      step('kobe trade --once', 'run due exits now'),
      ...restart,
    ],
  };
};

const pipelineStall: Rule = (f) => {
  const ev: string[] = [];
  const lv = f.telemetry.diagnostics?.liveness;
  if (lv?.idle_signals) ev.push(`no signal for ${lv.details.signal_idle_sessions} sessions (last ${lv.last_signal_ts})`);
  if (lv?.idle_orders) ev.push(`${lv.details.unserved_picks} pick(s) without an entry order for ${lv.details.order_idle_sessions} sessions`);
  const today = etDate(f.now);
  const v = f.vetoes?.date === today ? f.vetoes.today : {};
  const total = Object.values(v).reduce((a, b) => a + b, 0);
  const ordersToday = f.orders.filter((o) => etDate(new Date(o.created_at)) === today).length;
  if (total >= VETO_HEAVY_MIN && ordersToday === 0) {
    const [top, n] = Object.entries(v).sort((a, b) => b[1] - a[1])[0];
    ev.push(`${total} risk vetoes today and no order; dominant: ${top} (${n})`);
  }
  if (!ev.length) return null;
  return {
    title: 'Screener -> risk -> router stall', severity: 'SEV-2', evidence: ev,
    steps: [
      step('kobe scan', 'does the screener produce signals today'),
      step('kobe budget', 'daily notional and weekly exposure headroom'),
      step('kobe preflight', 'data, reconcile, kill switch and budgets in one pass'),
      step('$EDITOR config/base.yaml', 'only if the vetoes are not intended: trading.* / exposure.* caps'),
      ...restart,
    ],
  };
};

const telemetryCorruption: Rule = (f) => {
  const ev = [
    ...f.telemetry.problems.map((p) => `logs/state/${p.file}: ${p.problem}`),
    ...f.stateProblems.map((p) => `${p.file}${p.field && p.field !== '(root)' ? ` field ${p.field}` : ''}: ${p.problem}`),
  ];
  if (!ev.length) return null;
  const steps: PlaybookStep[] = [];
  if (f.stateProblems.length) {
    steps.push(
      step('kobe kill on --reason "state files corrupt"', 'halt: kobe refuses to overwrite a corrupt state file'),
      step('kobe state check', 'every bad file and field'),
      step('kobe state backup --list', 'snapshots to restore from'),
      step('kobe state restore <stamp> --yes', 'restore the last good snapshot (needs the kill switch on)'),
      step('kobe reconcile', 'the restored ledger against the broker'),
    );
  }
  if (f.telemetry.problems.length) {
    steps.push(
      step('kobe brain status', 'the brain is the only writer of logs/state/ and republishes each file on its cycles'),
      ...f.telemetry.problems.map((p) => step(`mv logs/state/${p.file} logs/state/${p.file}.corrupt`, 'set it aside (never edit telemetry in place); the brain writes a fresh one')),
      step('kobe diagnose', 'after the next cycle: if the corruption is back, something else writes to logs/state/'),
    );
  }
  return { title: 'Telemetry corruption / bad state files', severity: f.stateProblems.length ? 'SEV-0' : 'SEV-1', evidence: ev, steps };
};

const brokerUnreachable: Rule = (f) => {
  if (!f.broker.asked || f.broker.ok) return null;
  return {
    title: 'Broker unreachable', severity: 'SEV-1', evidence: [`the broker did not answer a list of orders: ${f.broker.error}`],
    steps: [
      step('kobe account', 'is the broker reachable now (keys, host, status)'),
      step('kobe reconcile', 'once it answers: did anything change while it was away'),
      step('kobe kill on --reason "broker unreachable"', 'if orders may be in flight and the outage persists'),
      ...restart,
    ],
  };
};

const RULES: Record<PlaybookId, Rule> = {
  telemetry_corruption: telemetryCorruption,
  position_discrepancy: positionDiscrepancy,
  duplicate_orders: duplicateOrders,
  brain_down: brainDown,
  high_drawdown: highDrawdown,
  data_source_failure: dataSourceFailure,
  broker_unreachable: brokerUnreachable,
  stalled_exits: stalledExits,
  positions_stuck: positionsStuck,
  order_rejected: orderRejected,
  nav_spikes: navSpikes,
  pipeline_stall: pipelineStall,
};

/** Every playbook that matches the facts, in PLAYBOOK_IDS order. */
export function matchPlaybooks(f: DiagnoseFacts): PlaybookMatch[] {
  const out: PlaybookMatch[] = [];
  for (const id of PLAYBOOK_IDS) {
    const m = RULES[id](f);
    if (m) out.push({ id, ...m });
  }
  return out;
}
