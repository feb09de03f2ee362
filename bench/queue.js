// The walk-forward grid on the research queue: the same SYNTHETIC universe and grid as
// bench/walkforward.js, run by the local pool (1 and 2 threads) and by `kobe worker` processes (1, 2
// and 4 processes of one thread, and one process of 2 threads) through a real redis-server on
// loopback. Figures: wall times, efficiency vs the local pool at the same core count (target >= 0.9),
// per-job queue overhead (time on the worker outside runJob, the first job's bars fetch included;
// target <= 5 ms median), bar publication time and size, identical summaries.
// Needs redis-server (Debian's); prints why when it is missing. Size: KOBE_BENCH_QUEUE_SYMBOLS /
// KOBE_BENCH_QUEUE_YEARS (default 900 x 10).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { generateMarket } from '../dist/core/data/synthetic/market.js';
import { sessionsBetween } from '../dist/core/market/calendar.js';
import { runWalkForward } from '../dist/core/walkforward/run.js';
import { parseGrid } from '../dist/core/walkforward/grid.js';
import { buildWfSummary, wfSummaryJson } from '../dist/core/walkforward/summary.js';
import { parseParams } from '../dist/core/config/load.js';
import { QueueRunner } from '../dist/core/walkforward/queue/runner.js';
import { QueueSession } from '../dist/core/walkforward/queue/runs.js';
import { parseQueueUrl } from '../dist/core/walkforward/queue/url.js';
import { VERSION } from '../dist/cli/version.js';
import { BIN, ROOT, figure, fmt, median, time } from './lib.js';

const GRID = 'ibs_rsi.ibs_entry=0.05,0.08,0.1,0.15;ibs_rsi.rsi_entry=3,5,8,10';
/** Queue runs: key, worker processes, threads per process. */
const CONFIGS = [['p1', 1, 1], ['p2', 2, 1], ['p4', 4, 1], ['p1t2', 1, 2]];
const SETTINGS = { mode: 'portfolio', startingCash: 100_000, maxOpenPositions: 5, riskPct: 0.01, maxPositionPct: 0.1, slippageBps: 5 };

function redisServer() {
  const r = spawnSync('sh', ['-c', 'command -v redis-server || ls /usr/bin/redis-server'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split('\n')[0] : null;
}

const freePort = () =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function listening(port) {
  for (let i = 0; i < 400; i++) {
    const ok = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), resolve(true)));
      c.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('redis-server did not start');
}

export async function run({ symbols = Number(process.env.KOBE_BENCH_QUEUE_SYMBOLS ?? 900), years = Number(process.env.KOBE_BENCH_QUEUE_YEARS ?? 10) } = {}) {
  const bin = redisServer();
  if (!bin) {
    figure('queue bench', 'skipped', 'redis-server is not installed (apt-get install -y redis-server)');
    return;
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-queue-'));
  const port = await freePort();
  const redis = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--dir', tmp, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const workers = [];
  try {
    await listening(port);
    const url = parseQueueUrl(`redis://127.0.0.1:${port}/0`, 'bench');
    const file = path.join(ROOT, 'config', 'frozen_strategy_params.json');
    const params = parseParams(fs.readFileSync(file, 'utf8'), file);
    const to = 2024;
    const sessions = sessionsBetween(`${to - years + 1}-01-02`, `${to}-12-31`);
    const market = generateMarket({ symbols, sessions, seed: 42 });
    const grid = parseGrid(GRID, params);
    const input = (o) => ({ series: market.series, base: params, pinned: params, grid, objective: 'sharpe', train: 252, test: 63, anchored: false, settings: SETTINGS, workers: 2, evaluateChosen: false, ...o });
    const summary = (r) => wfSummaryJson(buildWfSummary(r, { inputs: { universe: null, cap: null, symbols_requested: symbols, start: null, end: null, params: { version: params.version, sha256: '', file: '', pinned: true }, data_sources: { synthetic: symbols } }, problems: { missing: [], unloadable: [], universe: [] }, synthetic: true, train: 252, test: 63, anchored: false, objective: 'sharpe', grid, settings: SETTINGS, pinnedVersion: params.version }));

    const local = {};
    for (const n of [1, 2]) local[n] = await time(() => runWalkForward(input({ workers: n })));
    const ref = summary(local[2].value);

    const session = await QueueSession.open({ url, version: VERSION, lockMs: 30_000, resumeHint: (id) => `--resume ${id}` });
    const queue = {};
    try {
      for (const [key, n, threads] of CONFIGS) {
        // Workers wait for the run before it starts; their bars fetch (cold cache) is part of the run.
        const ws = Array.from({ length: n }, (_, k) => spawn(process.execPath, [BIN, 'worker', '--queue', `redis://127.0.0.1:${port}/0`, '--concurrency', String(threads), '--cache', path.join(tmp, `cache-${key}-${k}`)], { stdio: 'ignore', env: { PATH: process.env.PATH, HOME: process.env.HOME } }));
        workers.push(...ws);
        await new Promise((r) => setTimeout(r, 1500));
        let runner;
        const id = await session.claimRun([`bench-${key}-${Date.now()}`], {}, new Date());
        const t = await time(() => runWalkForward(input({ runner: async (b) => (runner = await QueueRunner.open(session, id, b)) })));
        queue[key] = { ...t, n, threads, report: runner.report(), overheads: runner.info.overhead_ms };
        await Promise.all(ws.map((w) => new Promise((resolve) => (w.once('exit', resolve), w.kill('SIGTERM')))));
      }
    } finally {
      await session.close();
    }

    const r = local[2].value;
    const pub = queue.p1.report.bars;
    figure(`universe: ${symbols} symbols x ${sessions.length} sessions`, `${r.splits.length} x ${r.candidates.length}`, `splits x grid points, SYNTHETIC, ${os.availableParallelism()} CPUs`);
    figure('bars published, MB raw -> gzipped', `${fmt(pub.bytes / 1e6, 1)} -> ${fmt(pub.compressed / 1e6, 1)}`, 'serialise, sha256, gzip -1 in 8 MB chunks, HSET');
    figure('bar publication, ms', fmt(pub.ms, 0), 'part of every queue run below');
    figure('local pool, 1 thread, s', fmt(local[1].ms / 1000, 1));
    figure('local pool, 2 threads, s', fmt(local[2].ms / 1000, 1));
    const label = (q) => `${q.n} process(es) x ${q.threads} thread(s)`;
    for (const [key] of CONFIGS) {
      const q = queue[key];
      const cores = Math.min(q.n * q.threads, os.availableParallelism(), 2);
      figure(`queue, ${label(q)}, s`, fmt(q.ms / 1000, 1), `efficiency vs local ${cores} thread(s) ${fmt(local[cores].ms / q.ms, 2)} (target >= 0.9)`);
    }
    for (const [key] of CONFIGS) {
      const xs = queue[key].overheads;
      figure(`  overhead per job, ${label(queue[key])}, median ms`, fmt(median(xs), 1), `p90 ${fmt([...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.9)], 1)} ms over ${xs.length} jobs (target <= 5 ms)`);
    }
    figure('wf_summary.json identical (every run above)', [local[1].value, ...CONFIGS.map(([key]) => queue[key].value)].every((x) => summary(x) === ref) ? 'yes' : 'NO');
  } finally {
    for (const w of workers) if (w.exitCode === null) w.kill('SIGKILL');
    redis.kill('SIGTERM');
    await new Promise((r) => redis.once('exit', r));
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
