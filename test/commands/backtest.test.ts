// `kobe backtest` through runBacktestCommand on a temp home: outputs exist, are byte-identical across
// runs, missing and bad symbols are reported, and the terminal shows a table and a sparkline.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseBacktest, renderBacktest, runBacktestCommand, type BacktestOptions } from '../../src/commands/backtest.js';
import { CheckFailed, ExitCode, UsageError } from '../../src/core/errors.js';
import type { StrategyParams } from '../../src/core/config/schema.js';
import type { BarSeries } from '../../src/core/strategy/bars.js';
import { allSignals } from '../../src/core/strategy/signals.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { P, universe } from '../unit/backtest/fixtures.js';

const FILES = ['trade_list.csv', 'equity_curve.csv', 'summary.json', 'report.html'];
const BAD_DATE = sessionsBetween('2021-01-04', '2023-12-29')[300];
const opts = (o: Partial<BacktestOptions> = {}): BacktestOptions => ({ perSignal: false, checkLookahead: false, universe: 'data/universe/bt.csv', ...o });

describe('kobe backtest', () => {
  let t: TestContext;
  beforeAll(async () => {
    t = await testContext();
    const series = universe(6, sessionsBetween('2021-01-04', '2023-12-29'), 11);
    series[5].close[300] = NaN; // one bad bar on R05
    await (await t.ctx.bars()).writeMany(series.map((s) => ({ series: s, meta: { source: 'synthetic' as const } })));
    fs.mkdirSync(path.join(t.home, 'data', 'universe'), { recursive: true });
    fs.writeFileSync(path.join(t.home, 'data', 'universe', 'bt.csv'), `symbol\n${series.map((s) => s.symbol).join('\n')}\nGONE\nNOT_A_TICKER\n`);
    fs.writeFileSync(path.join(t.home, 'small.json'), JSON.stringify(P));
  });
  afterAll(() => t.cleanup());

  test('writes the four files into reports/backtest/<run id>, byte-identical on a second run', async () => {
    const a = await runBacktestCommand(t.ctx, opts({ params: 'small.json' }));
    expect(a.run_id).toBe('20250114T150000Z');
    expect(a.out_dir).toBe(path.join(t.home, 'reports', 'backtest', '20250114T150000Z'));
    expect(fs.readdirSync(a.out_dir).sort()).toEqual([...FILES].sort());
    t.clock.advance(60_000);
    const b = await runBacktestCommand(t.ctx, opts({ params: 'small.json' }));
    expect(b.run_id).toBe('20250114T150100Z');
    for (const f of FILES) {
      const x = fs.readFileSync(path.join(a.out_dir, f));
      expect(x.length).toBeGreaterThan(200);
      expect(fs.readFileSync(path.join(b.out_dir, f)).equals(x)).toBe(true);
    }
    const summary = JSON.parse(fs.readFileSync(a.files.summary, 'utf8'));
    expect(summary).toEqual(JSON.parse(JSON.stringify(a.summary)));
    expect(summary.metrics.combined.trades).toBeGreaterThan(20);
    expect(summary.metrics.combined.trades).toBe(fs.readFileSync(a.files.trade_list, 'utf8').trimEnd().split('\n').length - 1);
    expect(summary.inputs).toMatchObject({ universe: 'data/universe/bt.csv', symbols_requested: 7, params: { version: 'test-small', file: 'small.json', pinned: false }, data_sources: { synthetic: 6 } });
    expect(summary.synthetic).toBe(true);
  });

  test('missing symbols and bad bars are reported, never skipped silently', async () => {
    const r = await runBacktestCommand(t.ctx, opts({ params: 'small.json', out: 'reports/custom' }));
    expect(r.out_dir).toBe(path.join(t.home, 'reports', 'custom'));
    expect(r.summary.data_problems.missing).toEqual(['GONE']);
    expect(r.summary.data_problems.universe).toEqual([{ line: 9, value: 'NOT_A_TICKER', problem: 'not a valid symbol' }]);
    expect(r.summary.data_problems.bad_bars).toEqual([{ symbol: 'R05', bars: 1, first_date: BAD_DATE, first_reason: 'NaN price' }]);
    expect(r.summary.period.symbols).toBe(6);
  });

  test('terminal: a summary table, a 60-character sparkline, SYNTHETIC DATA, problems on stderr', async () => {
    const r = await runBacktestCommand(t.ctx, opts({ params: 'small.json', out: 'reports/render' }));
    t.stdout.data = '';
    t.stderr.data = '';
    renderBacktest(t.ctx.out, r);
    await new Promise((res) => setImmediate(res)); // the table is written asynchronously
    const out = t.stdout.data;
    expect(out).toMatch(/^SYNTHETIC DATA/m);
    expect(out).toMatch(/^metric\tcombined\tibs_rsi\tturtle_soup$/m);
    expect(out).toMatch(/^trades\t\d+\t\d+\t\d+$/m);
    const spark = /^equity ([▁▂▃▄▅▆▇█]+)$/m.exec(out);
    expect(spark?.[1]).toHaveLength(60);
    expect(t.stderr.data).toMatch(/1 universe symbol\(s\) have no bars: GONE/);
    expect(t.stderr.data).toMatch(/universe line 9: "NOT_A_TICKER" not a valid symbol/);
    expect(t.stderr.data).toMatch(/R05: 1 bad bar\(s\)/);
  });

  test('per-signal mode and the lookahead check (pinned params)', async () => {
    const r = await runBacktestCommand(t.ctx, opts({ perSignal: true, checkLookahead: true, out: 'reports/ps' }));
    expect(r.summary.mode).toBe('per_signal');
    expect(r.summary.inputs.params.pinned).toBe(true);
    expect(r.summary.lookahead).toMatchObject({ ok: true, mismatch_count: 0 });
    expect(r.summary.metrics.combined.cagr).toBeNull();
    const trades = fs.readFileSync(r.files.trade_list, 'utf8').trimEnd().split('\n').slice(1);
    expect(trades.length).toBeGreaterThan(0);
    expect(trades.length).toBe(r.summary.metrics.combined.trades);
    expect(trades.every((l) => l.split(',')[7] === '1')).toBe(true); // one share each
    expect(r.summary.lookahead!.checked_signals).toBeGreaterThanOrEqual(r.summary.signals.combined.total);
  });

  test('--check-lookahead: a signal that peeks at the next bar fails with exit 5 and writes nothing', async () => {
    const peek = (s: BarSeries, p: StrategyParams) => allSignals(s, p).map((x) => (x.bar + 1 < s.length ? { ...x, stop: s.low[x.bar + 1] } : x));
    const err = await runBacktestCommand(t.ctx, opts({ params: 'small.json', checkLookahead: true, out: 'reports/peek' }), { signalFn: peek }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).exitCode).toBe(ExitCode.CHECK_FAILED);
    expect((err as CheckFailed).result).toMatchObject({ lookahead: { ok: false } });
    expect((err as CheckFailed).message).toMatch(/^lookahead: \d+ of \d+ signal bar\(s\) changed/);
    expect(fs.existsSync(path.join(t.home, 'reports', 'peek'))).toBe(false);
  });

  test('--json prints the summary and the output paths as one document', async () => {
    const j = await testContext({ json: true });
    try {
      fs.cpSync(path.join(t.home, 'data'), path.join(j.home, 'data'), { recursive: true });
      const r = await runBacktestCommand(j.ctx, opts({ start: '2022-01-03', end: '2022-06-30' }));
      j.ctx.out.result(r, renderBacktest);
      const doc = JSON.parse(j.stdout.data);
      expect(doc.ok).toBe(true);
      expect(doc.files.report).toBe(path.join(j.home, 'reports', 'backtest', '20250114T150000Z', 'report.html'));
      expect(doc.summary.period).toMatchObject({ first_date: '2022-01-03', last_date: '2022-06-30' });
    } finally {
      j.cleanup();
    }
  });

  test('usage errors: bad dates, --cap, unknown params file, a universe with no bars', async () => {
    expect(() => parseBacktest({ start: '2024-02-30' })).toThrow(UsageError);
    expect(() => parseBacktest({ start: '2024-02-01', end: '2024-01-01' })).toThrow(/after --end/);
    expect(() => parseBacktest({ cap: '0' })).toThrow(/--cap/);
    expect(parseBacktest({ cap: '3', perSignal: true })).toMatchObject({ cap: 3, perSignal: true, checkLookahead: false });
    await expect(runBacktestCommand(t.ctx, opts({ params: 'nope.json' }))).rejects.toThrow(/not found/);
    fs.writeFileSync(path.join(t.home, 'data', 'universe', 'empty.csv'), 'symbol\nZZZ\n');
    const err = await runBacktestCommand(t.ctx, opts({ universe: 'data/universe/empty.csv' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(ExitCode.USAGE);
    await expect(runBacktestCommand(t.ctx, opts({ start: '2030-01-02' }))).rejects.toThrow(/no bars between 2030-01-02/);
  });
});
