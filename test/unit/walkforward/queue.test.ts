// The research queue's parts: URLs (the password never shown), the lossless result codec, the bars
// blob (deterministic bytes, verified by hash), and, against a real redis-server, the bars cache and
// the coordinator's runner with an in-process worker loop: the same results as the local pool, and a
// throwing job failing the run after its attempts with job, split and error named.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { BacktestSettings } from '../../../src/core/backtest/types.js';
import { ConnectivityError, KobeError, UsageError } from '../../../src/core/errors.js';
import { sessionsBetween } from '../../../src/core/market/calendar.js';
import { gridCandidates, parseGrid } from '../../../src/core/walkforward/grid.js';
import { type WfJob, runJob } from '../../../src/core/walkforward/job.js';
import { WorkerPool } from '../../../src/core/walkforward/pool.js';
import { BarsCache, BarsRefused, deserializeBars, publishBars, releaseBars, serializeBars, sha256 } from '../../../src/core/walkforward/queue/bars.js';
import { decodeValue, encodeValue } from '../../../src/core/walkforward/queue/codec.js';
import { connectRedis } from '../../../src/core/walkforward/queue/connect.js';
import { ProgressLine } from '../../../src/core/walkforward/queue/progress.js';
import { barsKey, barsRefsKey, queueName } from '../../../src/core/walkforward/queue/protocol.js';
import { QueueRunner } from '../../../src/core/walkforward/queue/runner.js';
import { QueueSession } from '../../../src/core/walkforward/queue/runs.js';
import { displayQueueUrl, parseQueueUrl, resolveQueueUrl } from '../../../src/core/walkforward/queue/url.js';
import { runQueueWorker } from '../../../src/core/walkforward/queue/worker-loop.js';
import { shareBars, windowSeries } from '../../../src/core/walkforward/shared-bars.js';
import { NO_REDIS, type TestRedis, startRedis } from '../../helpers/redis.js';
import { P, universe } from '../backtest/fixtures.js';

const SESSIONS = sessionsBetween('2021-01-04', '2022-12-30');
const SERIES = universe(6, SESSIONS, 7);
const SETTINGS: Omit<BacktestSettings, 'start' | 'end'> = { mode: 'portfolio', startingCash: 100_000, maxOpenPositions: 3, riskPct: 0.01, maxPositionPct: 0.2, slippageBps: 5 };
const GRID = parseGrid('ibs_rsi.ibs_entry=0.1,0.2,0.3;ibs_rsi.rsi_entry=30,60', P);
const job = (id: number, split: number, o: Partial<WfJob> = {}): WfJob => ({
  id, split, train: { from: SESSIONS[100 + 20 * split], start: SESSIONS[125 + 20 * split], end: SESSIONS[244 + 20 * split] }, test: { from: SESSIONS[220 + 20 * split], start: SESSIONS[245 + 20 * split], end: SESSIONS[284 + 20 * split] },
  params: gridCandidates(GRID, P).map((c) => c.params), baseline: P, objective: 'sharpe', settings: SETTINGS, ...o,
});

describe('queue URLs', () => {
  test('redis:// and rediss:// with user, password and db; the display form hides the password', () => {
    expect(parseQueueUrl('redis://127.0.0.1', 'x')).toEqual({ tls: false, host: '127.0.0.1', port: 6379, db: 0 });
    const u = parseQueueUrl('rediss://kobe:p%40ss@redis.lan:6380/3', 'x');
    expect(u).toEqual({ tls: true, host: 'redis.lan', port: 6380, db: 3, username: 'kobe', password: 'p@ss' });
    expect(displayQueueUrl(u)).toBe('rediss://kobe:***@redis.lan:6380/3');
    expect(displayQueueUrl(parseQueueUrl('redis://:secret@[::1]:7000/1', 'x'))).toBe('redis://:***@[::1]:7000/1');
  });

  test.each(['http://:secret@h:1/0', 'redis://:secret@h:1/x', 'redis://:secret@h:1/0?tls=1', 'not a url secret'])('%s is a usage error that never echoes the password', (text) => {
    let err: unknown;
    try {
      parseQueueUrl(text, '--queue');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect(`${(err as UsageError).message} ${(err as UsageError).hint}`).not.toMatch(/secret/);
    expect((err as UsageError).message).toMatch(/^--queue/);
  });

  test('the flag wins, then KOBE_REDIS_URL, then research.queue; a bare URL borrows credentials for the same host', () => {
    const env = 'redis://kobe:pw@10.0.0.5:6379/0';
    expect(resolveQueueUrl({})).toBeNull();
    expect(resolveQueueUrl({ config: 'redis://10.0.0.5:6379/2' })).toEqual({ tls: false, host: '10.0.0.5', port: 6379, db: 2 });
    expect(resolveQueueUrl({ env, config: 'redis://10.0.0.9:6379/2' })).toMatchObject({ host: '10.0.0.5', password: 'pw' });
    expect(resolveQueueUrl({ env, flag: 'redis://10.0.0.5:6379/4' })).toEqual({ tls: false, host: '10.0.0.5', port: 6379, db: 4, username: 'kobe', password: 'pw' });
    expect(resolveQueueUrl({ env, flag: 'redis://10.0.0.6:6379/4' })).toEqual({ tls: false, host: '10.0.0.6', port: 6379, db: 4 });
  });
});

describe('result codec', () => {
  test('gives back exactly what a structured clone (the pool) gives: typed arrays, NaN, Infinity, -0, undefined', () => {
    const bars = shareBars(SERIES);
    const r = runJob(bars, job(0, 1));
    expect(decodeValue(encodeValue(r))).toStrictEqual(structuredClone(r));
    const odd = { a: [NaN, -0, Infinity, -Infinity, 0, 1.5e-300], b: undefined, c: new Float64Array([NaN, -0, 1 / 3]), d: new Int32Array([-1, 2 ** 31 - 1]), e: [undefined, null] };
    const back = decodeValue(encodeValue(odd)) as typeof odd;
    expect(back).toStrictEqual(structuredClone(odd));
    expect(Object.is(back.a[1], -0)).toBe(true);
    expect(Object.is(back.c[1], -0)).toBe(true);
    expect(() => encodeValue({ $n: 1 })).toThrow(/key starting with \$/);
  });
});

describe('bars blob', () => {
  test('the same bars give the same bytes and hash; they decode to the same windows', () => {
    const a = serializeBars(shareBars(SERIES));
    const b = serializeBars(shareBars(SERIES.map((s) => ({ ...s }))));
    expect(a.equals(b)).toBe(true);
    expect(sha256(a)).toMatch(/^[0-9a-f]{64}$/);
    expect(sha256(serializeBars(shareBars(SERIES.slice(1))))).not.toBe(sha256(a));
    const back = deserializeBars(a);
    expect(back.dates.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(windowSeries(back, SESSIONS[10], SESSIONS[300])).toEqual(windowSeries(shareBars(SERIES), SESSIONS[10], SESSIONS[300]));
    expect(runJob(back, job(0, 2))).toStrictEqual(runJob(shareBars(SERIES), job(0, 2)));
    expect(() => deserializeBars(a.subarray(0, a.length - 8))).toThrow(BarsRefused);
    expect(() => deserializeBars(Buffer.from('not bars at all'))).toThrow(BarsRefused);
  });

  test('progress: ETA from the phase pace, a line per tenth', () => {
    const p = new ProgressLine();
    expect(p.next('splits', 0, 20, 0)).toEqual({ text: 'walk-forward: splits 0/20', tenth: true });
    expect(p.next('splits', 1, 20, 1000, { workers: 2 })).toEqual({ text: 'walk-forward: splits 1/20, 2 worker(s) seen, ETA 19s', tenth: false });
    expect(p.next('splits', 2, 20, 2000).tenth).toBe(true);
    expect(p.next('splits', 10, 20, 100_000).text).toBe('walk-forward: splits 10/20, ETA 1m40s');
    expect(p.next('evaluate', 1, 3, 100_500).text).toBe('walk-forward: evaluate 1/3');
  });
});

if (NO_REDIS) {
  describe('queue against redis-server', () => {
    test.skip(`SKIPPED: ${NO_REDIS}`, () => undefined);
  });
} else {
  describe('queue against redis-server', () => {
    let redis: TestRedis;
    let client: Redis;
    let cacheRoot: string;
    const url = () => parseQueueUrl(redis.url, 'test');
    beforeAll(async () => {
      redis = await startRedis({ password: 'unit-secret-pw' });
      client = await connectRedis(url());
      cacheRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'kobe-bars-cache-'));
    });
    afterAll(async () => {
      client?.disconnect();
      await redis?.stop();
      fs.rmSync(cacheRoot, { recursive: true, force: true });
    });

    test('an unreachable Redis is exit 4; a wrong password is AuthError (exit 4), never echoing it', async () => {
      const down = await connectRedis(parseQueueUrl('redis://127.0.0.1:1/0', 't')).catch((e: unknown) => e);
      expect(down).toBeInstanceOf(ConnectivityError);
      expect((down as KobeError).exitCode).toBe(4);
      const wrong = await connectRedis(parseQueueUrl(`redis://:not-the-pw@127.0.0.1:${redis.port}/0`, 't')).catch((e: unknown) => e);
      expect((wrong as KobeError).code).toBe('AUTH');
      expect((wrong as KobeError).exitCode).toBe(4);
      expect((wrong as KobeError).message).not.toMatch(/not-the-pw/);
    });

    test('bars: published once by hash with a TTL, fetched and verified, cached on disk; a bad blob is refused', async () => {
      const bars = shareBars(SERIES);
      const pub = await publishBars(client, bars, 'run-a');
      expect(pub.reused).toBe(false);
      expect(await client.ttl(barsKey(pub.hash))).toBeGreaterThan(3600);
      expect((await publishBars(client, bars, 'run-b')).reused).toBe(true);
      const dir = path.join(cacheRoot, 'a');
      const got = await new BarsCache(dir, client).get(pub.hash);
      expect(serializeBars(got).equals(serializeBars(bars))).toBe(true);
      for (let i = 0; i < 200 && !fs.existsSync(path.join(dir, `${pub.hash}.bin`)); i++) await new Promise((r) => setTimeout(r, 10));
      expect(fs.readdirSync(dir)).toEqual([`${pub.hash}.bin`]);
      // Without Redis the cache file alone serves it.
      await client.rename(barsKey(pub.hash), 'kobe:aside');
      expect(serializeBars(await new BarsCache(dir, client).get(pub.hash)).equals(serializeBars(bars))).toBe(true);
      await client.rename('kobe:aside', barsKey(pub.hash));
      // A damaged cache file is refetched, never used.
      fs.writeFileSync(path.join(dir, `${pub.hash}.bin`), 'garbage');
      expect(serializeBars(await new BarsCache(dir, client).get(pub.hash)).equals(serializeBars(bars))).toBe(true);
      // A blob whose bytes do not hash to its name is refused (no cache to fall back on).
      const fake = 'f'.repeat(64);
      await client.hset(barsKey(fake), '0', zlib.gzipSync(serializeBars(bars)));
      await expect(new BarsCache(path.join(cacheRoot, 'b'), client).get(fake)).rejects.toThrow(/do not verify/);
      await expect(new BarsCache(path.join(cacheRoot, 'b'), client).get('e'.repeat(64))).rejects.toThrow(/not in Redis/);
      await client.hset(barsKey(fake), '0', 'not gzip');
      await expect(new BarsCache(path.join(cacheRoot, 'b'), client).get(fake)).rejects.toThrow(/do not decompress/);
      await client.del(barsKey(fake));
      await client.set(barsKey(fake), 'a string', 'EX', 60);
      await expect(new BarsCache(path.join(cacheRoot, 'b'), client).get(fake)).rejects.toThrow(/not a kobe bars blob/);
      await client.del(barsKey(fake));
      // The blob goes with the last run that uses it.
      await releaseBars(client, pub.hash, 'run-a');
      expect(await client.exists(barsKey(pub.hash))).toBe(1);
      await releaseBars(client, pub.hash, 'run-b');
      expect(await client.exists(barsKey(pub.hash), barsRefsKey(pub.hash))).toBe(0);
    });

    test('runner + worker loop: the local pool\'s results in job order; a throwing job fails the run after 3 attempts; keys cleaned', async () => {
      const bars = shareBars(SERIES);
      const session = await QueueSession.open({ url: url(), version: 'test-v', lockMs: 2_000, resumeHint: (r) => `--resume ${r}` });
      const stop = new AbortController();
      const worker = runQueueWorker({ url: url(), version: 'test-v', name: 'unit:1', concurrency: 2, once: false, cacheDir: path.join(cacheRoot, 'w'), signal: stop.signal });
      try {
        const id = await session.claimRun(['unit-run'], { any: 'options' }, new Date());
        const runner = await QueueRunner.open(session, id, bars);
        const jobs = [3, 0, 2, 1].map((split, i) => job(i, split));
        const seen: number[] = [];
        const viaQueue = await runner.run(jobs, (d) => seen.push(d));
        const pool = WorkerPool.start(bars, 2);
        const local = await pool.run(jobs);
        await pool.close();
        expect(viaQueue).toStrictEqual(local);
        expect(seen).toEqual([1, 2, 3, 4]);
        // Round 2 (as --propose does): one job throws on every attempt.
        const err = (await runner.run([job(0, 1, { train: null }), job(1, 2, { params: [] })]).catch((e: unknown) => e)) as KobeError;
        expect(err).toBeInstanceOf(KobeError);
        expect(err.exitCode).toBe(1);
        expect(err.message).toMatch(/^walk-forward job r1-1 \(split 2\) failed after 3 attempt\(s\) on worker unit:1: job 1 has no params$/);
        await runner.close();
        expect(await client.keys('kobe:*')).toEqual([]);
      } finally {
        stop.abort();
        await worker;
        await session.close();
      }
    }, 30_000);

    test('every key of a live run has a TTL, except that BullMQ\'s job locks keep their short one; a stopped worker hands its job back', async () => {
      const bars = shareBars(SERIES);
      const session = await QueueSession.open({ url: url(), version: 'test-v', lockMs: 20_000, resumeHint: (r) => `--resume ${r}` });
      const id = await session.claimRun(['unit-run-2'], {}, new Date());
      const runner = await QueueRunner.open(session, id, bars);
      // One long job: every params set many times over on the train window.
      const long = job(0, 1, { params: Array.from({ length: 400 }, () => P) });
      const pending = runner.run([long]);
      const stopA = new AbortController();
      const a = runQueueWorker({ url: url(), version: 'test-v', name: 'unit:a', concurrency: 1, once: false, cacheDir: path.join(cacheRoot, 'a2'), signal: stopA.signal, graceMs: 0 });
      const lockKey = `kobe:${queueName(id)}:r0-0:lock`;
      for (let i = 0; i < 500 && !(await client.exists(lockKey)); i++) await new Promise((r) => setTimeout(r, 10));
      await session.expireQueueKeys(id);
      for (const k of await client.keys('kobe:*')) {
        const ttl = await client.ttl(k);
        if (k === lockKey || k.endsWith(':stalled-check')) expect(ttl).toBeLessThanOrEqual(20);
        else expect([k, ttl > 3600]).toEqual([k, true]);
      }
      stopA.abort();
      expect(await a).toMatchObject({ handed_back: 1, jobs_done: 0, stopped: 'signal' });
      expect(await (await new Queue(queueName(id), { connection: client as never, prefix: 'kobe' }).getJob('r0-0'))!.getState()).toBe('waiting');
      const stopB = new AbortController();
      const b = runQueueWorker({ url: url(), version: 'test-v', name: 'unit:b', concurrency: 1, once: true, cacheDir: path.join(cacheRoot, 'b2'), signal: stopB.signal });
      const [r] = await pending;
      expect(r).toStrictEqual(runJob(bars, long));
      expect(runner.report().workers).toEqual(['unit:b']);
      expect((await b).jobs_done).toBe(1);
      await runner.close();
      await session.close();
    }, 60_000);
  });
}
