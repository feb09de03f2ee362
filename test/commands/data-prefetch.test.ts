// `kobe data prefetch` through runDataPrefetch, against the local fake Polygon server.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseDataPrefetch, renderDataPrefetch, runDataPrefetch, type DataPrefetchOptions } from '../../src/commands/data/prefetch.js';
import { createContext } from '../../src/cli/context.js';
import { AuthError, CheckFailed, ExitCode, UsageError } from '../../src/core/errors.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { isoDay } from '../../src/core/strategy/bars.js';
import { FakePolygonServer } from '../fakes/polygon-server.js';
import { MemoryStream, testContext, type TestContext } from '../helpers/context.js';
import { pointAtPolygon, rejection, useFakePolygon } from '../helpers/prefetch.js';

const KEY = 'test-key-123';
const Y2024 = { start: '2024-01-01', end: '2024-12-31' };
let fake: FakePolygonServer;
let t: TestContext;

useFakePolygon(KEY, (s) => (fake = s));
afterEach(() => t?.cleanup());

async function setup(opts: { json?: boolean; key?: string | null } = {}): Promise<TestContext> {
  t = await testContext({ json: opts.json, env: opts.key === null ? {} : { POLYGON_API_KEY: opts.key ?? KEY } });
  pointAtPolygon(t.home, fake.baseUrl);
  return t;
}


function events(): Array<Record<string, unknown>> {
  return fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

function everythingWritten(): string {
  const files = [t.ctx.paths.events, t.ctx.paths.kobeLog].filter((f) => fs.existsSync(f));
  return [t.stdout.data, t.stderr.data, ...files.map((f) => fs.readFileSync(f, 'utf8'))].join('\n');
}

const run = (o: DataPrefetchOptions) => runDataPrefetch(t.ctx, o);

describe('data prefetch', () => {
  it('fetches adjusted daily bars, writes them whole with the fetched range, and summarises', async () => {
    await setup();
    fake.scenario = { pageSize: 100 };
    const r = await run({ symbols: ['AAPL', 'MSFT'], ...Y2024 });
    const sessions = sessionsBetween(Y2024.start, Y2024.end);
    expect(r.counts).toEqual({ fetched: 2, skipped: 0, empty: 0, failed: 0, behind: 0 });
    expect(r.symbols[0]).toEqual({ symbol: 'AAPL', status: 'fetched', bars: sessions.length, first: sessions[0], last: sessions.at(-1), pages: 3, from: Y2024.start, note: '' });
    expect(r.requests).toBe(6);
    const store = await t.ctx.bars();
    const aapl = store.load('AAPL');
    expect(Array.from(aapl.dates, isoDay)).toEqual(sessions);
    expect(store.index().symbols.MSFT).toMatchObject({ source: 'polygon', bars: sessions.length, fetched: Y2024 });
    renderDataPrefetch(t.ctx.out, r);
    expect(t.stdout.data).toContain(`AAPL\tfetched\t${sessions.length}\t${sessions[0]}\t${sessions.at(-1)}\t3\t`);
    expect(t.stderr.data).toMatch(/2 fetched, 0 skipped, 0 empty, 0 failed \(6 request\(s\)\)/);
    expect(t.stderr.data).not.toMatch(/\[1\/2\]|prefetch 2 symbol/);
    expect(events().at(-1)).toMatchObject({ event: 'data_prefetch', level: 'info', fetched: 2, requests: 6 });
  });

  it('defaults to ten years up to the last completed session', async () => {
    await setup();
    const r = await run({ symbols: ['SPY'] });
    expect([r.start, r.end]).toEqual(['2015-01-13', '2025-01-13']);
    expect(fake.requests[0].path).toBe('/v2/aggs/ticker/SPY/range/1/day/2015-01-13/2025-01-13');
    expect(r.symbols[0].last).toBe('2025-01-13');
  });

  it('is resumable: complete symbols are skipped without a request; a longer range fetches again', async () => {
    await setup();
    await run({ symbols: ['AAPL', 'MSFT'], ...Y2024 });
    const before = fake.requests.length;
    const again = await run({ symbols: ['AAPL', 'MSFT', 'SPY'], start: '2024-03-01', end: '2024-12-31' });
    expect(again.symbols.map((s) => s.status)).toEqual(['skipped', 'skipped', 'fetched']);
    expect(again.symbols[0].note).toBe('complete for 2024-01-01..2024-12-31');
    expect(fake.requests.slice(before).map((q) => q.path.split('/')[4])).toEqual(['SPY']);
    const longer = await run({ symbols: ['AAPL'], start: '2023-06-01', end: '2024-12-31' });
    expect(longer.symbols[0]).toMatchObject({ status: 'fetched', first: '2023-06-01' });
  });

  it('never leaves a partial file: a failure on page 2 keeps the previous bars and the run goes on (exit 5)', async () => {
    await setup();
    await run({ symbols: ['MSFT'], start: '2024-06-03', end: '2024-06-28' });
    const store = await t.ctx.bars();
    const bytes = fs.readFileSync(store.fileOf('MSFT'));
    fake.scenario = { pageSize: 50, malformed: [{ symbol: 'MSFT', page: 2 }] };
    const err = await rejection(run({ symbols: ['MSFT', 'AAPL'], ...Y2024 }));
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    const r = err.result!;
    expect(r.symbols.map((s) => s.status)).toEqual(['failed', 'fetched']);
    expect(r.symbols[0].note).toMatch(/malformed JSON for MSFT \(page 2/);
    expect(fs.readFileSync(store.fileOf('MSFT')).equals(bytes)).toBe(true);
    expect(store.index().symbols.MSFT.fetched).toEqual({ start: '2024-06-03', end: '2024-06-28' });
    // One file per symbol (named by content), nothing partial left beside them.
    expect(fs.readdirSync(store.dir).map((f) => f.replace(/\.[0-9a-f]{12}\.kbar$/, '.kbar')).sort()).toEqual(['AAPL.kbar', 'MSFT.kbar', 'index.json']);
    expect(t.stdout.data).toMatch(/^MSFT\tfailed\t0\t-\t-\t0\tPolygon sent malformed JSON/m);
    expect(fs.readFileSync(t.ctx.paths.kobeLog, 'utf8')).toMatch(/prefetch MSFT failed/);
  });

  it('an empty result for a valid symbol is reported, not written (exit 5)', async () => {
    await setup();
    fake.scenario = { symbols: ['AAPL'] };
    const err = await rejection(run({ symbols: ['AAPL', 'QQQQ'], ...Y2024 }));
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.message).toBe('0 symbol(s) failed and 1 came back empty, of 2');
    const row = err.result!.symbols[1];
    expect(row).toMatchObject({ symbol: 'QQQQ', status: 'empty', bars: 0 });
    expect(row.note).toMatch(/Polygon has no bars for QQQQ in 2024-01-01\.\.2024-12-31/);
    expect((await t.ctx.bars()).index().symbols.QQQQ).toBeUndefined();
    expect(events().at(-1)).toMatchObject({ event: 'data_prefetch', level: 'warn', empty: 1, problems: [{ symbol: 'QQQQ', status: 'empty' }] });
  });

  it('an unknown symbol (404) fails that symbol only', async () => {
    await setup({ json: true });
    fake.scenario = { notFound: ['XXXX'] };
    const err = await rejection(run({ symbols: ['XXXX', 'AAPL'], ...Y2024 }));
    expect(err.result!.symbols.map((s) => [s.symbol, s.status])).toEqual([['XXXX', 'failed'], ['AAPL', 'fetched']]);
    expect(err.result!.symbols[0].note).toMatch(/HTTP 404: Ticker XXXX not found/);
    expect(t.stdout.data).toBe('');
  });

  it('a refused key stops the run at once with exit 4 and the hint; what was written stays', async () => {
    await setup();
    fake.scenario = { refuse: 401, refuseSymbols: ['MSFT'] };
    const err = await rejection(run({ symbols: ['AAPL', 'MSFT', 'SPY'], ...Y2024 }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.exitCode).toBe(ExitCode.CONNECTIVITY);
    expect(err.hint).toMatch(/check POLYGON_API_KEY in \.env/);
    expect(err.details).toMatchObject({ stopped_at: 'MSFT', done: 1, total: 3 });
    expect(fake.requestsFor('SPY')).toHaveLength(0);
    expect((await t.ctx.bars()).index().symbols.AAPL.source).toBe('polygon');
    expect(t.stderr.data).toMatch(/stopped at MSFT after 1 of 3 symbol\(s\)/);
    expect(events().at(-1)).toMatchObject({ event: 'data_prefetch_stopped', level: 'error', at: 'MSFT', code: 'AUTH' });
    expect(everythingWritten()).not.toContain(KEY);
    expect(JSON.stringify({ m: err.message, d: err.details })).not.toContain(KEY);
  });

  it('a missing key is an auth error naming the .env file, before any request', async () => {
    await setup({ key: null });
    const err = await rejection(run({ symbols: ['AAPL'], ...Y2024 }));
    expect(err).toBeInstanceOf(AuthError);
    expect(err.message).toBe('POLYGON_API_KEY is not set (data.provider is polygon)');
    // An operator with only an Alpaca key is told the other way too.
    expect(err.hint).toBe(`set POLYGON_API_KEY in ${path.join(t.home, '.env')}, or take bars from Alpaca with your Alpaca key: data.provider: alpaca in config/base.yaml (or --provider alpaca)`);
    expect(fake.requests).toHaveLength(0);
  });

  it('reads the key from <home>/.env and never shows it', async () => {
    await setup({ key: null });
    fs.writeFileSync(t.ctx.paths.env, `POLYGON_API_KEY=${KEY}\n`, { mode: 0o600 });
    const r = await run({ symbols: ['AAPL'], ...Y2024 });
    renderDataPrefetch(t.ctx.out, r);
    expect(r.counts.fetched).toBe(1);
    expect(fake.requests.every((q) => q.keyOk)).toBe(true);
    expect(everythingWritten()).not.toContain(KEY);
    expect(JSON.stringify(r)).not.toContain(KEY);
  });

  it('takes a universe file relative to the home, with --cap, and warns about bad lines', async () => {
    await setup();
    fs.mkdirSync(path.join(t.home, 'data', 'universe'), { recursive: true });
    fs.writeFileSync(path.join(t.home, 'data', 'universe', 'mini.csv'), 'symbol,name\nAAPL,Apple\n1BAD,x\nMSFT,Microsoft\nSPY,SPDR\n');
    const r = await run({ universe: 'data/universe/mini.csv', cap: 2, ...Y2024 });
    expect(r.symbols.map((s) => s.symbol)).toEqual(['AAPL', 'MSFT']);
    expect(r.warnings).toEqual(['data/universe/mini.csv line 3: "1BAD" not a valid symbol']);
    const missing = await rejection(run({ universe: 'data/universe/none.csv' }));
    expect(missing).toBeInstanceOf(UsageError);
    expect(missing.message).toContain(path.join(t.home, 'data', 'universe', 'none.csv'));
  });

  it('shows a progress spinner on a TTY only', async () => {
    t = await testContext({ env: { POLYGON_API_KEY: KEY } });
    pointAtPolygon(t.home, fake.baseUrl);
    // What ora needs of a terminal stream besides write().
    const stderr = Object.assign(new MemoryStream(true), { columns: 80, cursorTo: () => true, clearLine: () => true, moveCursor: () => true });
    const ctx = await createContext({ home: t.home, clock: t.clock, env: { USER: 'tester', POLYGON_API_KEY: KEY }, streams: { stdout: t.stdout, stderr } });
    await runDataPrefetch(ctx, { symbols: ['AAPL', 'MSFT'], ...Y2024 });
    expect(stderr.data).toMatch(/prefetch: 2 fetched, 0 skipped, 0 empty, 0 failed/);
    expect(stderr.data).toContain('prefetch 2 symbol(s) 2024-01-01..2024-12-31');
  });
});

describe('data prefetch: bad input', () => {
  it('needs exactly one of --universe and --symbols, valid symbols and a positive --cap', () => {
    expect(() => parseDataPrefetch({})).toThrow('name what to fetch: --universe FILE or --symbols A,B');
    expect(() => parseDataPrefetch({ universe: 'u.csv', symbols: 'AAPL' })).toThrow('use either --universe or --symbols, not both');
    expect(() => parseDataPrefetch({ symbols: 'AAPL,12$' })).toThrow('not valid symbols: 12$');
    expect(() => parseDataPrefetch({ symbols: 'AAPL', cap: '0' })).toThrow('--cap: expected a positive whole number, got "0"');
    expect(parseDataPrefetch({ symbols: 'aapl, msft,AAPL', cap: '5', start: '2020-02-29' })).toEqual({ universe: undefined, symbols: ['AAPL', 'MSFT'], cap: 5, start: '2020-02-29', end: undefined });
  });

  it('impossible dates name the flag', () => {
    const e = (() => {
      try {
        parseDataPrefetch({ symbols: 'AAPL', start: '2023-02-29' });
      } catch (err) {
        return err as UsageError;
      }
      throw new Error('expected a usage error');
    })();
    expect(e).toBeInstanceOf(UsageError);
    expect(e.message).toMatch(/^--start: invalid date "2023-02-29": no such calendar day/);
    expect(() => parseDataPrefetch({ symbols: 'AAPL', end: '2024-13-01' })).toThrow(/^--end: /);
    expect(() => parseDataPrefetch({ symbols: 'AAPL', end: '24-01-01' })).toThrow(/^--end: invalid date/);
  });

  it('an inverted range or an end after the last completed session is a usage error', async () => {
    await setup();
    const inverted = await rejection(run({ symbols: ['AAPL'], start: '2024-05-01', end: '2024-04-01' }));
    expect(inverted).toBeInstanceOf(UsageError);
    expect(inverted.message).toBe('--start 2024-05-01 is after --end 2024-04-01');
    const future = await rejection(run({ symbols: ['AAPL'], end: '2025-01-14' }));
    expect(future.message).toBe('--end 2025-01-14 is after the last completed session 2025-01-13');
    expect(fake.requests).toHaveLength(0);
  });
});
