// `npm run bench oms`. Submit-path overhead per order against the sim broker (intent -> stored
// SUBMITTED: brokers accept now and fill later), and reconcile on a book of 500 positions and 2,000
// orders; with the share of time spent in fsync. The order lifecycle (src/core/oms): intent to
// protective stop resting on the sim (its FakeClock moved by the OMS's waits, so the figure is
// kobe's own work, not the fill delay); syncOrders of 2,000 open orders in a fresh context after a
// restart, and again when nothing changed; the fake Alpaca's trade_updates fill event to the ledger
// (through the real SDK adapter and followOrderStream); and the brain's replay of a year.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../dist/cli/context.js';
import { createHome } from '../dist/core/home.js';
import { kobePaths } from '../dist/core/paths.js';
import { FakeClock } from '../dist/core/ports/clock.js';
import { submitIntent } from '../dist/core/oms/submit.js';
import { syncOrders, waitFinal } from '../dist/core/oms/sync.js';
import { ensureProtection } from '../dist/core/oms/protect.js';
import { followOrderStream } from '../dist/core/oms/stream.js';
import { ConfigSchema } from '../dist/core/config/schema.js';
import { replayFigure } from './brain.js';
import { loadFake } from './fakes.js';
import { reconcile } from '../dist/core/reconcile/apply.js';
import { sessionsBetween } from '../dist/core/market/calendar.js';
import { seriesFromRows } from '../dist/core/strategy/bars.js';
import { IdempotencyFile, PositionsFile } from '../dist/core/state/schemas.js';
import { SimBookFile } from '../dist/core/broker/sim/book.js';
import { figure, fmt, median } from './lib.js';

/** The p-th percentile (nearest rank) of numbers. */
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

// Time spent inside fsync, across every path kobe uses (sync and callback).
let fsyncMs = 0;
const wrapSync = (name) => {
  const orig = fs[name];
  fs[name] = (...a) => {
    const t = performance.now();
    try {
      return orig(...a);
    } finally {
      fsyncMs += performance.now() - t;
    }
  };
};
wrapSync('fsyncSync');
const origFsync = fs.fsync;
fs.fsync = (fd, cb) => {
  const t = performance.now();
  origFsync(fd, (err) => {
    fsyncMs += performance.now() - t;
    cb(err);
  });
};

const quiet = { write: () => true };
const SYMS = (n) => Array.from({ length: n }, (_, i) => `S${String(i).padStart(4, '0')}`);

async function world(nSymbols) {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-oms-'));
  await createHome(kobePaths(home), 'bench', false);
  // A home that has traded has its lock directory (submitIntent makes it; syncOrders needs it).
  fs.mkdirSync(path.join(home, 'state', 'locks'), { recursive: true });
  const cfgFile = path.join(home, 'config', 'base.yaml');
  fs.writeFileSync(cfgFile, fs.readFileSync(cfgFile, 'utf8')
    .replace('max_open_positions: 5', 'max_open_positions: 100000').replace('max_order_notional: 10000', 'max_order_notional: 1000000')
    .replace('max_daily_notional: 25000', 'max_daily_notional: 1000000000').replace('max_entries_per_day: 2', 'max_entries_per_day: 100000')
    .replace('max_concurrent_pct: 0.40', 'max_concurrent_pct: 1').replace('max_new_daily_pct: 0.20', 'max_new_daily_pct: 1').replace(/max_position_pct: 0\.10/g, 'max_position_pct: 1')
    .replace('starting_cash: 100000', 'starting_cash: 100000000'));
  const clock = new FakeClock('2025-01-14T15:30:00Z');
  const ctx = await createContext({ home, json: true, clock, env: { USER: 'bench' }, streams: { stdout: quiet, stderr: quiet } });
  const days = sessionsBetween('2024-10-01', '2025-01-14');
  await (await ctx.bars()).writeMany(SYMS(nSymbols).map((s, k) => ({ series: seriesFromRows(s, days.map((date) => ({ date, open: 50 + k % 50, high: 51 + k % 50, low: 49 + k % 50, close: 50 + k % 50, volume: 1e6 }))), meta: { source: 'synthetic' } })));
  return { home, ctx, clock };
}

export async function run({ orders = 200 } = {}) {
  await submitAndReconcile(orders);
  process.stdout.write('# order lifecycle (src/core/oms): npm run bench oms\n');
  await simLifecycle(50);
  await syncAfterRestart(2000);
  await fakeStreamFills(30);
  await fakeTradeCycle(5);
  await replayFigure();
}

export async function submitAndReconcile(orders) {
  const { home, ctx } = await world(orders);
  const deps = await ctx.submitDeps();
  await submitIntent(deps, { session_date: '2025-01-14', symbol: 'S0000', side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'bench', kind: 'entry' });
  const times = [];
  fsyncMs = 0;
  const t0 = performance.now();
  for (const s of SYMS(orders).slice(1)) {
    const t = performance.now();
    const out = await submitIntent(deps, { session_date: '2025-01-14', symbol: s, side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 200, stop_price: null, strategy: 'bench', kind: 'entry' });
    if (out.status !== 'SUBMITTED' && out.status !== 'FILLED') throw new Error(`bench order ${s}: ${out.status} ${out.reason}`);
    times.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  figure('submit path, sim broker: intent -> SUBMITTED (median ms)', fmt(median(times), 2), `mean ${fmt(total / times.length, 2)} ms over ${times.length} orders`);
  figure('submit path: share of time in fsync', `${fmt((100 * fsyncMs) / total, 0)}%`, `${fmt(fsyncMs / times.length, 2)} ms per order`);
  fs.rmSync(home, { recursive: true, force: true });

  // Reconcile: 500 positions, 2,000 orders, all matching (the common case), built directly.
  const w = await world(500);
  const store = await w.ctx.state();
  const at = '2025-01-14T15:00:00Z';
  const syms = SYMS(500);
  const orderRows = Array.from({ length: 2000 }, (_, i) => {
    const s = syms[i % 500];
    return { id: `sim-${String(i + 1).padStart(8, '0')}`, client_order_id: `kobe-20250114-${s}-buy-bench-${i}`, symbol: s, side: 'buy', type: 'limit', time_in_force: 'day', qty: 10, filled_qty: i < 500 ? 10 : 0, filled_avg_price: i < 500 ? 50 : null, limit_price: i < 500 ? 51 : 1, stop_price: null, status: i < 500 ? 'filled' : i < 1500 ? 'canceled' : 'accepted', order_class: 'simple', submitted_at: at, filled_at: null, canceled_at: null, updated_at: at, parent_id: null, active: true, rest_from: '2025-01-15' };
  });
  await store.write(SimBookFile, { version: 1, created_at: at, starting_cash: 1e8, cash: 1e8, next_id: 2001, positions: Object.fromEntries(syms.map((s) => [s, { qty: 10, avg_entry_price: 50 }])), orders: orderRows });
  await store.write(PositionsFile, { version: 1, updated_at: at, positions: syms.map((s) => ({ symbol: s, qty: 10, avg_price: 50, strategy: 'bench', entry_date: '2025-01-14', stop: 45, target: null, time_stop_bars: 7, bars_held: 0, client_order_id: null, opened_at: at, updated_at: at })) });
  await store.write(IdempotencyFile, { version: 1, orders: Object.fromEntries(orderRows.map((o) => [o.client_order_id, { client_order_id: o.client_order_id, intent: { session_date: '2025-01-14', symbol: o.symbol, side: 'buy', qty: 10, type: 'limit', time_in_force: 'day', limit_price: o.limit_price, stop_price: null, strategy: 'bench', kind: 'entry' }, status: o.status === 'filled' ? 'FILLED' : o.status === 'canceled' ? 'CANCELED' : 'SUBMITTED', broker_order_id: o.id, reason: null, attempts: 1, created_at: at, updated_at: at, filled_qty: o.filled_qty, filled_avg_price: o.filled_avg_price }])) });
  const rd = await w.ctx.reconcileDeps();
  const rt = [];
  let report;
  fsyncMs = 0;
  const r0 = performance.now();
  // Once: reconcile now syncs every open order first (2,000 here), which takes tens of seconds.
  for (let i = 0; i < 1; i++) {
    const t = performance.now();
    report = await reconcile(rd, { fix: false });
    rt.push(performance.now() - t);
  }
  const rTotal = performance.now() - r0;
  const kinds = {};
  for (const x of report.discrepancies) kinds[x.type] = (kinds[x.type] ?? 0) + 1;
  const state = report.clean ? 'clean' : `NOT clean: ${Object.entries(kinds).map(([k, v]) => `${v} ${k}`).join(', ')}`;
  figure('reconcile, 500 positions + 2,000 orders (ms, 1 run)', fmt(median(rt), 1), `${state}; ${fmt((100 * fsyncMs) / rTotal, 0)}% in fsync`);
  fs.rmSync(w.home, { recursive: true, force: true });
}

/** An entry with an exit plan (the brain's shape): a marketable IOC limit. */
function planned(symbol, px, session = '2025-01-14') {
  return {
    session_date: session, symbol, side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: px + 2, stop_price: null, strategy: 'bench', kind: 'entry',
    plan: { stop: px - 5, target: null, time_stop_bars: 7, signal_price: px, signal_date: '2025-01-13' },
  };
}

// 1. Sim: submitIntent -> waitFinal -> ensureProtection, per entry on a distinct symbol. The sim's
// clock is the context's FakeClock, which the OMS's wait() advances: no fill delay is slept.
export async function simLifecycle(n) {
  const { home, ctx, clock } = await world(n);
  const deps = await ctx.submitDeps();
  const total = [];
  const parts = { submit: [], wait: [], protect: [] };
  let polls = 0;
  const c0 = clock.now().getTime();
  fsyncMs = 0;
  const t00 = performance.now();
  for (const [k, s] of SYMS(n).entries()) {
    const px = 50 + (k % 50);
    const c = clock.now().getTime();
    const t0 = performance.now();
    const out = await submitIntent(deps, planned(s, px));
    const t1 = performance.now();
    const [rec] = await waitFinal(deps, [out.client_order_id], 10_000);
    const t2 = performance.now();
    const prot = await ensureProtection(deps);
    const t3 = performance.now();
    polls += Math.round((clock.now().getTime() - c) / 250);
    if (rec?.status !== 'FILLED') throw new Error(`bench entry ${s}: ${rec?.status} ${rec?.reason}`);
    const mine = prot.find((p) => p.symbol === s);
    if (mine?.action !== 'placed' || prot.length !== k + 1 || prot.some((p) => p.symbol !== s && p.action !== 'resting')) throw new Error(`bench protection ${s}: ${JSON.stringify(prot.filter((p) => p.action !== 'resting'))}`);
    total.push(t3 - t0);
    parts.submit.push(t1 - t0);
    parts.wait.push(t2 - t1);
    parts.protect.push(t3 - t2);
  }
  const all = performance.now() - t00;
  const open = await deps.broker.listOrders({ status: 'open', limit: 500 });
  if (open.length !== n) throw new Error(`bench: ${open.length} protective stops resting, expected ${n}`);
  figure(`sim: intent -> protective stop resting, ${n} entries`, `${fmt(median(total), 1)} ms`, `median; p90 ${fmt(pct(total, 90), 1)} ms; first ${fmt(total[0], 1)}, last ${fmt(total.at(-1), 1)} ms; ${fmt((100 * fsyncMs) / all, 0)}% in fsync`);
  figure('  of which submitIntent / waitFinal / ensureProtection', `${fmt(median(parts.submit), 1)}/${fmt(median(parts.wait), 1)}/${fmt(median(parts.protect), 1)}`, `ms medians; p90 ${fmt(pct(parts.submit, 90), 1)}/${fmt(pct(parts.wait, 90), 1)}/${fmt(pct(parts.protect, 90), 1)}; ~${fmt(polls / n, 1)} polls of 250 ms sim time per entry (${fmt((clock.now().getTime() - c0) / 1000, 1)} s simulated in all)`);
  fs.rmSync(home, { recursive: true, force: true });
}

/** A broker whose calls are counted (by method name). */
function counted(broker, counts) {
  const wrap = {};
  for (const m of ['listOrders', 'getOrderByClientId', 'getOrder', 'account', 'positions', 'submitOrder']) {
    if (typeof broker[m] !== 'function') continue;
    wrap[m] = { value: (...a) => ((counts[m] = (counts[m] ?? 0) + 1), broker[m](...a)) };
  }
  return Object.create(broker, wrap);
}

// 2. Sync after a restart: 2,000 resting day limit buys far below the market (sim book and
// idempotency store written directly, accepted 50 ms apart before the restart), then a fresh
// context (a new process's view: cold caches) runs one syncOrders; then the same again with
// nothing changed (what every command and brain cycle pays).
export async function syncAfterRestart(n) {
  const w = await world(500);
  const store = await w.ctx.state();
  const syms = SYMS(500);
  const now = w.clock.now().getTime();
  const first = now - 15 * 60_000;
  const iso = (t) => new Date(t).toISOString();
  const rows = Array.from({ length: n }, (_, i) => {
    const s = syms[i % 500];
    const at = iso(first + i * 50);
    return {
      id: `sim-${String(i + 1).padStart(8, '0')}`, client_order_id: `kobe-20250114-${s}-buy-bench-entry-r${i}`, symbol: s, side: 'buy', type: 'limit', time_in_force: 'day', qty: 10,
      filled_qty: 0, filled_avg_price: null, limit_price: 5, stop_price: null, status: 'new', order_class: 'simple', submitted_at: at, filled_at: null, canceled_at: null, updated_at: iso(first + i * 50 + 250),
      parent_id: null, active: true, live_at: iso(first + i * 50 + 250), checked_to: iso(now), replaces: null, replaced_by: null,
    };
  });
  await store.write(SimBookFile, { version: 2, created_at: iso(first), starting_cash: 1e8, cash: 1e8, next_id: n + 1, positions: {}, orders: rows });
  await store.write(IdempotencyFile, {
    version: 1,
    orders: Object.fromEntries(rows.map((o) => [o.client_order_id, {
      client_order_id: o.client_order_id, intent: { session_date: '2025-01-14', symbol: o.symbol, side: 'buy', qty: 10, type: 'limit', time_in_force: 'day', limit_price: 5, stop_price: null, target_price: null, strategy: 'bench', kind: 'entry' },
      status: 'SUBMITTED', broker_order_id: o.id, reason: null, attempts: 1, created_at: o.submitted_at, updated_at: o.submitted_at, filled_qty: 0, filled_avg_price: null,
      attempt: 1, broker_status: 'accepted', reserved_notional: 50, plan: null, fills: [], unknown_since: null,
    }])),
  });
  const idemBytes = fs.statSync(store.file(IdempotencyFile)).size;
  // A home that submitted orders has its lock directory (submitIntent makes it).
  fs.mkdirSync(path.join(w.home, 'state', 'locks'), { recursive: true });
  // The restart: a new context on the same home and instant.
  const ctx = await createContext({ home: w.home, json: true, clock: new FakeClock(iso(now)), env: { USER: 'bench' }, streams: { stdout: quiet, stderr: quiet } });
  const base = await ctx.submitDeps();
  const runSync = async () => {
    const counts = {};
    const d = { ...base, broker: counted(base.broker, counts) };
    fsyncMs = 0;
    const t = performance.now();
    const r = await syncOrders(d);
    return { ms: performance.now() - t, r, counts, fsync: fsyncMs };
  };
  const cold = await runSync();
  if (cold.r.checked !== n || cold.r.problems.length) throw new Error(`bench sync: checked ${cold.r.checked}, problems ${cold.r.problems.slice(0, 3)}`);
  const calls = (c) => `${c.listOrders ?? 0} list pages, ${c.getOrderByClientId ?? 0} by-client-id lookups`;
  figure(`sync after restart: ${n} open orders, fresh context`, `${fmt(cold.ms, 0)} ms`, `${fmt((n / cold.ms) * 1000, 0)} orders/s; ${calls(cold.counts)}; ${fmt((100 * cold.fsync) / cold.ms, 0)}% in fsync; store ${fmt(idemBytes / 1e6, 1)} MB`);
  // Once: at 2,000 orders one sync takes minutes (every apply rewrites the whole store).
  const last = await runSync();
  const steady = [last.ms];
  if (last.r.checked !== n) throw new Error(`bench sync: checked ${last.r.checked}`);
  figure(`sync again, nothing changed (${n} open)`, `${fmt(median(steady), 0)} ms`, `${fmt((n / median(steady)) * 1000, 0)} orders/s; ${calls(last.counts)}; ${last.r.changed.length} changed; ${fmt((100 * last.fsync) / last.ms, 0)}% in fsync; the per-command cost`);
  fs.rmSync(w.home, { recursive: true, force: true });
}

// 3. Fake Alpaca through the real SDK adapter: an entry rests (limit below the fake's price), then
// server.fill() -> trade_updates event -> followOrderStream -> applyOrderUpdate -> the ledger has
// the position (timed to the stream hook, which runs right after the apply; checked in the store).
export async function fakeStreamFills(n) {
  const { FakeAlpacaServer, alpacaBrokerFor } = await loadFake('alpaca-server');
  const syms = SYMS(n);
  const server = await new FakeAlpacaServer({ cash: 1e8, prices: Object.fromEntries(syms.map((s) => [s, 100])) }).start();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-oms-alpaca-'));
  await createHome(kobePaths(home), 'bench', false);
  const clock = new FakeClock('2025-01-14T16:00:00Z');
  const ctx = await createContext({ home, json: true, clock, env: { USER: 'bench' }, streams: { stdout: quiet, stderr: quiet } });
  const config = ConfigSchema.parse({
    trading: { mode: 'paper', max_open_positions: 100000, max_order_notional: 1e6, max_daily_notional: 1e9, max_position_pct: 1 },
    exposure: { max_concurrent_pct: 1, max_new_daily_pct: 1, max_position_pct: 1, max_entries_per_day: 100000 },
    broker: { name: 'alpaca', timeout_ms: 2_000 }, alpaca: { base_url: server.baseUrl }, strategy: { params_sha256: 'a'.repeat(64) },
  });
  const deps = {
    broker: alpacaBrokerFor(server), store: await ctx.state(), config, clock, audit: await ctx.audit(), events: await ctx.events(),
    tradingState: () => ({ state: 'ACTIVE', source: 'absent' }), missingLiveGates: async () => [], locksDir: ctx.paths.state('locks'), logsDir: ctx.paths.logsDir,
    wait: async (ms) => server.advance(ms),
  };
  const booked = new Map();
  const stream = await followOrderStream(deps, { afterFills: async (r) => void (r.fills.length && booked.set(r.client_order_id, performance.now())) });
  const lat = [];
  try {
    for (const s of syms) {
      const out = await submitIntent(deps, { ...planned(s, 90), time_in_force: 'day' });
      if (out.status !== 'SUBMITTED') throw new Error(`bench fake entry ${s}: ${out.status} ${out.reason}`);
      server.tick();
      await new Promise((r) => setTimeout(r, 5));
      await stream.idle();
      const t0 = performance.now();
      server.fill(out.broker_order_id, 10, 91);
      while (!booked.has(out.client_order_id)) {
        if (performance.now() - t0 > 5_000) throw new Error(`bench: no fill of ${s} through the stream in 5 s`);
        await new Promise((r) => setImmediate(r));
      }
      lat.push(booked.get(out.client_order_id) - t0);
      const pos = deps.store.read(PositionsFile).positions.find((p) => p.symbol === s);
      if (pos?.qty !== 10) throw new Error(`bench: ledger has ${JSON.stringify(pos)} for ${s}; order ${JSON.stringify(deps.store.read(IdempotencyFile).orders[out.client_order_id])}; events ${fs.readFileSync(path.join(ctx.paths.logsDir, "events.jsonl"), "utf8").split("\n").filter((l) => /error|problem|fail/.test(l)).slice(-3).join(" | ")}`);
    }
  } finally {
    await stream.close();
    await server.stop();
  }
  figure(`fake Alpaca: fill event -> ledger updated (${n} fills)`, `${fmt(median(lat), 1)} ms`, `median; target <= 100 ms (${fmt(median(lat) / 100, 2)}x of it); p90 ${fmt(pct(lat, 90), 1)}, max ${fmt(Math.max(...lat), 1)} ms`);
  fs.rmSync(home, { recursive: true, force: true });
}

/** `kobe trade --once` of 3 picks against the fake Alpaca (quotes from its market data), wall ms. */
export async function fakeTradeCycle(runs = 5) {
  const { FakeAlpacaServer } = await loadFake('alpaca-server');
  const { runTrade } = await import('../dist/commands/trade.js');
  const { writeWatchlist } = await import('../dist/core/trade/watchlist-file.js');
  const syms = ['AAPL', 'MSFT', 'XOM'];
  const times = [];
  for (let k = 0; k < runs; k++) {
    class VenueClock extends FakeClock {
      advance(ms) {
        super.advance(ms);
        server.tick();
      }
    }
    const clock = new VenueClock('2025-01-14T15:30:00Z');
    const server = await new FakeAlpacaServer({ cash: 100_000, prices: { AAPL: 100, MSFT: 200, XOM: 50 }, now: () => clock.now() }).start();
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-trade-alpaca-'));
    try {
      await createHome(kobePaths(home), 'bench', false);
      const cfg = path.join(home, 'config', 'base.yaml');
      fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca').replace('base_url: https://paper-api.alpaca.markets', `base_url: ${server.baseUrl}`).replace('data_url: https://data.alpaca.markets', `data_url: ${server.baseUrl}`).replace('max_entries_per_day: 2', 'max_entries_per_day: 3'));
      fs.writeFileSync(path.join(home, '.env'), `ALPACA_API_KEY_ID=${server.keyId}\nALPACA_API_SECRET_KEY=${server.secret}\n`, { mode: 0o600 });
      const picks = syms.map((symbol) => ({ date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry: 0, stop: 0, target: null, entry_raw: 0, stop_raw: 0, target_raw: null, time_stop_bars: 7, score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: 1, level: null, bars_since: null, sweep: null }));
      for (const p of picks) {
        const px = server.prices[p.symbol];
        Object.assign(p, { entry: px, entry_raw: px, stop: Math.round(px * 0.8 * 100) / 100, stop_raw: px * 0.8 });
      }
      const ctx = await createContext({ home, json: true, clock, env: { USER: 'bench' }, streams: { stdout: quiet, stderr: quiet } });
      await writeWatchlist(ctx.paths.logsDir, { version: 1, built_at: '2025-01-13T21:30:00Z', from_session: '2025-01-13', for_session: '2025-01-14', picks, validated: { at: '2025-01-14T13:00:00Z', results: syms.map((symbol) => ({ symbol, ok: true, reason: null, gap_pct: 0 })) } });
      const t = performance.now();
      const r = await runTrade(ctx, { forceWindow: false, top: 3 });
      times.push(performance.now() - t);
      if (r.outcomes.filter((o) => o.status === 'FILLED').length !== 3) throw new Error(`bench trade on the fake: ${JSON.stringify(r.outcomes.map((o) => [o.symbol, o.status, o.reason]))}`);
    } finally {
      await server.stop();
      fs.rmSync(home, { recursive: true, force: true });
    }
  }
  figure('fake Alpaca: kobe trade of 3 picks (quotes, entries filled, stops resting)', `${fmt(median(times), 0)} ms`, `median of ${runs} fresh homes; real SDK over HTTP on 127.0.0.1`);
}
