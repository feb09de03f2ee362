// The trade path under SIGKILL at every state write: a cycle is killed right after its Nth rename,
// then run again to the end, for every N until a cycle finishes unkilled. After each rerun: the
// caps held (entries per day, daily notional), one broker order per intent, ledger = broker,
// one journal fill per booked fill, and every position protected by one resting stop.
import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../../src/cli/context.js';
import { dailyUsage } from '../../src/core/oms/budgets.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { IdempotencyFile, PositionsFile } from '../../src/core/state/schemas.js';
import { readTrades } from '../../src/core/trade/journal.js';
import { writeWatchlist } from '../../src/core/trade/watchlist-file.js';
import type { Signal } from '../../src/core/strategy/features.js';
import { ROOT } from '../helpers/cli.js';
import { IN_WINDOW, simWorld } from '../helpers/sim.js';

const TRADER = path.join(ROOT, 'test', 'e2e', 'fixtures', 'trader.mjs');
const KILLER = path.join(ROOT, 'test', 'e2e', 'fixtures', 'kill-after-renames.mjs');
const quiet = { write: () => true };

const pick = (symbol: string, entry: number, stop: number): Signal => ({
  date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: entry * 0.9, level: null, bars_since: null, sweep: null,
});

function trade(home: string, killAfter: number): { code: number | null; signal: string | null; err: string } {
  const r = spawnSync(process.execPath, ['--import', KILLER, TRADER, home, IN_WINDOW], { encoding: 'utf8', env: { PATH: process.env.PATH, KOBE_KILL_AFTER_RENAMES: String(killAfter) }, timeout: 60_000 });
  return { code: r.status, signal: r.signal, err: r.stderr };
}

describe('trade path crash loop', () => {
  it('SIGKILL after every rename of a trade cycle, then a rerun: caps held, one order per intent, ledger = broker', async () => {
    const t = await simWorld();
    // Three picks, two entries a day allowed: the third is always vetoed, however often the cycle dies.
    await writeWatchlist(t.ctx.paths.logsDir, { version: 1, built_at: '2025-01-13T21:30:00Z', from_session: '2025-01-13', for_session: '2025-01-14', picks: [pick('AAPL', 100, 96), pick('MSFT', 200, 192), pick('XOM', 50, 48)], validated: { at: '2025-01-14T13:00:00Z', results: ['AAPL', 'MSFT', 'XOM'].map((symbol) => ({ symbol, ok: true, reason: null, gap_pct: 0 })) } });
    const template = t.home;
    const { config } = await t.ctx.config();
    let kills = 0;
    let n = 1;
    try {
      for (; n < 400; n++) {
        const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-crash-'));
        try {
          fs.cpSync(template, home, { recursive: true });
          const first = trade(home, n);
          const killed = first.signal === 'SIGKILL';
          if (!killed) expect({ code: first.code, err: first.err }).toEqual({ code: 0, err: '' });
          kills += killed ? 1 : 0;
          const rerun = trade(home, 0);
          expect({ n, code: rerun.code, err: rerun.err }).toEqual({ n, code: 0, err: '' });
          const ctx = await createContext({ home, json: true, clock: new FakeClock(IN_WINDOW), env: { USER: 'check' }, streams: { stdout: quiet, stderr: quiet } });
          const store = await ctx.state();
          const orders = store.read(IdempotencyFile).orders;
          const broker = await ctx.broker();
          const all = await broker.listOrders({ status: 'all', limit: 500 });
          const buys = all.filter((o) => o.side === 'buy');
          // One broker order per intent, and only the intents the caps allow.
          expect(new Set(buys.map((o) => o.client_order_id)).size).toBe(buys.length);
          expect(buys.length).toBeLessThanOrEqual(config.exposure.max_entries_per_day);
          const usage = dailyUsage(orders, '2025-01-14');
          expect(usage.entries).toBeLessThanOrEqual(config.exposure.max_entries_per_day);
          expect(usage.notional).toBeLessThanOrEqual(config.trading.max_daily_notional);
          // Ledger = broker, and the journal has each fill once.
          const held = (await broker.positions()).map((p) => [p.symbol, p.qty]);
          expect({ n, ledger: store.read(PositionsFile).positions.map((p) => [p.symbol, p.qty]) }).toEqual({ n, ledger: held });
          const fills = readTrades(ctx.paths.logsDir).trades.filter((x) => x.event === 'fill');
          expect(new Set(fills.map((f) => f.fill_key)).size).toBe(fills.length);
          expect(fills.reduce((a, f) => a + f.qty, 0)).toBe(held.reduce((a, [, q]) => a + Number(q), 0));
          // Every position has exactly one protective stop resting.
          const stops = (await broker.listOrders({ status: 'open' })).filter((o) => o.side === 'sell' && o.type === 'stop');
          expect(stops.map((o) => o.symbol).sort()).toEqual(held.map(([s]) => s).sort());
          if (!killed) break;
        } finally {
          fs.rmSync(home, { recursive: true, force: true });
        }
      }
    } finally {
      t.cleanup();
    }
    // The loop reached a cycle that finished unkilled: every write of the path was a kill point.
    expect(kills).toBe(n - 1);
    expect(kills).toBeGreaterThan(10);
    process.stderr.write(`trade crash loop: ${kills} kills, ${kills} reruns, caps exceeded 0\n`);
  }, 600_000);
});
