// Submit-path overhead per order against the sim broker (intent -> stored SUBMITTED/FILLED), and
// reconcile on a book of 500 positions and 2,000 orders; with the share of time spent in fsync.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../dist/cli/context.js';
import { createHome } from '../dist/core/home.js';
import { kobePaths } from '../dist/core/paths.js';
import { FakeClock } from '../dist/core/ports/clock.js';
import { submitIntent } from '../dist/core/oms/submit.js';
import { reconcile } from '../dist/core/reconcile/apply.js';
import { sessionsBetween } from '../dist/core/market/calendar.js';
import { seriesFromRows } from '../dist/core/strategy/bars.js';
import { IdempotencyFile, PositionsFile } from '../dist/core/state/schemas.js';
import { SimBookFile } from '../dist/core/broker/sim/book.js';
import { figure, fmt, median } from './lib.js';

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
  const { home, ctx } = await world(orders);
  const deps = await ctx.submitDeps();
  await submitIntent(deps, { session_date: '2025-01-14', symbol: 'S0000', side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'bench', kind: 'entry' });
  const times = [];
  fsyncMs = 0;
  const t0 = performance.now();
  for (const s of SYMS(orders).slice(1)) {
    const t = performance.now();
    const out = await submitIntent(deps, { session_date: '2025-01-14', symbol: s, side: 'buy', qty: 1, type: 'limit', time_in_force: 'ioc', limit_price: 200, stop_price: null, strategy: 'bench', kind: 'entry' });
    if (out.status !== 'FILLED') throw new Error(`bench order ${s}: ${out.status} ${out.reason}`);
    times.push(performance.now() - t);
  }
  const total = performance.now() - t0;
  figure('submit path, sim broker: per order (median ms)', fmt(median(times), 2), `mean ${fmt(total / times.length, 2)} ms over ${times.length} orders`);
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
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    report = await reconcile(rd, { fix: false });
    rt.push(performance.now() - t);
  }
  const rTotal = performance.now() - r0;
  if (!report.clean) throw new Error(`bench reconcile not clean: ${report.discrepancies.length}`);
  figure('reconcile, 500 positions + 2,000 orders (median ms)', fmt(median(rt), 1), `clean; ${fmt((100 * fsyncMs) / rTotal, 0)}% in fsync`);
  fs.rmSync(w.home, { recursive: true, force: true });
}
