// Daily notional (state/daily_budget.json, per ET date) and weekly exposure (state/weekly_budget.json,
// weeks starting Monday ET), as the submit path charges them, measured against config limits.
// Percent limits need equity; without it the USD headroom is unknown, never guessed.
import type { KobeConfig } from '../config/schema.js';
import { etDate } from '../market/time.js';
import { DailyBudgetFile, WeeklyBudgetFile } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import type { Bounded, BrokerSnapshot } from './broker-probe.js';

/** New-order notional of today (ET) against trading.max_daily_notional. */
export interface DailyNotional {
  date: string;
  used: number;
  limit: number;
  remaining: number;
  pct_remaining: number;
  entries: number;
  max_entries: number;
}

/** This week's new exposure and the headroom left under the exposure percentages. */
export interface WeeklyExposure {
  week_start: string;
  new_exposure: number;
  entries_by_day: Record<string, number>;
  equity: number | null;
  /** Why equity is unknown (null when known). */
  equity_unknown: string | null;
  max_new_daily_pct: number;
  new_today: number;
  new_daily_limit: number | null;
  new_daily_headroom: number | null;
  max_concurrent_pct: number;
  concurrent: number | null;
  concurrent_limit: number | null;
  concurrent_headroom: number | null;
}

/** Monday (ET calendar) of the week holding `day`, as the submit path keys weekly_budget.json. */
export function weekStartOf(day: string): string {
  const d = new Date(`${day}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}

const money = (x: number) => Math.round(x * 100) / 100;

/** Both trading budgets; `broker` is the bounded snapshot (equity may be unknown). */
export function tradingBudgets(store: StateStore, config: KobeConfig, now: Date, broker: Bounded<BrokerSnapshot>): { daily: DailyNotional; weekly: WeeklyExposure } {
  const today = etDate(now);
  const d = store.read(DailyBudgetFile);
  const used = d.date === today ? d.notional_used : 0;
  const limit = config.trading.max_daily_notional;
  const daily: DailyNotional = {
    date: today,
    used: money(used),
    limit,
    remaining: money(Math.max(0, limit - used)),
    pct_remaining: Math.round((Math.max(0, limit - used) / limit) * 1000) / 10,
    entries: d.date === today ? d.entries : 0,
    max_entries: config.exposure.max_entries_per_day,
  };
  const ws = weekStartOf(today);
  const w = store.read(WeeklyBudgetFile);
  const thisWeek = w.week_start === ws;
  const x = config.exposure;
  const equity = broker.ok ? broker.value.equity : null;
  const concurrent = broker.ok ? money(broker.value.concurrent_exposure) : null;
  const newDailyLimit = equity === null ? null : money(x.max_new_daily_pct * equity);
  const concurrentLimit = equity === null ? null : money(x.max_concurrent_pct * equity);
  const weekly: WeeklyExposure = {
    week_start: ws,
    new_exposure: thisWeek ? money(w.new_exposure) : 0,
    entries_by_day: thisWeek ? w.entries_by_day : {},
    equity,
    equity_unknown: broker.ok ? null : broker.error,
    max_new_daily_pct: x.max_new_daily_pct,
    new_today: daily.used,
    new_daily_limit: newDailyLimit,
    new_daily_headroom: newDailyLimit === null ? null : money(Math.max(0, newDailyLimit - daily.used)),
    max_concurrent_pct: x.max_concurrent_pct,
    concurrent,
    concurrent_limit: concurrentLimit,
    concurrent_headroom: concurrentLimit === null || concurrent === null ? null : money(Math.max(0, concurrentLimit - concurrent)),
  };
  return { daily, weekly };
}
