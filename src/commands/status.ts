// One screen of everything an operator checks first. Reads local state directly; the broker is
// asked with a short timeout so a slow or dead broker never blocks the screen.
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { errorText } from '../core/errors.js';
import { marketStatus, phaseSchedule } from '../core/market/phases.js';
import { etDate, etMinutes } from '../core/market/time.js';
import type { AccountReport, OrderReport, PositionReport } from '../core/ports/broker.js';
import type { TradingState } from '../core/risk/trading-state.js';
import { DailyBudgetFile, HeartbeatFile, IdempotencyFile, LastPreflightFile, LastReconcileFile, LlmUsageFile } from '../core/state/schemas.js';

export interface StatusResult {
  now: string;
  mode: string;
  broker: string;
  trading_state: TradingState;
  live_gates: string[] | null;
  brain: { running: boolean; heartbeat_age_s: number | null; phase: string | null; last_task: string | null; cycles: number | null };
  preflight: { ts: string; mode: string; go: boolean } | null;
  reconcile: { ts: string; clean: boolean; discrepancies: number } | null;
  broker_view: { ok: boolean; error: string | null; account: AccountReport | null; positions: PositionReport[]; open_orders: OrderReport[] };
  pnl_today: number | null;
  drawdown: number | null;
  unresolved_orders: number;
  /** State files that do not validate (each would stop an order): file, field, problem. */
  state_problems: Array<{ file: string; field: string; problem: string }>;
  budgets: { daily_notional_used: number; daily_notional_limit: number; entries_today: number; llm_cost_today: number; llm_cost_limit: number };
  session: { date: string; phase: string; is_trading_day: boolean; early_close: string | null; holiday: string | null };
  next: Array<{ at: string; what: string }>;
}

export function register(program: Command, kit: Kit): void {
  program
    .command('status')
    .description('one screen: mode, kill switch, brain heartbeat, last preflight and reconcile, positions, open orders, P&L, budgets, session and what runs next')
    .addHelpText('after', '\nExample:\n  kobe status\n  kobe status --json | jq .trading_state.state')
    .action(kit.action(() => ({}), runStatus, renderStatus));
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

export async function runStatus(ctx: KobeContext): Promise<StatusResult> {
  ctx.requireHome();
  const now = ctx.clock.now();
  const { config, pin } = await ctx.config();
  const store = await ctx.state();
  const read = <T>(f: () => T): T | null => {
    try {
      return f();
    } catch {
      return null;
    }
  };
  const hb = store.exists(HeartbeatFile) ? read(() => store.read(HeartbeatFile)) : null;
  const pidFile = ctx.paths.state('autonomous/kobe.pid');
  const pid = read(() => Number(fs.readFileSync(pidFile, 'utf8')));
  const running = !!pid && read(() => (process.kill(pid, 0), true)) === true;
  const pf = store.exists(LastPreflightFile) ? read(() => store.read(LastPreflightFile)) : null;
  const rc = store.exists(LastReconcileFile) ? read(() => store.read(LastReconcileFile)) : null;
  const day = etDate(now);
  const daily = read(() => store.read(DailyBudgetFile));
  const llm = read(() => store.read(LlmUsageFile));
  const unresolved = Object.values(read(() => store.read(IdempotencyFile))?.orders ?? {}).filter((o) => o.status === 'PENDING' || o.status === 'UNKNOWN').length;
  const timeout = Math.min(config.broker.timeout_ms, 3_000);
  const view: StatusResult['broker_view'] = { ok: false, error: null, account: null, positions: [], open_orders: [] };
  try {
    const b = await withTimeout(ctx.broker(), timeout);
    // Orders are followed here too (fills that happened at the broker are booked), bounded like the rest.
    const { syncOrders } = await import('../core/oms/sync.js');
    await withTimeout(ctx.submitDeps().then((d) => syncOrders(d)), timeout);
    const [account, positions, open] = await withTimeout(Promise.all([b.account(), b.positions(), b.listOrders({ status: 'open', limit: 100 })]), timeout);
    Object.assign(view, { ok: true, account, positions, open_orders: open });
  } catch (err) {
    view.error = errorText(err);
  }
  let live: string[] | null = null;
  if (config.trading.mode === 'live') {
    const { missingLiveGates } = await import('../core/risk/live-gates.js');
    live = missingLiveGates({ config, pin, processEnv: ctx.env, store, approvalsDir: ctx.paths.state('approvals'), brokerHost: view.ok ? (await ctx.broker()).host : 'unknown', now });
  }
  const nav = read(() => JSON.parse(fs.readFileSync(path.join(ctx.paths.logsDir, 'state', 'nav_state.json'), 'utf8')) as { drawdown?: number });
  const m = marketStatus(now);
  const mins = etMinutes(now);
  const next = m.isTradingDay ? phaseSchedule(m.date).filter((p) => Number(p.startEt.slice(0, 2)) * 60 + Number(p.startEt.slice(3)) > mins).slice(0, 4).map((p) => ({ at: `${m.date} ${p.startEt} ET`, what: p.phase })) : [{ at: m.nextOpen.toISOString(), what: 'next session opens' }];
  return {
    now: now.toISOString(), mode: config.trading.mode, broker: config.broker.name, trading_state: ctx.tradingState(), live_gates: live,
    brain: { running, heartbeat_age_s: hb ? Math.round((now.getTime() - Date.parse(hb.ts)) / 1000) : null, phase: hb?.phase ?? null, last_task: hb?.last_task ?? null, cycles: hb?.cycles ?? null },
    preflight: pf ? { ts: pf.ts, mode: pf.mode, go: pf.go } : null,
    reconcile: rc ? { ts: rc.ts, clean: rc.clean, discrepancies: rc.discrepancies.length } : null,
    broker_view: view,
    pnl_today: view.account ? Math.round((view.account.equity - view.account.last_equity) * 100) / 100 : null,
    drawdown: typeof nav?.drawdown === 'number' ? nav.drawdown : null,
    unresolved_orders: unresolved,
    state_problems: store.check(),
    budgets: { daily_notional_used: daily?.date === day ? daily.notional_used : 0, daily_notional_limit: config.trading.max_daily_notional, entries_today: daily?.date === day ? daily.entries : 0, llm_cost_today: llm?.date === day ? llm.cost_usd : 0, llm_cost_limit: config.budgets.llm_usd_per_day },
    session: { date: m.date, phase: m.phase, is_trading_day: m.isTradingDay, early_close: m.earlyClose, holiday: m.holiday },
    next,
  };
}

export function renderStatus(out: Output, r: StatusResult): void {
  const t = r.trading_state;
  const paint = t.state === 'ACTIVE' ? out.s.green : t.state === 'REDUCING' ? out.s.yellow : out.s.red;
  out.line(`${out.s.bold('kobe')}  ${r.mode.toUpperCase()} on ${r.broker}   trading ${paint(t.state)}${t.record ? ` (${t.record.reason})` : ''}`);
  if (r.live_gates) out.line(`live gates  ${r.live_gates.length ? `MISSING: ${r.live_gates.join(', ')}` : 'all present'}`);
  out.line(`brain       ${r.brain.running ? 'running' : 'not running'}${r.brain.heartbeat_age_s !== null ? `, heartbeat ${r.brain.heartbeat_age_s} s ago (${r.brain.phase}, ${r.brain.cycles} cycles)` : ', no heartbeat'}`);
  for (const p of r.state_problems) out.warn(`state problem: ${p.file} ${p.field}: ${p.problem} (\`kobe state check\`)`);
  out.line(`preflight   ${r.preflight ? `${r.preflight.go ? 'GO' : 'NO-GO'} (${r.preflight.mode}) at ${r.preflight.ts}` : 'never run'}`);
  out.line(`reconcile   ${r.reconcile ? `${r.reconcile.clean ? 'clean' : `${r.reconcile.discrepancies} discrepancies`} at ${r.reconcile.ts}` : 'never run'}`);
  if (r.broker_view.ok && r.broker_view.account) {
    const a = r.broker_view.account;
    out.line(`account     equity ${a.equity.toFixed(2)}, cash ${a.cash.toFixed(2)}, P&L today ${r.pnl_today?.toFixed(2)}${r.drawdown !== null ? `, drawdown ${(r.drawdown * 100).toFixed(1)}%` : ''}`);
    out.line(`positions   ${r.broker_view.positions.map((p) => `${p.symbol} ${p.qty}`).join(', ') || 'none'}`);
    out.line(`open orders ${r.broker_view.open_orders.length}${r.unresolved_orders ? `; ${r.unresolved_orders} UNRESOLVED in the store` : ''}`);
  } else out.line(`broker      unreachable: ${r.broker_view.error}`);
  const b = r.budgets;
  out.line(`budgets     notional ${b.daily_notional_used.toFixed(0)}/${b.daily_notional_limit}, entries today ${b.entries_today}, LLM $${b.llm_cost_today.toFixed(2)}/$${b.llm_cost_limit}`);
  const s = r.session;
  out.line(`session     ${s.date} ${s.is_trading_day ? `trading day${s.early_close ? `, early close ${s.early_close}` : ''}` : `closed${s.holiday ? ` (${s.holiday})` : ''}`}, phase ${s.phase}`);
  out.line(`next        ${r.next.length ? r.next.map((n) => `${n.at} ${n.what}`).join('; ') : 'nothing more scheduled today'}`);
}
