import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseDataSeed, renderDataSeed, runDataSeed } from '../../src/commands/data/seed.js';
import { main } from '../../src/cli/main.js';
import { verifyChain } from '../../src/core/audit/chain.js';
import { generateMarket } from '../../src/core/data/synthetic/market.js';
import { loadUniverse } from '../../src/core/data/universe.js';
import { ExitCode, UsageError } from '../../src/core/errors.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { MemoryStream, testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

// The FakeClock stands at 2025-01-14T15:00Z, before that day's close: the last completed session is the 13th.
// Through today (2025-01-14, a session): today's bar is the sim's market.
const LAST = '2025-01-14';
const FIRST = '2023-01-17';
const opts = { symbols: 12, years: 2, seed: 42, withFaults: false };

describe('data seed', () => {
  it('writes the market to the bar store, the universe file, an audit record and an event', async () => {
    t = await testContext();
    const r = await runDataSeed(t.ctx, opts);
    const sessions = sessionsBetween(FIRST, LAST);
    expect(r).toMatchObject({ synthetic: true, symbols: 12, years: 2, seed: 42, sessions: sessions.length, bars: 12 * sessions.length, first: FIRST, last: LAST, with_faults: false, faults: [], other_synthetic: 0 });
    expect(r.universe).toBe(path.join(t.home, 'data', 'universe', 'demo.csv'));
    expect(r.universe_display).toBe(path.join('data', 'universe', 'demo.csv'));

    const expected = generateMarket({ symbols: 12, sessions, seed: 42 });
    const symbols = expected.series.map((s) => s.symbol);
    expect(loadUniverse(r.universe).symbols).toEqual(symbols);
    expect(fs.readFileSync(r.universe, 'utf8')).toBe(`symbol\n${symbols.join('\n')}\n`);

    const store = await t.ctx.bars();
    const entries = store.list();
    expect(entries.map((e) => e.symbol)).toEqual([...symbols].sort());
    for (const e of entries) expect(e).toMatchObject({ source: 'synthetic', bars: sessions.length, first: FIRST, last: LAST, splits: expected.meta.get(e.symbol)!.splits, updated_at: '2025-01-14T15:00:00.000Z' });
    const loaded = store.load(symbols[3]);
    expect(Array.from(loaded.close)).toEqual(Array.from(expected.series[3].close));
    expect(Array.from(loaded.dates)).toEqual(Array.from(expected.series[3].dates));

    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
    expect(chain.at(-1)).toMatchObject({ type: 'data_seeded', synthetic: true, symbols: 12, seed: 42, bars: r.bars, first: FIRST, last: LAST });
    expect(verifyChain(t.ctx.paths.chain, t.ctx.paths.chainHead).status).toBe('intact');
    const events = fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'data_seeded', synthetic: true, seed: 42, bars: r.bars, ts: '2025-01-14T15:00:00.000Z' });
  });

  it('is reproducible: the same flags on the same day give byte-identical bar files', async () => {
    t = await testContext();
    const other = await testContext();
    try {
      await runDataSeed(t.ctx, opts);
      await runDataSeed(other.ctx, opts);
      const a = await t.ctx.bars();
      const b = await other.ctx.bars();
      for (const e of a.list()) expect(fs.readFileSync(a.fileOf(e.symbol)).equals(fs.readFileSync(b.fileOf(e.symbol)))).toBe(true);
      const again = await runDataSeed(other.ctx, { ...opts, symbols: 5, seed: 43 });
      const sym = a.list()[0].symbol;
      expect(fs.readFileSync(a.fileOf(sym)).equals(fs.readFileSync(b.fileOf(sym)))).toBe(false);
      expect(again.other_synthetic).toBe(7);
      renderDataSeed(other.ctx.out, again);
      expect(other.stderr.data).toMatch(/7 synthetic symbol\(s\) of an earlier seed stay in the bar store/);
    } finally {
      other.cleanup();
    }
  });

  it('--with-faults reports one fault of each kind and stores the bad rows', async () => {
    t = await testContext();
    const r = await runDataSeed(t.ctx, { ...opts, withFaults: true });
    expect(r.faults).toHaveLength(10);
    expect(new Set(r.faults.map((f) => f.symbol)).size).toBe(10);
    const nan = r.faults.find((f) => f.kind === 'nan_field')!;
    const stale = r.faults.find((f) => f.kind === 'stale_last_bar')!;
    const store = await t.ctx.bars();
    expect(store.load(nan.symbol).open.some(Number.isNaN)).toBe(true);
    expect(store.list().find((e) => e.symbol === stale.symbol)!.last).toBe(stale.date);
    expect(stale.date < LAST).toBe(true);
    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
    expect(chain.at(-1).faults).toContain(`nan_field:${nan.symbol}:${nan.date}`);
  });

  it('prints SYNTHETIC in the human summary and one JSON document with --json', async () => {
    t = await testContext();
    const r = await runDataSeed(t.ctx, { ...opts, withFaults: true });
    renderDataSeed(t.ctx.out, r);
    expect(t.stdout.data).toMatch(/^SYNTHETIC market {2}seed 42, 12 symbols x \d+ NYSE sessions \(2023-01-17 \.\. 2025-01-14\)/);
    expect(t.stdout.data).toMatch(/nan_field\t\w+\t\d{4}-\d{2}-\d{2}/);
    expect(t.stderr.data).toMatch(/SYNTHETIC data: generated by `kobe data seed`, not market prices/);

    const j = await testContext({ json: true });
    try {
      const rj = await runDataSeed(j.ctx, opts);
      j.ctx.out.result(rj, renderDataSeed);
      const doc = JSON.parse(j.stdout.data);
      expect(doc).toMatchObject({ ok: true, synthetic: true, symbols: 12, seed: 42, last: LAST, faults: [] });
    } finally {
      j.cleanup();
    }
  });

  it('validates flags, naming the bad one; defaults are 100 symbols, 10 years, seed 42', () => {
    expect(parseDataSeed({})).toEqual({ symbols: 100, years: 10, seed: 42, withFaults: false });
    expect(parseDataSeed({ symbols: '900', years: '30', seed: '0', withFaults: true })).toEqual({ symbols: 900, years: 30, seed: 0, withFaults: true });
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ symbols: '0' }, /--symbols/],
      [{ symbols: '5001' }, /--symbols/],
      [{ symbols: 'abc' }, /--symbols/],
      [{ symbols: '1.5' }, /--symbols/],
      [{ years: '0' }, /--years/],
      [{ years: '31' }, /--years/],
      [{ seed: '-1' }, /--seed/],
      [{ seed: '1e3' }, /--seed/],
    ];
    for (const [raw, flag] of bad) {
      let err: unknown;
      try {
        parseDataSeed(raw);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(UsageError);
      expect((err as Error).message).toMatch(flag);
    }
  });

  it('through the CLI: a bad value exits 2 with a JSON error; outside a kobe home it is a usage error', async () => {
    t = await testContext();
    const stdout = new MemoryStream();
    const stderr = new MemoryStream();
    const code = await main(['data', 'seed', '--symbols', 'lots', '--home', t.home, '--json'], { streams: { stdout, stderr }, env: {}, context: { clock: t.clock } });
    expect(code).toBe(ExitCode.USAGE);
    expect(JSON.parse(stdout.data)).toMatchObject({ ok: false, error: { code: 'USAGE', message: expect.stringMatching(/--symbols must be an integer from 1 to 5000, got "lots"/) } });
    expect(fs.existsSync(path.join(t.home, 'data', 'universe', 'demo.csv'))).toBe(false);

    const bare = await testContext({ init: false });
    try {
      await expect(runDataSeed(bare.ctx, opts)).rejects.toThrow(/not a kobe home/);
    } finally {
      bare.cleanup();
    }
  });
});
