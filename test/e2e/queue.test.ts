// The research queue from the binary, against a real redis-server (with a password): `kobe
// walk-forward --queue` with 2 and 3 `kobe worker` processes writes the same wf_summary.json bytes as
// a local --workers 2 run; a worker SIGKILLed mid-job changes nothing; a throwing job, a job of
// another kobe version and bars that do not verify each fail the run (exit 1) naming job, split and
// error; Redis killed mid-run is exit 4 naming --resume, which then completes the run; SIGTERM stops
// a worker with 143 within 10 s; and the password appears in no output, log, key or value.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { BarStore } from '../../src/core/data/store.js';
import { generateMarket } from '../../src/core/data/synthetic/market.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { connectRedis } from '../../src/core/walkforward/queue/connect.js';
import { PREFIX, RUNS_KEY, barsKey, queueName } from '../../src/core/walkforward/queue/protocol.js';
import { parseQueueUrl } from '../../src/core/walkforward/queue/url.js';
import { type RunResult, cliEnv, initHome, json, kobe, kobeAsync, tempDir } from '../helpers/cli.js';
import { NO_REDIS, type TestRedis, startRedis } from '../helpers/redis.js';

const PW = 'e2e-Secret-pw-4242';
const GRID = 'ibs_rsi.ibs_entry=0.05,0.08,0.1,0.15;ibs_rsi.rsi_entry=3,5,8,10';
const SPLITS = 12;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor<T>(what: string, fn: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

if (NO_REDIS) {
  describe('kobe walk-forward --queue / kobe worker', () => {
    test.skip(`SKIPPED: ${NO_REDIS}`, () => undefined);
  });
} else {
  describe('kobe walk-forward --queue / kobe worker (real redis-server)', () => {
    let redis: TestRedis;
    let client: Redis;
    let home: string;
    let cleanup: () => void;
    let scratch: ReturnType<typeof tempDir>;
    let local: Buffer;
    let localPropose: Buffer;
    const outputs: string[] = [];
    const children: Array<{ child: ReturnType<typeof kobeAsync>['child'] }> = [];

    const record = (r: RunResult) => (outputs.push(r.stdout, r.stderr), r);
    /** A coordinator: the URL comes from KOBE_REDIS_URL in the home's .env (bare --queue). */
    const coordinator = (...args: string[]) => {
      const p = kobeAsync(['walk-forward', '--home', home, '--json', '--grid', GRID, '--queue', ...args]);
      children.push(p);
      return { child: p.child, done: p.done.then(record) };
    };
    /** A worker with no kobe home: the URL from its environment. */
    const worker = (url = redis.url, ...args: string[]) => {
      const p = kobeAsync(['worker', '--home', path.join(scratch.dir, 'nowhere'), '--concurrency', '1', '--cache', fs.mkdtempSync(path.join(scratch.dir, 'cache-')), ...args], cliEnv({ KOBE_REDIS_URL: url }));
      children.push(p);
      return { child: p.child, done: p.done.then(record), name: `${os.hostname()}:${p.child.pid}` };
    };
    const stopWorker = async (w: ReturnType<typeof worker>) => {
      const t = Date.now();
      w.child.kill('SIGTERM');
      const r = await w.done;
      return { code: r.code, ms: Date.now() - t, stderr: r.stderr };
    };
    /** The run a coordinator just listed, once its jobs wait in the queue. */
    // Each test's runs are over (and unlisted) before the next starts, so the listed run is this test's.
    const queuedRun = async (c: Redis = client, jobs = SPLITS) => {
      const run = await waitFor('a listed run with its jobs queued', async () => {
        for (const r of await c.zrange(RUNS_KEY, 0, -1)) if ((await c.llen(`${PREFIX}:${queueName(r)}:wait`)) >= jobs) return r;
        return null;
      });
      return { run, queue: new Queue(queueName(run), { connection: c as never, prefix: PREFIX }) };
    };
    const summaryOf = (r: RunResult) => fs.readFileSync(json(r).files.summary_json);
    const runKeys = async (run: string) => [...(await client.keys(`${PREFIX}:${queueName(run)}:*`)), ...(await client.keys(`${PREFIX}:wf:run:${run}`))];

    beforeAll(async () => {
      redis = await startRedis({ password: PW });
      client = await connectRedis(parseQueueUrl(redis.url, 'test'));
      scratch = tempDir('kobe-queue-');
      ({ home, cleanup } = initHome());
      const market = generateMarket({ symbols: 20, sessions: sessionsBetween('2019-01-02', '2023-12-29'), seed: 11 });
      await new BarStore(path.join(home, 'data', 'cache'), () => new Date()).writeMany(market.series.map((s) => ({ series: s, meta: { source: 'synthetic' as const } })));
      fs.writeFileSync(path.join(home, 'data', 'universe', 'demo.csv'), `symbol\n${market.series.map((s) => s.symbol).join('\n')}\n`);
      const cfg = path.join(home, 'config', 'base.yaml');
      fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace(/lock_seconds: 30/, 'lock_seconds: 2'));
      fs.appendFileSync(path.join(home, '.env'), `KOBE_REDIS_URL=${redis.url}\n`);
      const a = record(kobe(['walk-forward', '--home', home, '--json', '--grid', GRID, '--workers', '2', '--out', 'reports/local']));
      expect(a.code).toBe(0);
      local = summaryOf(a);
      expect(json(a).summary.walk_forward.splits).toBe(SPLITS);
      const b = record(kobe(['walk-forward', '--home', home, '--json', '--grid', GRID, '--workers', '2', '--propose', '--out', 'reports/local-propose']));
      expect(b.code).toBe(0);
      localPropose = summaryOf(b);
    }, 60_000);

    afterAll(async () => {
      for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
      client?.disconnect();
      await redis?.stop();
      cleanup?.();
      scratch?.cleanup();
    });

    test('2 workers (--once, no kobe home): byte-identical wf_summary.json; the run\'s keys are removed', async () => {
      const c = coordinator();
      const { run, queue } = await queuedRun();
      const ws = [worker(undefined, '--once'), worker(undefined, '--once')];
      const r = await c.done;
      expect(r.code).toBe(0);
      expect(summaryOf(r).equals(local)).toBe(true);
      const doc = json(r);
      expect(doc.run_id).toBe(run);
      expect(doc.out_dir).toBe(path.join(home, 'reports', 'walkforward', run));
      expect(doc.queue).toMatchObject({ run_id: run, queue: expect.stringMatching(/^redis:\/\/:\*\*\*@127\.0\.0\.1:\d+\/0$/), jobs: SPLITS, reused: 0, bars: { hash: expect.stringMatching(/^[0-9a-f]{64}$/), reused: false } });
      expect(doc.queue.bars.compressed).toBeLessThan(doc.queue.bars.bytes);
      for (const w of ws) expect((await w.done).code).toBe(0);
      expect(doc.queue.workers.length).toBeGreaterThanOrEqual(1);
      expect(r.stderr).toMatch(new RegExp(`walk-forward: splits ${SPLITS}/${SPLITS}`));
      await queue.close();
      expect(await runKeys(run)).toEqual([]);
      expect(await client.exists(barsKey(doc.queue.bars.hash))).toBe(0);
      for (const k of await client.keys('*')) expect(await client.ttl(k)).toBeGreaterThan(0);
    }, 60_000);

    test('3 workers, --propose (two rounds of jobs): byte-identical; SIGTERM stops each worker with 143 within 10 s', async () => {
      const c = coordinator('--propose');
      const ws = [worker(), worker(), worker()];
      const r = await c.done;
      expect(r.code).toBe(0);
      expect(summaryOf(r).equals(localPropose)).toBe(true);
      expect(json(r).queue.jobs).toBeGreaterThan(SPLITS);
      for (const w of ws) {
        const s = await stopWorker(w);
        expect(s.code).toBe(143);
        expect(s.ms).toBeLessThan(10_000);
      }
    }, 60_000);

    test('a worker SIGKILLed mid-job: the job runs again on another worker (stall detection), the summary is still identical', async () => {
      const c = coordinator();
      const { queue } = await queuedRun();
      const a = worker();
      let held = '';
      for (let tries = 0; !held && tries < 20; tries++) {
        const job = await waitFor('a job on worker A', async () => (await queue.getActive()).find((j) => j.processedBy === a.name));
        a.child.kill('SIGSTOP');
        if ((await job.getState()) === 'active') held = String(job.id);
        else a.child.kill('SIGCONT');
      }
      expect(held).not.toBe('');
      a.child.kill('SIGKILL');
      expect((await a.done).signal).toBe('SIGKILL');
      const b = worker();
      const r = await c.done;
      expect(r.code).toBe(0);
      expect(summaryOf(r).equals(local)).toBe(true);
      expect(json(r).queue.workers).toContain(b.name);
      await queue.close();
      expect((await stopWorker(b)).code).toBe(143);
    }, 60_000);

    test.each([
      ['a throwing job is retried 3 times, then fails the run', async (q: Queue) => {
        const j = (await q.getJob('r0-1'))!;
        await j.updateData({ ...j.data, job: { ...j.data.job, params: [] } });
        return /walk-forward job r0-1 \(split 1\) failed after 3 attempt\(s\) on worker [^:]+:\d+: job 1 has no params/;
      }],
      ['a worker refuses a job of another kobe version', async (q: Queue) => {
        const j = (await q.getJob('r0-0'))!;
        await j.updateData({ ...j.data, kobe: '0.0.1-other' });
        return /walk-forward job r0-0 \(split 0\) failed after 1 attempt\(s\) on worker .*: kobe worker \S+ \(kobe 0\.1\.0\) refuses job r0-0 of run \S+: it was published by kobe 0\.0\.1-other/;
      }],
      ['a worker refuses bars whose bytes do not match their hash', async (q: Queue) => {
        const j = (await q.getJob('r0-0'))!;
        await client.hset(barsKey(j.data.bars), '0', zlib.gzipSync(Buffer.from('other bars')));
        return /walk-forward job r0-\d+ \(split \d+\) failed after 1 attempt\(s\) on worker .*: bars [0-9a-f]{12} do not verify/;
      }],
    ])('%s: exit 1 naming job, split and error; keys removed', async (_name, tamper) => {
      const c = coordinator();
      const { run, queue } = await queuedRun();
      // Nothing in Redis holds the password or any URL, while the run's jobs wait.
      for (const k of await client.keys('*')) {
        expect(k).not.toContain(PW);
        const type = await client.type(k);
        const value = type === 'string' ? (await client.getBuffer(k))!.toString('latin1') : type === 'hash' ? JSON.stringify(await client.hgetall(k)) : type === 'list' ? JSON.stringify(await client.lrange(k, 0, -1)) : type === 'zset' ? JSON.stringify(await client.zrange(k, 0, -1)) : type === 'set' ? JSON.stringify(await client.smembers(k)) : type === 'stream' ? JSON.stringify(await client.xrange(k, '-', '+')) : '';
        expect(value).not.toContain(PW);
        expect(value).not.toMatch(/rediss?:\/\//);
      }
      const pattern = await tamper(queue);
      const w = worker();
      const r = await c.done;
      expect(r.code).toBe(1);
      expect(json(r).error.message).toMatch(pattern);
      expect(json(r).error.hint).toMatch(/fix its cause and start the run again/);
      await queue.close();
      expect(await runKeys(run)).toEqual([]);
      expect((await stopWorker(w)).code).toBe(143);
    }, 60_000);

    test('Redis killed mid-run: exit 4 naming --resume RUN_ID; after a restart --resume completes identically from the stored results', async () => {
      const r2 = await startRedis({ password: PW, persist: true });
      const c2 = await connectRedis(parseQueueUrl(r2.url, 'test'));
      try {
        const p = kobeAsync(['walk-forward', '--home', home, '--json', '--grid', GRID, '--queue', r2.url]);
        children.push(p);
        const { run, queue } = await queuedRun(c2);
        await queue.close();
        const w = worker(r2.url);
        await waitFor('3 results', async () => (await c2.zcard(`${PREFIX}:${queueName(run)}:completed`)) >= 3);
        c2.disconnect();
        await r2.kill('SIGKILL');
        const lost = record(await p.done);
        expect(lost.code).toBe(4);
        expect(json(lost).error.code).toBe('CONNECTIVITY');
        expect(json(lost).error.hint).toBe(`when Redis is back: kobe walk-forward --resume ${run} with the same --queue`);
        expect(json(lost).error.message).toMatch(new RegExp(`^lost Redis at redis://:\\*\\*\\*@127\\.0\\.0\\.1:${r2.port}/0 during walk-forward run ${run}`));
        expect(lost.stderr).toMatch(/password on the command line/);
        const again = await startRedis({ password: PW, persist: true, port: r2.port, dir: r2.dir });
        try {
          const resumed = record(kobe(['walk-forward', '--home', home, '--json', '--queue', r2.url, '--resume', run], { timeout: 60_000 }));
          expect(resumed.code).toBe(0);
          expect(summaryOf(resumed).equals(local)).toBe(true);
          expect(json(resumed).run_id).toBe(run);
          expect(json(resumed).queue.reused).toBeGreaterThanOrEqual(3);
          expect((await stopWorker(w)).code).toBe(143);
        } finally {
          await again.stop();
        }
      } finally {
        c2.disconnect();
        await r2.kill('SIGKILL');
        fs.rmSync(r2.dir, { recursive: true, force: true });
      }
    }, 90_000);

    test('no worker takes a job for --worker-wait: exit 4 naming `kobe worker` and --resume; a worker and --resume then finish it identically', async () => {
      const stuck = record(await coordinator('--worker-wait', '2').done);
      expect(stuck.code).toBe(4);
      const err = json(stuck).error;
      const run = /walk-forward run (\S+) from/.exec(err.message)![1];
      expect(err.message).toMatch(new RegExp(`^no kobe worker took a job of walk-forward run ${run} from redis://:\\*\\*\\*@127\\.0\\.0\\.1:\\d+/0 in 2 s \\(0 of ${SPLITS} done\\)$`));
      expect(err.hint).toMatch(new RegExp(`^start one: kobe worker --queue redis://:\\*\\*\\*@\\S+ \\(docs/scale-out.md\\), then: kobe walk-forward --resume ${run}$`));
      // The jobs wait in Redis for the resumed run.
      expect(await client.llen(`${PREFIX}:${queueName(run)}:wait`)).toBe(SPLITS);
      const w = worker(undefined, '--once');
      const resumed = record(kobe(['walk-forward', '--home', home, '--json', '--queue', '--resume', run], { timeout: 60_000 }));
      expect(resumed.code).toBe(0);
      expect(summaryOf(resumed).equals(local)).toBe(true);
      expect((await w.done).code).toBe(0);
      expect(await runKeys(run)).toEqual([]);
    }, 60_000);

    test('no Redis: exit 4 with a hint; a worker with nothing to do exits 0 with --once; bad URLs are usage errors', async () => {
      const down = record(kobe(['walk-forward', '--home', home, '--json', '--queue', 'redis://127.0.0.1:1/0']));
      expect(down.code).toBe(4);
      expect(json(down).error.hint).toMatch(/redis-server|KOBE_REDIS_URL/);
      const idle = record(kobe(['worker', '--home', path.join(scratch.dir, 'nowhere'), '--once', '--json', '--cache', path.join(scratch.dir, 'c')], { env: cliEnv({ KOBE_REDIS_URL: redis.url }) }));
      expect(idle.code).toBe(0);
      expect(json(idle)).toMatchObject({ ok: true, jobs_done: 0, runs: [], stopped: 'idle', queue: expect.stringMatching(/:\*\*\*@/) });
      const bad = record(kobe(['worker', '--queue', `http://:${PW}@127.0.0.1:1/0`, '--json']));
      expect(bad.code).toBe(2);
      const resume = record(kobe(['walk-forward', '--home', home, '--json', '--resume', 'nope-123', '--grid', GRID]));
      expect(resume.code).toBe(2);
      expect(json(resume).error.message).toMatch(/--resume .* drop --grid/);
    }, 30_000);

    test('the password is in no output of any run, and in no log file of the home', () => {
      expect(outputs.length).toBeGreaterThan(10);
      for (const o of outputs) expect(o).not.toContain(PW);
      const logs = path.join(home, 'logs');
      const files = fs.readdirSync(logs, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(logs, f)).isFile());
      for (const f of files) expect(fs.readFileSync(path.join(logs, f), 'utf8')).not.toContain(PW);
    });
  });
}
