// Issue: Alpaca as a complete venue, item 2. Incremental daily refresh of N symbols against the fake
// Polygon: a first (full, 10-year) prefetch, then the next day's refresh, which asks each symbol
// for its last stored bars minus data.refetch_sessions only. Requests made and wall time of both.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createContext } from '../dist/cli/context.js';
import { runDataPrefetch } from '../dist/commands/data/prefetch.js';
import { FakeClock } from '../dist/core/ports/clock.js';
import { addSessions, countSessions } from '../dist/core/market/calendar.js';
import { lastCompletedSession } from '../dist/core/market/sessions.js';
import { BIN, figure, fmt, wall } from './lib.js';
import { loadFake } from './fakes.js';

const N = Number(process.env.KOBE_BENCH_PREFETCH_N ?? 900);
const KEY = 'bench-key-0001';
const sink = { isTTY: false, write: () => true };

export async function run() {
  const { FakePolygonServer } = await loadFake('polygon-server');
  const fake = await new FakePolygonServer(KEY).start();
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bench-prefetch-'));
  try {
    wall(process.execPath, [BIN, 'init', '--home', home]);
    const cfg = path.join(home, 'config', 'base.yaml');
    fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('base_url: https://api.polygon.io', `base_url: ${fake.baseUrl}`).replace(/requests_per_minute: 5\b/, 'requests_per_minute: 1000000'));
    const symbols = Array.from({ length: N }, (_, i) => `S${String(i).padStart(4, '0')}`);
    const clock = new FakeClock('2025-01-14T15:00:00Z');
    const once = async () => {
      const ctx = await createContext({ home, clock, env: { POLYGON_API_KEY: KEY, USER: 'bench' }, streams: { stdout: sink, stderr: sink }, json: true });
      const t = performance.now();
      const r = await runDataPrefetch(ctx, { symbols });
      return { ms: performance.now() - t, r };
    };
    const asked = () => fake.requests.splice(0).reduce((a, q) => a + countSessions(q.path.split('/')[8], q.path.split('/')[9]), 0);
    const full = await once();
    const fullSessions = asked();
    clock.set(`${addSessions(lastCompletedSession(clock.now()), 1)}T23:00:00Z`);
    const inc = await once();
    const incSessions = asked();
    const bars = (r) => r.symbols.reduce((a, s) => a + s.bars, 0);
    figure(`full prefetch, ${N} symbols x 10 years (${bars(full.r).toLocaleString('en-US')} bars)`, `${fmt(full.ms, 0)} ms`, `${full.r.requests} requests, ${full.r.counts.fetched} fetched`);
    figure(`incremental daily refresh, ${N} symbols (+1 session, re-fetching 5)`, `${fmt(inc.ms, 0)} ms`, `${inc.r.requests} requests, ${inc.r.counts.fetched} fetched, ${inc.r.counts.behind} behind`);
    figure('incremental vs full', `${fmt(full.ms / inc.ms, 1)}x faster`, `sessions requested ${incSessions.toLocaleString('en-US')} vs ${fullSessions.toLocaleString('en-US')} (${fmt(fullSessions / incSessions, 0)}x fewer); requests ${inc.r.requests} vs ${full.r.requests} (10 years fit one Polygon page)`);
  } finally {
    await fake.stop();
    fs.rmSync(home, { recursive: true, force: true });
  }
}
