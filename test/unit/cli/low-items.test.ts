import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { runTrade } from '../../../src/commands/trade.js';
import { IoError, SafetyRefusal, ioError } from '../../../src/core/errors.js';
import { makeDir } from '../../../src/core/util/files.js';
import { writeWatchlist } from '../../../src/core/trade/watchlist-file.js';
import type { Signal } from '../../../src/core/strategy/features.js';
import type { TestContext } from '../../helpers/context.js';
import { simWorld } from '../../helpers/sim.js';

let t: TestContext | undefined;
afterEach(() => t?.cleanup());

const pick = (symbol: string, entry: number, stop: number): Signal => ({
  date: '2025-01-13', symbol, strategy: 'ibs_rsi', bar: 0, entry, stop, target: null, entry_raw: entry, stop_raw: stop, target_raw: null, time_stop_bars: 7,
  score: 5, confidence: 0.2, ibs: 0.05, rsi: 3, atr: 2, sma: entry * 0.9, level: null, bars_since: null, sweep: null,
});

describe('I/O errors', () => {
  it('an errno error becomes an IoError (exit 3) naming the path and errno', () => {
    const e = Object.assign(new Error('EROFS: read-only file system, open \'/h/state/x.json\''), { code: 'EROFS', syscall: 'open', path: '/h/state/x.json' });
    const io = ioError(e)!;
    expect(io).toBeInstanceOf(IoError);
    expect([io.exitCode, io.message]).toEqual([3, 'cannot open /h/state/x.json: EROFS (read-only file system)']);
    expect(io.hint).toMatch(/read-write/);
    expect(ioError(new Error('plain bug'))).toBeUndefined();
  });

  it('makeDir fails fast where recursive mkdirSync spins (/proc)', () => {
    expect(() => makeDir('/proc/nope/deeper')).toThrow(/ENOENT/);
  });
});

describe('kobe trade, halted mid-cycle', () => {
  it('orders refused by a halt after the first was sent: exit 6 with the result attached', async () => {
    t = await simWorld();
    const paths = t.ctx.paths;
    await writeWatchlist(paths.logsDir, { version: 1, built_at: '2025-01-13T21:30:00Z', from_session: '2025-01-13', for_session: '2025-01-14', picks: [pick('AAPL', 100, 96), pick('XOM', 50, 48)], validated: { at: '2025-01-14T13:00:00Z', results: [{ symbol: 'AAPL', ok: true, reason: null, gap_pct: 0 }, { symbol: 'XOM', ok: true, reason: null, gap_pct: 0 }] } });
    const broker = await t.ctx.broker();
    const submit = broker.submitOrder.bind(broker);
    broker.submitOrder = async (req, permit) => {
      const r = await submit(req, permit);
      fs.writeFileSync(paths.killSwitch, ''); // the operator halts while the cycle runs
      return r;
    };
    const err = await runTrade(t.ctx, { forceWindow: false, top: 3 }).catch((e) => e);
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect(err.exitCode).toBe(6);
    expect(err.message).toMatch(/1 order\(s\) refused mid-cycle: kill switch on/);
    expect(err.result.outcomes.map((o: { symbol: string; status: string }) => [o.symbol, o.status])).toEqual([['AAPL', 'FILLED'], ['XOM', 'REFUSED']]);
  });
});
