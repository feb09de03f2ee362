// `kobe walk-forward` through runWalkForwardCommand on a temp home with the pinned v2.2 params:
// flag validation, the folder layout, byte-identical reruns, params.json per split with a grid, and
// --propose writing a pending approval only when a chosen set beats the pinned params.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseWalkForward, renderWalkForward, runWalkForwardCommand, type WalkForwardOptions } from '../../src/commands/walk-forward.js';
import { listApprovals } from '../../src/core/approvals/store.js';
import { parseParams } from '../../src/core/config/load.js';
import { UsageError } from '../../src/core/errors.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { testContext, type TestContext } from '../helpers/context.js';
import { universe } from '../unit/backtest/fixtures.js';

const opts = (o: Partial<WalkForwardOptions> = {}): WalkForwardOptions => ({ ...parseWalkForward({}), universe: 'data/universe/wf.csv', workers: 2, ...o });
const read = (dir: string, f: string) => fs.readFileSync(path.join(dir, f));
// On this data the shipped ibs_entry 0.08 / rsi_entry 5 are beaten out of sample by looser entries.
const BETTER_GRID = 'ibs_rsi.ibs_entry=0.2,0.3;ibs_rsi.rsi_entry=20,40';

describe('parseWalkForward', () => {
  test('defaults: rolling 252/63, sharpe, min(2, CPUs) workers, no grid', () => {
    expect(parseWalkForward({})).toEqual({
      universe: undefined, cap: undefined, start: undefined, end: undefined, train: 252, test: 63, anchored: false, warmup: undefined,
      grid: undefined, objective: 'sharpe', workers: Math.min(2, os.availableParallelism()), params: undefined, propose: false, out: undefined,
    });
    expect(parseWalkForward({ train: '100', test: '20', warmup: '0', workers: '1', anchored: true, objective: 'calmar', grid: 'ibs_rsi.ibs_entry=0.1', propose: true })).toMatchObject({ train: 100, test: 20, warmup: 0, workers: 1, anchored: true, objective: 'calmar', propose: true });
  });

  test.each([
    [{ train: '0' }, /--train must be an integer from 1/],
    [{ test: '-5' }, /--test must be an integer from 1/],
    [{ test: '2.5' }, /--test must be an integer/],
    [{ warmup: '-1' }, /--warmup must be an integer from 0/],
    [{ workers: '0' }, /--workers must be an integer from 1 to 64/],
    [{ workers: '65' }, /--workers must be an integer from 1 to 64/],
    [{ objective: 'sortino' }, /--objective must be one of sharpe, cagr, profit_factor, calmar/],
    [{ start: '2024-02-30' }, /--start must be a date/],
    [{ start: '2024-03-01', end: '2024-01-01' }, /--start 2024-03-01 is after --end 2024-01-01/],
    [{ propose: true }, /--propose needs --grid/],
  ])('rejects %j', (raw, msg) => {
    expect(() => parseWalkForward(raw)).toThrow(UsageError);
    expect(() => parseWalkForward(raw)).toThrow(msg);
  });
});

describe('kobe walk-forward', () => {
  let t: TestContext;
  const approvals = () => listApprovals(t.ctx.paths.state('approvals')).approvals;
  beforeAll(async () => {
    t = await testContext();
    const series = universe(6, sessionsBetween('2019-01-02', '2023-12-29'), 3);
    await (await t.ctx.bars()).writeMany(series.map((s) => ({ series: s, meta: { source: 'synthetic' as const } })));
    fs.mkdirSync(path.join(t.home, 'data', 'universe'), { recursive: true });
    fs.writeFileSync(path.join(t.home, 'data', 'universe', 'wf.csv'), `symbol\n${series.map((s) => s.symbol).join('\n')}\n`);
  });
  afterAll(() => t.cleanup());

  test('writes reports/walkforward/<run id>/ with the summaries, the stitched curve, the report and split_NN/, byte-identical on a rerun', async () => {
    const a = await runWalkForwardCommand(t.ctx, opts());
    expect(a.out_dir).toBe(path.join(t.home, 'reports', 'walkforward', '20250114T150000Z'));
    const n = a.summary.splits.length;
    expect(n).toBe(12); // 1258 sessions: tests start at 482 + 63k while + 32 <= 1258
    const names = Array.from({ length: n }, (_, i) => `split_${String(i).padStart(2, '0')}`);
    expect(fs.readdirSync(a.out_dir).sort()).toEqual(['oos_equity.csv', ...names, 'wf_report.html', 'wf_summary.csv', 'wf_summary.json'].sort());
    expect(fs.readdirSync(path.join(a.out_dir, 'split_00')).sort()).toEqual(['equity_curve.csv', 'summary.json', 'trade_list.csv']);
    t.clock.advance(60_000);
    const b = await runWalkForwardCommand(t.ctx, opts({ workers: 1 }));
    expect(b.run_id).toBe('20250114T150100Z');
    for (const f of ['wf_summary.json', 'wf_summary.csv', 'oos_equity.csv', 'wf_report.html', 'split_07/trade_list.csv', 'split_07/summary.json']) {
      expect(read(a.out_dir, f).length).toBeGreaterThan(100);
      expect(read(b.out_dir, f).equals(read(a.out_dir, f))).toBe(true);
    }
    const s = JSON.parse(read(a.out_dir, 'wf_summary.json').toString());
    expect(s).toEqual(JSON.parse(JSON.stringify(a.summary)));
    expect(s.walk_forward).toMatchObject({ mode: 'rolling', train: 252, test: 63, warmup: 230, objective: 'sharpe', grid: null, candidates: 1, splits: 12 });
    expect(s.synthetic).toBe(true);
    expect(s.baseline).toBeNull();
    const csv = read(a.out_dir, 'wf_summary.csv').toString().trimEnd().split('\n');
    expect(csv).toHaveLength(1 + 3 * (n + 1));
    expect(csv[1]).toMatch(/^combined,0,\d{4}-\d\d-\d\d,\d{4}-\d\d-\d\d,\d{4}-\d\d-\d\d,\d{4}-\d\d-\d\d,0,v2\.2,\d+,/);
    expect(csv[n + 1]).toMatch(/^combined,all,.*,walk-forward,/);
    const oos = read(a.out_dir, 'oos_equity.csv').toString().trimEnd().split('\n');
    expect(oos.length - 1).toBe(s.oos.sessions);
    expect(Number(oos[oos.length - 1].split(',')[2])).toBe(s.oos.final_equity);
    expect(s.oos.by_strategy.combined.trades).toBe(s.splits.reduce((k: number, x: { by_strategy: { combined: { trades: number } } }) => k + x.by_strategy.combined.trades, 0));
  });

  test('a grid writes each split\'s chosen params as a usable params file; --start and --end bound the axis', async () => {
    const r = await runWalkForwardCommand(t.ctx, opts({ grid: 'ibs_rsi.ibs_entry=0.05,0.1', objective: 'profit_factor', start: '2021-01-04', end: '2023-06-30', out: 'reports/wf-grid' }));
    expect(r.out_dir).toBe(path.join(t.home, 'reports', 'wf-grid'));
    expect(r.summary.splits[0].train.start).toBe('2021-01-04');
    expect(r.summary.walk_forward.axis.last).toBe('2023-06-30');
    for (const [i, x] of r.summary.splits.entries()) {
      const file = path.join(r.files.splits[i], 'params.json');
      const p = parseParams(fs.readFileSync(file, 'utf8'), file);
      expect(p.ibs_rsi.ibs_entry).toBe(x.params.values['ibs_rsi.ibs_entry']);
      expect([0.05, 0.1][x.params.candidate]).toBe(p.ibs_rsi.ibs_entry);
    }
    expect(r.summary.baseline?.per_split).toHaveLength(r.summary.splits.length);
    expect(r.proposal).toBeNull();
    expect(approvals()).toHaveLength(0);
  });

  test('--propose: a chosen set better out of sample than the pinned params becomes a pending approval', async () => {
    const r = await runWalkForwardCommand(t.ctx, opts({ grid: BETTER_GRID, propose: true, out: 'reports/wf-better' }));
    const better = r.summary.better!;
    expect(better.objective!).toBeGreaterThan(r.summary.baseline!.objective!);
    const list = approvals();
    expect(list).toHaveLength(1);
    const a = list[0];
    expect(r.proposal).toEqual({ id: a.id, approve: `kobe approve ${a.id} --approver NAME` });
    expect(a).toMatchObject({ kind: 'params', status: 'pending', created_by: 'tester' });
    const payload = a.payload as { params: { version: string; ibs_rsi: Record<string, number> }; evidence: Record<string, unknown> };
    expect(payload.params.version).toBe(`v2.2-wf-${r.run_id}`);
    expect(payload.params.ibs_rsi.ibs_entry).toBe(better.values['ibs_rsi.ibs_entry']);
    expect(payload.evidence).toMatchObject({ objective: 'sharpe', candidate: better.candidate, aggregate: { candidate: better.objective, pinned: r.summary.baseline!.objective } });
    expect(payload.evidence.per_split).toHaveLength(r.summary.splits.length);
    t.stdout.data = '';
    renderWalkForward(t.ctx.out, r);
    await new Promise((res) => setImmediate(res));
    expect(t.stdout.data).toMatch(/^SYNTHETIC DATA/m);
    expect(t.stdout.data).toContain(`then: kobe approve ${a.id} --approver NAME`);
    expect(t.stdout.data).toMatch(/^all\t.*\twalk-forward\t/m);
  });

  test.each([
    ['the pinned values themselves (equal, not better)', 'ibs_rsi.ibs_entry=0.08'],
    ['a set that cannot trade', 'common.min_price=100000'],
  ])('--propose with %s: nothing better, no approval, exit 0', async (_label, grid) => {
    const before = approvals().length;
    const r = await runWalkForwardCommand(t.ctx, opts({ grid, propose: true, out: `reports/wf-${before}-${grid.length}` }));
    expect(r.proposal).toBeNull();
    expect(r.summary.better).toBeNull();
    expect(r.summary.evaluated).toHaveLength(1);
    expect(approvals()).toHaveLength(before);
    t.stdout.data = '';
    renderWalkForward(t.ctx.out, r);
    await new Promise((res) => setImmediate(res));
    expect(t.stdout.data).toMatch(/nothing better found/);
  });

  test('too little history for one split is a usage error naming the numbers', async () => {
    await expect(runWalkForwardCommand(t.ctx, opts({ train: 1000, out: 'reports/none' }))).rejects.toThrow(/not enough sessions for one split: 1258 on the axis, need 1262/);
    await expect(runWalkForwardCommand(t.ctx, opts({ grid: 'ibs_rsi.bogus=1' }))).rejects.toThrow(UsageError);
    expect(fs.existsSync(path.join(t.home, 'reports', 'none'))).toBe(false);
  });
});
