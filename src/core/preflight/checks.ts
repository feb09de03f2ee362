// The checks of SPEC section 8. Each one is small and independent; the runner gives each its
// timeout. Hints are the kobe command that fixes the problem.
import fs from 'node:fs';
import { verifyChain } from '../audit/chain.js';
import type { LoadedConfig } from '../config/load.js';
import { parseConfig, sha256File, parseParams } from '../config/load.js';
import { ConfigError } from '../errors.js';
import type { BarStore } from '../data/store.js';
import { loadUniverse } from '../data/universe.js';
import { closeTimeEt, earlyCloseName, holidayName, isTradingDay } from '../market/calendar.js';
import { lastCompletedSession } from '../market/sessions.js';
import { etDate, etMinutes } from '../market/time.js';
import type { KobePaths } from '../paths.js';
import type { Broker } from '../ports/broker.js';
import type { Quotes } from '../ports/quotes.js';
import { missingLiveGates } from '../risk/live-gates.js';
import { tradingState } from '../risk/trading-state.js';
import { loadEarnings } from '../scan/earnings.js';
import { IdempotencyFile, LastReconcileFile, LlmUsageFile, WeeklyBudgetFile } from '../state/schemas.js';
import type { StateStore } from '../state/store.js';
import type { PreflightInput } from './input.js';
import { MARKET_CHECKS } from './market-checks.js';

export type { PreflightInput } from './input.js';
import type { CheckVerdict, PreflightCheck } from './run.js';
import path from 'node:path';

const ok = (detail: string): CheckVerdict => ({ status: 'ok', detail });
const warn = (detail: string, hint?: string): CheckVerdict => ({ status: 'warn', detail, hint });
const fail = (detail: string, hint?: string): CheckVerdict => ({ status: 'fail', detail, hint });
const skip = (detail: string): CheckVerdict => ({ status: 'skip', detail });

async function cfg(i: PreflightInput) {
  try {
    return await i.config();
  } catch {
    return null;
  }
}

type Check = PreflightCheck<PreflightInput>;

export const CHECKS: Check[] = [
  {
    name: 'config_valid', blocking: true, hint: 'fix config/base.yaml (every problem is listed with its path)',
    async run(i) {
      const text = fs.readFileSync(i.paths.config, 'utf8');
      try {
        await parseConfig(text, i.paths.config);
      } catch (err) {
        if (err instanceof ConfigError) return fail(err.issues.map((x) => `${x.path}: ${x.message}`).join('; '));
        throw err;
      }
      return ok('config/base.yaml valid');
    },
  },
  {
    name: 'params_pin', blocking: true, hint: 'restore config/frozen_strategy_params.json, or change it only through `kobe approve`',
    async run(i) {
      const c = await parseConfig(fs.readFileSync(i.paths.config, 'utf8'), i.paths.config).catch(() => null);
      if (!c) return skip('config invalid');
      const file = path.resolve(i.paths.home, c.strategy.params_file);
      const actual = sha256File(file);
      if (actual !== c.strategy.params_sha256) return fail(`pin mismatch: config pins ${c.strategy.params_sha256}, file hashes to ${actual}`);
      parseParams(fs.readFileSync(file, 'utf8'), file);
      return ok(`frozen params pinned (${actual.slice(0, 12)}...)`);
    },
  },
  {
    name: 'mode_match', blocking: true, hint: 'set trading.mode in config/base.yaml, or run `kobe preflight --mode <that mode>`',
    async run(i) {
      const c = await cfg(i);
      if (!c) return skip('config invalid');
      return c.config.trading.mode === i.mode ? ok(`requested ${i.mode} = config ${c.config.trading.mode}`) : fail(`requested ${i.mode}, config says ${c.config.trading.mode}`);
    },
  },
  {
    name: 'keys_present', blocking: true, hint: 'put ALPACA_API_KEY_ID and ALPACA_API_SECRET_KEY in .env',
    async run(i) {
      const c = await cfg(i);
      if (!c) return skip('config invalid');
      if (c.config.broker.name === 'sim') return skip('sim broker needs no keys');
      const s = await i.secrets();
      const missing = ['ALPACA_API_KEY_ID', 'ALPACA_API_SECRET_KEY'].filter((k) => !s[k]);
      return missing.length ? fail(`missing: ${missing.join(', ')} (values are never printed)`) : ok('broker keys present');
    },
  },
  {
    name: 'broker_account', blocking: true, hint: 'check the broker: `kobe account`; keys in .env; alpaca.base_url',
    async run(i) {
      const a = await (await i.broker()).account();
      if (a.account_blocked || a.trading_blocked) return fail(`account ${a.status}: ${a.account_blocked ? 'account blocked' : 'trading blocked'}`);
      if (a.status !== 'ACTIVE') return fail(`account status ${a.status}`);
      if (a.pattern_day_trader) return warn(`pattern day trader flag set (day trades ${a.daytrade_count})`, 'review with the broker');
      return ok(`account ACTIVE, equity ${a.equity.toFixed(2)}, buying power ${a.buying_power.toFixed(2)}`);
    },
  },
  {
    name: 'broker_clock', blocking: true, hint: 'fix the machine clock (NTP); kobe and the broker must agree within 2 s',
    async run(i) {
      const b = await i.broker();
      if (b.name === 'sim') return skip('the sim broker runs on kobe\'s own clock');
      const t0 = Date.now();
      const c = await b.clock();
      const skewMs = Math.abs(Date.parse(c.timestamp) - (t0 + Date.now()) / 2);
      if (skewMs > 2_000) return fail(`clock skew ${(skewMs / 1000).toFixed(1)} s with the broker (limit 2 s)`);
      const d = etDate(i.now);
      const m = etMinutes(i.now);
      const ours = isTradingDay(d) && m >= 570 && m < (closeTimeEt(d) === '13:00' ? 780 : 960);
      if (ours !== c.is_open) return fail(`calendar disagreement: broker says market ${c.is_open ? 'open' : 'closed'}, kobe's NYSE calendar says ${ours ? 'open' : 'closed'}`);
      return ok(`skew ${skewMs} ms; calendar agrees (market ${ours ? 'open' : 'closed'})`);
    },
  },
  ...MARKET_CHECKS,
  {
    name: 'session_today', blocking: false, hint: 'see `kobe market`',
    async run(i) {
      const d = etDate(i.now);
      if (!isTradingDay(d)) return warn(`${d} is not a session (${holidayName(d) ?? 'weekend'})`);
      const early = earlyCloseName(d);
      return early ? warn(`early close 13:00 ET today (${early})`) : ok(`${d} is a regular session`);
    },
  },
  {
    name: 'data_fresh', blocking: true, hint: 'refresh: `kobe data prefetch --universe <file>` (or `kobe data seed` for the sim)',
    async run(i) {
      const c = await cfg(i);
      if (!c) return skip('config invalid');
      const u = loadUniverse(path.resolve(i.paths.home, c.config.data.universe), c.config.data.cap);
      const idx = (await i.bars()).index().symbols;
      const want = lastCompletedSession(i.now);
      const missing = u.symbols.filter((s) => !idx[s]);
      const stale = u.symbols.filter((s) => idx[s] && (idx[s].last ?? '') < want);
      const weekday = isTradingDay(etDate(i.now));
      if (missing.length || stale.length) {
        const detail = `${stale.length} stale, ${missing.length} missing of ${u.symbols.length} (want last bar ${want})${stale.length ? `; e.g. ${stale.slice(0, 3).map((s) => `${s} ${idx[s].last}`).join(', ')}` : ''}`;
        return { status: weekday ? 'fail' : 'warn', detail, blocking: weekday };
      }
      const synthetic = u.symbols.some((s) => idx[s]?.source === 'synthetic');
      return ok(`${u.symbols.length} symbols through ${want}${synthetic ? ' (SYNTHETIC data)' : ''}`);
    },
  },
  {
    name: 'earnings_dates', blocking: false, hint: 'kobe data earnings import FILE',
    async run(i) {
      const e = loadEarnings(i.paths.dataDir);
      if (!e) return warn('no data/earnings.csv: the scan\'s earnings blackout is not applied');
      const age = e.imported_at ? (i.now.getTime() - Date.parse(e.imported_at)) / 86_400_000 : Infinity;
      return age > 7 ? warn(`earnings dates are ${Number.isFinite(age) ? `${Math.floor(age)} days` : 'of unknown age and'} old (refresh within 7 days)`) : ok(`${e.rows} earnings dates, imported ${Math.floor(age)} day(s) ago`);
    },
  },
  {
    name: 'kill_switch', blocking: true, hint: 'see `kobe kill status`; resume with `kobe kill off` once resolved',
    async run(i) {
      const t = tradingState(i.paths.killSwitch, i.paths.stateDir);
      return t.state === 'ACTIVE' ? ok('absent: trading ACTIVE') : fail(`${t.state}: ${t.record?.reason ?? t.detail ?? ''}`);
    },
  },
  {
    name: 'audit_chain', blocking: true, hint: '`kobe verify-chain` (a torn tail: `kobe verify-chain --repair`)',
    async run(i) {
      const v = verifyChain(i.paths.chain, i.paths.chainHead);
      if (v.status === 'broken') return fail(`broken at block ${v.brokenAt}: ${v.reason}`);
      if (v.status === 'torn_tail') return warn(`torn last line after ${v.blocks} intact blocks`, 'kobe verify-chain --repair');
      return ok(`${v.status}: ${v.blocks} blocks`);
    },
  },
  {
    name: 'reconcile', blocking: true, hint: 'kobe reconcile (then `kobe reconcile --fix --yes`)',
    async run(i) {
      const s = await i.store();
      if (!s.exists(LastReconcileFile)) return fail('no reconcile on record');
      const r = s.read(LastReconcileFile);
      const ageH = (i.now.getTime() - Date.parse(r.ts)) / 3_600_000;
      if (!r.clean) return fail(`last reconcile ${r.ts} found ${r.discrepancies.length} discrepancy(ies)`);
      if (ageH > 24) return fail(`last reconcile is ${Math.floor(ageH)} h old (limit 24 h)`);
      return ok(`clean, ${ageH < 1 ? `${Math.round(ageH * 60)} min` : `${ageH.toFixed(1)} h`} ago`);
    },
  },
  {
    name: 'open_orders', blocking: false, hint: 'kobe orders --open; kobe reconcile --fix --yes',
    async run(i) {
      const store = (await i.store()).read(IdempotencyFile).orders;
      const unresolved = Object.values(store).filter((r) => r.status === 'PENDING' || r.status === 'UNKNOWN');
      const open = await (await i.broker()).listOrders({ status: 'open', limit: 500 });
      const today = etDate(i.now);
      const stale = open.filter((o) => o.submitted_at && etDate(new Date(o.submitted_at)) < today);
      if (unresolved.length) return { status: 'fail', blocking: true, detail: `${unresolved.length} unresolved order(s) in the store (PENDING/UNKNOWN)` };
      return stale.length ? warn(`${stale.length} open order(s) from an earlier session`) : ok(`${open.length} open order(s), none stale`);
    },
  },
  {
    name: 'state_files', blocking: true, hint: 'kobe state check',
    async run(i) {
      const problems = (await i.store()).check();
      return problems.length ? fail(problems.map((p) => `${p.file} ${p.field}: ${p.problem}`).join('; ')) : ok('every state file valid');
    },
  },
  {
    name: 'llm_budget', blocking: false, hint: 'kobe budget',
    async run(i) {
      const c = await cfg(i);
      if (!c) return skip('config invalid');
      const u = (await i.store()).read(LlmUsageFile);
      const used = u.date === etDate(i.now) ? u.cost_usd : 0;
      const left = 1 - used / c.config.budgets.llm_usd_per_day;
      return left <= 0.2 ? warn(`${Math.max(0, left * 100).toFixed(0)}% of the LLM budget left today`) : ok(`${(left * 100).toFixed(0)}% of the LLM budget left`);
    },
  },
  {
    name: 'weekly_budget', blocking: false, hint: 'kobe budget',
    async run(i) {
      const c = await cfg(i);
      if (!c) return skip('config invalid');
      const w = (await i.store()).read(WeeklyBudgetFile);
      const today = etDate(i.now);
      const entries = w.entries_by_day[today] ?? 0;
      if (entries >= c.config.exposure.max_entries_per_day) return warn(`${entries} entries today: the daily entry limit is reached`);
      return ok(`new exposure this week ${w.new_exposure.toFixed(2)}; ${entries} entr${entries === 1 ? 'y' : 'ies'} today`);
    },
  },
  {
    name: 'disk_space', blocking: true, hint: 'free disk space under the kobe home',
    async run(i) {
      const s = await fs.promises.statfs(i.paths.home);
      const free = s.bavail * s.bsize;
      const gb = free / 1e9;
      if (free < 100e6) return fail(`${(free / 1e6).toFixed(0)} MB free`);
      return gb < 1 ? warn(`${gb.toFixed(2)} GB free`) : ok(`${gb.toFixed(1)} GB free`);
    },
  },
  {
    name: 'env_permissions', blocking: true, hint: 'chmod 600 .env',
    async run(i) {
      let mode: number;
      try {
        mode = fs.statSync(i.paths.env).mode & 0o777;
      } catch {
        return skip('no .env');
      }
      if (mode & 0o077) return { status: 'fail', blocking: i.mode === 'live', detail: `.env is mode ${mode.toString(8)}: readable or writable by others` };
      return ok(`.env mode ${mode.toString(8)}`);
    },
  },
  {
    name: 'live_gates', blocking: true, hint: 'see RUNBOOK.md, "Going live": every gate, set by a person',
    async run(i) {
      if (i.mode !== 'live') return skip('paper mode');
      const c = await i.config();
      const b = await i.broker().catch(() => null);
      const missing = missingLiveGates({ config: c.config, pin: c.pin, processEnv: i.processEnv, store: await i.store(), approvalsDir: i.paths.state('approvals'), brokerHost: b?.host ?? 'unknown', now: i.now })
        // This preflight is what would satisfy the preflight gate.
        .filter((g) => g !== 'recent_live_preflight');
      return missing.length ? fail(`missing live gates: ${missing.join(', ')}`) : ok('every live gate present');
    },
  },
];
