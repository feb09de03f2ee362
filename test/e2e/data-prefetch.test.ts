// The exit-4 rows for `kobe data prefetch` against the built binary and the local fake Polygon server.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { cliEnv, initHome, json, kobe, kobeAsync } from '../helpers/cli.js';
import { FakePolygonServer } from '../fakes/polygon-server.js';

const KEY = 'test-key-123';
const ARGS = ['data', 'prefetch', '--symbols', 'AAPL', '--start', '2024-01-01', '--end', '2024-12-31'];
let fake: FakePolygonServer;
let home: string;
let cleanup: () => void;

function pointAt(baseUrl: string): void {
  const cfg = path.join(home, 'config', 'base.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('base_url: https://api.polygon.io', `base_url: ${baseUrl}`));
}

beforeAll(async () => {
  fake = await new FakePolygonServer(KEY).start();
});
afterAll(async () => fake.stop());
beforeEach(() => {
  ({ home, cleanup } = initHome());
  fake.requests.length = 0;
  fake.scenario = {};
});
afterEach(() => cleanup());

describe('kobe data prefetch (binary)', () => {
  it('0: fetches with a good key, the key never printed', async () => {
    pointAt(fake.baseUrl);
    const r = await kobeAsync([...ARGS, '--home', home, '--json'], cliEnv({ POLYGON_API_KEY: KEY })).done;
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, counts: { fetched: 1 }, symbols: [{ symbol: 'AAPL', status: 'fetched', bars: 252 }] });
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('4: a refused key, with the hint; --json keeps the contract', async () => {
    pointAt(fake.baseUrl);
    const bad = 'bad-key-000';
    const r = await kobeAsync([...ARGS, '--home', home], cliEnv({ POLYGON_API_KEY: bad })).done;
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^error: Polygon refused the API key \(HTTP 401: Unknown API Key\) fetching AAPL$/m);
    expect(r.stderr).toMatch(/^hint: check POLYGON_API_KEY in \.env/m);
    expect(r.stderr).not.toContain(bad);
    const j = await kobeAsync([...ARGS, '--home', home, '--json'], cliEnv({ POLYGON_API_KEY: bad })).done;
    expect(j.code).toBe(4);
    expect(json(j)).toMatchObject({ ok: false, error: { code: 'AUTH', details: { status: 401, stopped_at: 'AAPL' } } });
    expect(j.stdout).not.toContain(bad);
    expect(fake.requests.every((q) => !q.keyOk)).toBe(true);
  });

  it('4: an unreachable provider', async () => {
    const gone = await new FakePolygonServer(KEY).start();
    pointAt(gone.baseUrl);
    await gone.stop();
    const r = kobe([...ARGS, '--home', home, '--json'], { env: cliEnv({ POLYGON_API_KEY: KEY }) });
    expect(r.code).toBe(4);
    const err = json(r).error;
    expect(err.code).toBe('CONNECTIVITY');
    expect(err.message).toMatch(/^cannot reach Polygon at http:\/\/127\.0\.0\.1:\d+\/v2\/aggs\/ticker\/AAPL\/range\/1\/day\/2024-01-01\/2024-12-31 \(ECONNREFUSED\)$/);
    expect(err.hint).toMatch(/polygon\.base_url/);
  });
});
