// Shared by the prefetch tests: one fake Polygon per test file, a home pointed at it, and the error
// a run failed with.
import { afterAll, beforeAll, beforeEach } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import type { DataPrefetchResult } from '../../src/commands/data/prefetch.js';
import { FakePolygonServer } from '../fakes/polygon-server.js';

/** Start a fake Polygon (key `key`) before the file's tests and stop it after; each test starts with no scenario and no recorded requests. */
export function useFakePolygon(key: string, started: (server: FakePolygonServer) => void): void {
  let server: FakePolygonServer;
  beforeAll(async () => {
    server = await new FakePolygonServer(key).start();
    started(server);
  });
  afterAll(async () => server.stop());
  beforeEach(() => {
    server.scenario = {};
    server.requests.length = 0;
  });
}

/** Point a home's config at the fake Polygon (and lift the free-tier pace so tests do not wait). */
export function pointAtPolygon(home: string, baseUrl: string): void {
  const cfg = path.join(home, 'config', 'base.yaml');
  const text = fs.readFileSync(cfg, 'utf8');
  const next = text.replace('base_url: https://api.polygon.io', `base_url: ${baseUrl}`).replace(/requests_per_minute: 5\b/, 'requests_per_minute: 100000');
  if (next === text) throw new Error('config/base.yaml did not have the expected polygon lines');
  fs.writeFileSync(cfg, next);
}

/** The error a prefetch run rejected with (a test failure when it did not reject). */
export async function rejection(p: Promise<unknown>): Promise<Error & { exitCode?: number; code?: string; hint?: string; details?: Record<string, unknown>; result?: DataPrefetchResult }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the run to fail');
}
