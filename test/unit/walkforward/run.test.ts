// The walk-forward on a small synthetic universe through the real worker pool: the grid's pick is
// the objective's best on each train window (recomputed here without the pool), the stitched curve
// is continuous, trades stay inside their windows, jobs are plain JSON, and 1 or 2 workers give
// byte-identical files.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { runBacktest } from '../../../src/core/backtest/engine.js';
import type { BacktestSettings } from '../../../src/core/backtest/types.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { type BarSeries, dayNumber, isoDay } from '../../../src/core/strategy/bars.js';
import { gridCandidates, objectiveOf, parseGrid } from '../../../src/core/walkforward/grid.js';
import { type WfJob, runJob } from '../../../src/core/walkforward/job.js';
import { renderWalkForwardFiles } from '../../../src/core/walkforward/output.js';
import { KeptPool, WorkerPool } from '../../../src/core/walkforward/pool.js';
import { type WalkForwardInput, type WalkForwardRun, runWalkForward } from '../../../src/core/walkforward/run.js';
import { shareBars } from '../../../src/core/walkforward/shared-bars.js';
import { buildWfSummary, wfSummaryJson } from '../../../src/core/walkforward/summary.js';
import { P, universe } from '../backtest/fixtures.js';

const SESSIONS = sessionsBetween('2021-01-04', '2022-12-30');
const SERIES = universe(6, SESSIONS, 7);
const SETTINGS: Omit<BacktestSettings, 'start' | 'end'> = { mode: 'portfolio', startingCash: 100_000, maxOpenPositions: 3, riskPct: 0.01, maxPositionPct: 0.2, slippageBps: 5 };
const GRID = parseGrid('ibs_rsi.ibs_entry=0.1,0.2,0.3;ibs_rsi.rsi_entry=30,60', P);
const input = (o: Partial<WalkForwardInput> = {}): WalkForwardInput => ({
  series: SERIES, base: P, pinned: P, grid: GRID, objective: 'sharpe', train: 120, test: 40, anchored: false, settings: SETTINGS, workers: 2, evaluateChosen: false, ...o,
});
const summaryOf = (r: WalkForwardRun, o: Partial<WalkForwardInput> = {}) =>
  buildWfSummary(r, {
    inputs: { universe: 'u.csv', cap: null, symbols_requested: 6, start: null, end: null, params: { version: P.version, sha256: 'x', file: 'p.json', pinned: true }, data_sources: { synthetic: 6 } },
    problems: { missing: [], unloadable: [], universe: [] }, synthetic: true, train: 120, test: 40, anchored: !!o.anchored, objective: o.objective ?? 'sharpe', grid: GRID, settings: SETTINGS, pinnedVersion: P.version,
  });

/** Bars of `s` dated on or after `from` (a copy: this path shares nothing with the pool's). */
function from(s: BarSeries, iso: string): BarSeries {
  const k = s.dates.findIndex((d) => d >= dayNumber(iso));
  const cut = <T extends Int32Array | Float64Array>(a: T) => a.slice(k) as T;
  return { symbol: s.symbol, dates: cut(s.dates), open: cut(s.open), high: cut(s.high), low: cut(s.low), close: cut(s.close), volume: cut(s.volume), length: s.length - k };
}

describe('runWalkForward', () => {
  let run: WalkForwardRun;
  beforeAll(async () => {
    run = await runWalkForward(input());
  });

  test('9 rolling splits of 120/40 sessions after a 25-session warm-up', () => {
    // s0 = 25 (SMA 3, min history 5, + 20); tests start at 145 + 40k while + 20 <= 503 sessions.
    expect(SESSIONS.length).toBe(503);
    expect(run.warmup).toBe(25);
    expect(run.splits).toHaveLength(9);
    expect(run.splits[0].train).toEqual({ from: SESSIONS[0], start: SESSIONS[25], end: SESSIONS[144], sessions: 120 });
    expect(run.splits[0].test).toEqual({ from: SESSIONS[120], start: SESSIONS[145], end: SESSIONS[184], sessions: 40 });
    expect(run.splits[8].test).toEqual({ from: SESSIONS[440], start: SESSIONS[465], end: SESSIONS[502], sessions: 38 });
  });

  test('each split runs out of sample the grid point with the best train Sharpe (recomputed without the pool)', () => {
    const candidates = gridCandidates(GRID, P);
    const picks = new Set<number>();
    for (const s of run.splits) {
      const series = SERIES.map((x) => from(x, s.train.from));
      const scores = candidates.map((c) => objectiveOf(runBacktest({ series, params: c.params, settings: { ...SETTINGS, start: s.train.start, end: s.train.end } }).metrics.combined, 'sharpe'));
      expect(s.trainScores).toEqual(scores);
      let best = 0;
      scores.forEach((v, i) => {
        if (v !== null && (scores[best] === null || v > scores[best]!)) best = i;
      });
      expect(s.chosen.index).toBe(best);
      expect(s.chosen.params).toEqual(candidates[best].params);
      picks.add(best);
    }
    expect(picks.size).toBeGreaterThan(1); // the grid matters on this data
  });

  test('trades stay inside their test window; the warm-up makes signals possible from its first session', async () => {
    const early = (r: WalkForwardRun) => r.splits.reduce((n, s) => n + s.result.trades.filter((t) => t.signal_date < SESSIONS[SESSIONS.indexOf(s.test.start) + 4]).length, 0);
    for (const s of run.splits) {
      expect(isoDay(s.result.curve.days[0])).toBe(s.test.start);
      expect(isoDay(s.result.curve.days[s.result.curve.days.length - 1])).toBe(s.test.end);
      for (const t of s.result.trades) {
        expect(t.signal_date >= s.test.start && t.entry_date > t.signal_date && t.exit_date <= s.test.end).toBe(true);
      }
    }
    expect(early(run)).toBeGreaterThan(0);
    // Without warm-up the first 4 sessions of each window lack min_history_bars (5) and cannot signal.
    const cold = await runWalkForward(input({ warmup: 0, grid: null }));
    expect(cold.splits[0].test.from).toBe(cold.splits[0].test.start);
    expect(early(cold)).toBe(0);
  });

  test('the stitched out-of-sample curve is continuous and compounds the windows', () => {
    const c = run.oos.stitched.curve;
    const days = run.splits.flatMap((s) => Array.from(s.result.curve.days));
    expect(Array.from(c.days)).toEqual(days);
    expect(Array.from(c.days, isoDay)).toEqual(SESSIONS.slice(145, 503));
    let at = 0;
    let growth = 1;
    for (const s of run.splits) {
      const eq = s.result.curve.equity;
      if (at > 0) expect(c.equity[at]).toBe(c.equity[at - 1]); // a window opens flat at the last close
      expect(eq[0]).toBe(SETTINGS.startingCash);
      at += eq.length;
      growth *= eq[eq.length - 1] / SETTINGS.startingCash;
      expect(c.equity[at - 1] / (SETTINGS.startingCash * growth)).toBeCloseTo(1, 12);
    }
    expect(run.oos.metrics.combined.trades).toBe(run.splits.reduce((n, s) => n + s.result.trades.length, 0));
    expect(new Set(run.splits.map((s) => s.result.curve.equity[s.result.curve.equity.length - 1])).size).toBeGreaterThan(1);
  });

  test('1 and 2 workers give byte-identical files, also with --propose evaluations', async () => {
    const one = await runWalkForward(input({ workers: 1, evaluateChosen: true }));
    const two = await runWalkForward(input({ workers: 2, evaluateChosen: true }));
    const a = renderWalkForwardFiles(one, summaryOf(one));
    const b = renderWalkForwardFiles(two, summaryOf(two));
    expect([...a.keys()]).toEqual([...b.keys()]);
    expect(a.size).toBe(9 * 4 + 4);
    for (const [k, v] of a) expect(b.get(k)).toBe(v);
    expect(wfSummaryJson(summaryOf(one))).toBe(a.get('wf_summary.json'));
    expect(one.evaluated!.map((e) => e.candidate.index)).toEqual([...new Set(one.splits.map((s) => s.chosen.index))].sort((x, y) => x - y));
    for (const e of one.evaluated!) expect(e.perSplit).toHaveLength(9);
  });

  test('anchored: every train window starts on the same session and grows', async () => {
    const r = await runWalkForward(input({ anchored: true, grid: null }));
    expect(r.splits.map((s) => s.train.start)).toEqual(Array(9).fill(SESSIONS[25]));
    expect(r.splits.map((s) => s.train.sessions)).toEqual([120, 160, 200, 240, 280, 320, 360, 400, 440]);
    expect(r.splits.map((s) => s.test)).toEqual(run.splits.map((s) => s.test));
    expect(r.baseline).toBeNull();
  });
});

describe('jobs and the pool', () => {
  const bars = shareBars(SERIES);
  const job: WfJob = {
    id: 0, split: 3, train: { from: SESSIONS[100], start: SESSIONS[125], end: SESSIONS[244] }, test: { from: SESSIONS[220], start: SESSIONS[245], end: SESSIONS[284] },
    params: gridCandidates(GRID, P).map((c) => c.params), baseline: P, objective: 'calmar', settings: SETTINGS,
  };
  let pool: WorkerPool;
  beforeAll(() => {
    pool = WorkerPool.start(bars, 2);
  });
  afterAll(() => pool.close());

  test('a job is plain JSON, and a worker returns what runJob returns in this thread', async () => {
    const copy = JSON.parse(JSON.stringify(job)) as WfJob;
    expect(copy).toEqual(job);
    const [viaPool] = await pool.run([copy]);
    const here = runJob(bars, copy);
    expect(viaPool).toEqual(here);
    expect(here.trainScores).toHaveLength(6);
    expect(here.baselineTest?.curve.days.length).toBe(40);
  });

  test('results come back in job order; a failing job rejects the run with its message', async () => {
    const jobs = [2, 0, 1].map((split, id) => ({ ...job, id, split, train: null, baseline: null, params: [P] }));
    const r = await pool.run(jobs);
    expect(r.map((x) => [x.id, x.split])).toEqual([
      [0, 2],
      [1, 0],
      [2, 1],
    ]);
    await expect(pool.run([{ ...job, params: [] }])).rejects.toThrow(/walk-forward job 0 \(split 3\) failed: job 0 has no params/);
  });

  test('a kept pool reuses its threads, handing them each run\'s bars, until they were given its budget of bars (same results as a fresh pool)', async () => {
    const kept = new KeptPool(1, undefined, 2 * (bars.offsets.byteLength + bars.dates.byteLength + 5 * bars.close.byteLength));
    try {
      const other = shareBars(universe(6, SESSIONS, 11));
      const jobs = [{ ...job, train: null, baseline: null, params: [P] }];
      const first = await kept.factory(bars, 1);
      const a = await first.run(jobs);
      await first.close();
      // The same bars packed again (as each night's run does): the threads are reused.
      const again = await kept.factory(shareBars(SERIES), 1);
      expect(await again.run(jobs)).toEqual(a);
      await again.close();
      expect(kept.started).toBe(1);
      // Other bars: handed to the same threads (the second packing of the budget of two).
      const second = await kept.factory(other, 1);
      const b = await second.run(jobs);
      await second.close();
      expect(kept.started).toBe(1);
      // A third packing is over the budget: fresh threads, holding only it.
      const third = await kept.factory(shareBars(SERIES), 1);
      expect(await third.run(jobs)).toEqual(a);
      await third.close();
      expect(kept.started).toBe(2);
      expect(a).toEqual([runJob(bars, jobs[0])]);
      expect(b).toEqual([runJob(other, jobs[0])]);
      expect(b).not.toEqual(a);
      // The whole walk-forward through the kept pool writes what a fresh pool writes.
      const viaKept = await runWalkForward(input({ runner: kept.factory }));
      const fresh = await runWalkForward(input());
      expect(wfSummaryJson(summaryOf(viaKept))).toBe(wfSummaryJson(summaryOf(fresh)));
    } finally {
      await kept.close();
    }
  });

  test('a kept pool whose run failed with a job still in flight is retired; the next run starts fresh threads', async () => {
    const kept = new KeptPool(2);
    try {
      const slow = { ...job, id: 1 };
      const failing = await kept.factory(bars, 2);
      await expect(failing.run([{ ...job, params: [] }, slow])).rejects.toThrow(/has no params/);
      await failing.close();
      const next = await kept.factory(bars, 1);
      expect(await next.run([slow])).toEqual([runJob(bars, slow)]);
      await next.close();
      expect(kept.started).toBe(2);
    } finally {
      await kept.close();
    }
  });

  test('the pool refuses a worker count outside 1..64', () => {
    expect(() => WorkerPool.start(bars, 0)).toThrow(RangeError);
    expect(() => WorkerPool.start(bars, 65)).toThrow(RangeError);
  });
});
