// The brain's counters (since this process started) and their Prometheus exposition. Prometheus
// reads a snapshot at scrape time through collect callbacks on a private Registry, so nothing
// here touches prom-client's global registry and nothing is pushed while the loop runs.
import type { Registry } from 'prom-client';
import type { TradingStateName } from '../risk/trading-state.js';

/** Per task kind: runs, failures, skips and durations. */
export interface TaskStats {
  runs: number;
  failures: number;
  skipped: number;
  seconds_total: number;
  last_seconds: number;
  max_seconds: number;
}

/** Everything /metrics reports. */
export interface MetricsSnapshot {
  orders: { submitted: number; filled: number; rejected: number; refused: number; vetoed: number };
  exits: number;
  /** Risk vetoes by reason since the home began (state/risk_vetoes.json totals). */
  vetoes_total: Record<string, number>;
  vetoes_today: Record<string, number>;
  kill_switch: { state: TradingStateName; on: boolean; reason: string | null };
  heartbeat_age_s: number | null;
  equity: number | null;
  drawdown: number | null;
  cycles: number;
  tasks: Record<string, TaskStats>;
}

/** Mutable counters owned by the brain loop. */
export class BrainMetrics {
  orders = { submitted: 0, filled: 0, rejected: 0, refused: 0, vetoed: 0 };
  exits = 0;
  tasks: Record<string, TaskStats> = {};
  equity: number | null = null;
  drawdown: number | null = null;

  /** Record one task outcome. */
  task(kind: string, seconds: number, outcome: 'ok' | 'failed' | 'skipped'): void {
    const t = (this.tasks[kind] ??= { runs: 0, failures: 0, skipped: 0, seconds_total: 0, last_seconds: 0, max_seconds: 0 });
    if (outcome === 'skipped') {
      t.skipped++;
      return;
    }
    t.runs++;
    if (outcome === 'failed') t.failures++;
    t.seconds_total += seconds;
    t.last_seconds = seconds;
    t.max_seconds = Math.max(t.max_seconds, seconds);
  }

  /** Count submit outcomes by their status. */
  order(status: string): void {
    if (status === 'SKIPPED') return;
    if (status === 'VETOED') this.orders.vetoed++;
    else if (status === 'REFUSED') this.orders.refused++;
    else if (status === 'REJECTED') this.orders.rejected++;
    else {
      this.orders.submitted++;
      if (status === 'FILLED') this.orders.filled++;
    }
  }
}

const STATE_VALUE: Record<TradingStateName, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** A private Prometheus registry and its scrape: the metrics read one `snapshot()` per scrape. */
export async function prometheusExporter(snapshot: () => MetricsSnapshot): Promise<{ registry: Registry; contentType: string; scrape: () => Promise<string> }> {
  const mod = await import('prom-client');
  const P = (mod as unknown as { default?: typeof mod }).default ?? mod;
  const registry = new P.Registry();
  let snap: MetricsSnapshot | null = null;
  const take = () => (snap ??= snapshot());
  const gauge = (name: string, help: string, labelNames: string[], fill: (g: { set: (l: Record<string, string> | number, v?: number) => void; reset: () => void }, s: MetricsSnapshot) => void) =>
    new P.Gauge({ name, help, labelNames, registers: [registry], collect() { this.reset(); fill(this as never, take()); } });
  const counter = (name: string, help: string, labelNames: string[], fill: (inc: (l: Record<string, string>, v: number) => void, s: MetricsSnapshot) => void) =>
    new P.Counter({ name, help, labelNames, registers: [registry], collect() { this.reset(); fill((l, v) => (labelNames.length ? this.inc(l, v) : this.inc(v)), take()); } });
  counter('kobe_orders_submitted_total', 'Orders accepted by the broker (brain process)', [], (inc, s) => inc({}, s.orders.submitted));
  counter('kobe_orders_filled_total', 'Orders filled at once', [], (inc, s) => inc({}, s.orders.filled));
  counter('kobe_orders_rejected_total', 'Orders rejected by the broker', [], (inc, s) => inc({}, s.orders.rejected));
  counter('kobe_orders_refused_total', 'Orders refused by the kill switch', [], (inc, s) => inc({}, s.orders.refused));
  counter('kobe_exits_total', 'Exit orders sent by the exit manager', [], (inc, s) => inc({}, s.exits));
  counter('kobe_risk_vetoes_total', 'Risk gate vetoes by reason (state/risk_vetoes.json)', ['reason'], (inc, s) => {
    for (const [reason, n] of Object.entries(s.vetoes_total)) inc({ reason }, n);
  });
  gauge('kobe_kill_switch', 'Trading state: 0 ACTIVE, 1 REDUCING, 2 HALTED', [], (g, s) => g.set(STATE_VALUE[s.kill_switch.state]));
  gauge('kobe_heartbeat_age_seconds', 'Seconds since the last heartbeat write', [], (g, s) => g.set(s.heartbeat_age_s ?? -1));
  gauge('kobe_equity_usd', 'Trusted equity (nav_state)', [], (g, s) => s.equity !== null && g.set(s.equity));
  gauge('kobe_drawdown_ratio', 'Drawdown from the equity peak', [], (g, s) => s.drawdown !== null && g.set(s.drawdown));
  gauge('kobe_brain_cycles', 'Loop cycles since start', [], (g, s) => g.set(s.cycles));
  counter('kobe_task_runs_total', 'Task runs by kind', ['task'], (inc, s) => {
    for (const [task, t] of Object.entries(s.tasks)) inc({ task }, t.runs);
  });
  counter('kobe_task_failures_total', 'Task failures by kind', ['task'], (inc, s) => {
    for (const [task, t] of Object.entries(s.tasks)) inc({ task }, t.failures);
  });
  counter('kobe_task_duration_seconds_total', 'Task run time by kind', ['task'], (inc, s) => {
    for (const [task, t] of Object.entries(s.tasks)) inc({ task }, t.seconds_total);
  });
  gauge('kobe_task_last_duration_seconds', 'Duration of the last run by kind', ['task'], (g, s) => {
    for (const [task, t] of Object.entries(s.tasks)) g.set({ task }, t.last_seconds);
  });
  const scrape = async () => {
    snap = snapshot();
    try {
      return await registry.metrics();
    } finally {
      snap = null;
    }
  };
  return { registry, contentType: registry.contentType, scrape };
}
