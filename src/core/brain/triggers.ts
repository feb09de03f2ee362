// The brain's automatic kill-switch triggers (SPEC section 4, policies K1 K2 K5 K7 K8). The
// comparisons follow the SPEC wording: "> 5%", "> 10%", "> 30 min" and "> $1,000" are strict
// (exactly at the limit does not fire); "3 consecutive" fires on the 3rd (>=). Money is compared
// in cents so a loss exactly at the limit is not pushed over it by floating point.
// Activation only: nothing here turns the switch off. Deactivation is always a human (`kill off`).
import type { KobeConfig } from '../config/schema.js';
import { errorText } from '../errors.js';
import type { EventLog } from '../log/logger.js';
import type { Clock } from '../ports/clock.js';
import { activateKillSwitch, appendKillHistory } from '../risk/kill-switch.js';
import type { TradingState } from '../risk/trading-state.js';
import type { TriggerFired, TriggerInput } from './contracts.js';
import type { Alerts } from '../ports/alerts.js';

const cents = (x: number) => Math.round(x * 100);
const usd = (x: number) => `$${x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

/** Strictly more than `limitFraction` of `base` lost (in cents); false when the base is unusable. */
function lossBeyond(base: number, equity: number, limitFraction: number): boolean {
  if (!(base > 0) || !Number.isFinite(equity)) return false;
  return cents(base - equity) > cents(base * limitFraction);
}

/** Minutes the data provider has been down at `now`; Infinity when the start time cannot be read. */
export function dataDownMinutes(since: string | null, now: Date): number | null {
  if (since === null) return null;
  const t = Date.parse(since);
  return Number.isFinite(t) ? (now.getTime() - t) / 60_000 : Number.POSITIVE_INFINITY;
}

/** Every trigger that fires for this input, in policy order (K1, K2, K5, K7, K8). */
export function evaluateTriggers(i: TriggerInput, cfg: KobeConfig['kill_switch']): TriggerFired[] {
  const fired: TriggerFired[] = [];
  // K1 uses the trusted equity of nav.ts; an unusable equity is not a loss here (the failing read is K2's business).
  const k1: string[] = [];
  if (lossBeyond(i.startOfDayEquity, i.equity, cfg.daily_loss_pct)) {
    const loss = i.startOfDayEquity - i.equity;
    k1.push(`daily loss ${usd(loss)} = ${pct(loss / i.startOfDayEquity)} of start-of-day equity ${usd(i.startOfDayEquity)} > limit ${pct(cfg.daily_loss_pct)}`);
  }
  if (lossBeyond(i.weekPeakEquity, i.equity, cfg.weekly_drawdown_pct)) {
    const dd = i.weekPeakEquity - i.equity;
    k1.push(`weekly drawdown ${usd(dd)} = ${pct(dd / i.weekPeakEquity)} from the week's peak ${usd(i.weekPeakEquity)} > limit ${pct(cfg.weekly_drawdown_pct)}`);
  }
  if (k1.length) fired.push({ id: 'K1', reason: `K1 ${k1.join(' and ')} (equity ${usd(i.equity)})` });
  if (i.consecutiveCriticalFailures >= cfg.critical_task_failures) {
    fired.push({ id: 'K2', reason: `K2 ${i.consecutiveCriticalFailures} consecutive critical task failures (limit ${cfg.critical_task_failures})` });
  }
  const down = dataDownMinutes(i.dataDownSince, i.now);
  // An unreadable start time fails closed: the provider is known to be down, for an unknown time.
  if (down !== null && down > cfg.data_down_minutes) {
    fired.push({ id: 'K5', reason: Number.isFinite(down) ? `K5 data provider down for ${down.toFixed(1)} min since ${i.dataDownSince} > limit ${cfg.data_down_minutes} min` : `K5 data provider down since an unreadable time (${i.dataDownSince})` });
  }
  if (i.consecutiveBrokerRejections >= cfg.broker_rejections) {
    fired.push({ id: 'K7', reason: `K7 ${i.consecutiveBrokerRejections} consecutive broker rejections (limit ${cfg.broker_rejections})` });
  }
  if (cents(i.reconcileMismatchUsd) > cents(cfg.reconcile_mismatch_usd)) {
    fired.push({ id: 'K8', reason: `K8 reconcile mismatch ${usd(i.reconcileMismatchUsd)} notional > limit ${usd(cfg.reconcile_mismatch_usd)}` });
  }
  return fired;
}

/** What firing needs; `audit` is the chain (or anything with its append). */
export interface FireDeps {
  killFile: string;
  stateDir: string;
  historyFile: string;
  clock: Clock;
  audit: { append(type: string, data?: Record<string, unknown>): Promise<unknown> };
  events: EventLog;
  alerts: Alerts;
}

/** What fireTriggers did. */
export interface FireOutcome {
  fired: TriggerFired[];
  /** True when this call created the kill switch. */
  activated: boolean;
  /** True when a switch was already on (human or earlier trigger): left as it is. */
  alreadyActive: boolean;
  state: TradingState | null;
  /** Follow-up records that could not be written; the switch itself is on regardless. */
  warnings: string[];
}

/**
 * Halt trading for the fired triggers: the kill switch first (by 'brain', mode 'halt', trigger the
 * ids), then history, audit record `kill_on`, event `kill_switch_auto` and an alert. Idempotent:
 * an existing switch (whatever its mode) is kept and only reported. A failure to write the switch
 * itself is sent as an event and an alert and then thrown: it must never pass silently.
 */
export async function fireTriggers(fired: TriggerFired[], d: FireDeps): Promise<FireOutcome> {
  if (fired.length === 0) return { fired, activated: false, alreadyActive: false, state: null, warnings: [] };
  const trigger = fired.map((f) => f.id).join(',');
  const reason = fired.map((f) => f.reason).join('; ');
  const warnings: string[] = [];
  const attempt = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      warnings.push(`${what} not written: ${errorText(err)}`);
    }
  };
  let outcome;
  try {
    outcome = activateKillSwitch(d.killFile, d.stateDir, d.clock, { reason, by: 'brain', mode: 'halt', trigger, escalate: false });
  } catch (err) {
    await attempt('event', () => d.events.emit('kill_switch_auto_failed', { trigger, reason, error: errorText(err) }, 'fatal'));
    d.alerts.send('error', `automatic kill switch (${trigger}) could NOT be written: ${errorText(err)}. Halt by hand: kobe kill on --reason "${trigger}"`, { trigger });
    throw err;
  }
  const { created, state } = outcome;
  if (!created) return { fired, activated: false, alreadyActive: true, state, warnings };
  const r = state.record!;
  await attempt('history', () => appendKillHistory(d.historyFile, { event: 'on', reason: r.reason, mode: r.mode, activated_at: r.activated_at, activated_by: r.activated_by, trigger }));
  await attempt('audit record', () => d.audit.append('kill_on', { reason: r.reason, mode: r.mode, by: 'brain', trigger }));
  await attempt('event', () => d.events.emit('kill_switch_auto', { trigger, reason: r.reason, mode: r.mode, state: state.state }, 'error'));
  d.alerts.send('kill_switch_on', `automatic ${trigger}: ${reason}. Trading is ${state.state}; resuming is a human decision (kobe kill off).`, { trigger });
  return { fired, activated: true, alreadyActive: false, state, warnings };
}
