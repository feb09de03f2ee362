import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runDataImport } from '../../src/commands/data/import.js';
import { parseDataVerify, renderDataVerify, runDataVerify, type DataVerifyResult } from '../../src/commands/data/verify.js';
import type { BarWriteMeta } from '../../src/core/data/store.js';
import { CheckFailed, ExitCode, UsageError } from '../../src/core/errors.js';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { dayNumber, type BarSeries } from '../../src/core/strategy/bars.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

/** A consistent series on real NYSE sessions; `edit` may spoil bar i. */
function series(symbol: string, from: string, to: string, edit?: (s: BarSeries) => void): BarSeries {
  const days = sessionsBetween(from, to);
  const n = days.length;
  const s: BarSeries = { symbol, dates: new Int32Array(n), open: new Float64Array(n), high: new Float64Array(n), low: new Float64Array(n), close: new Float64Array(n), volume: new Float64Array(n), length: n };
  days.forEach((d, i) => {
    const c = 50 + (i % 7) * 0.5;
    s.dates[i] = dayNumber(d);
    [s.open[i], s.high[i], s.low[i], s.close[i], s.volume[i]] = [c - 0.2, c + 1, c - 1, c, 10_000 + i];
  });
  edit?.(s);
  return s;
}

async function write(...items: Array<BarSeries | { series: BarSeries; meta: BarWriteMeta }>): Promise<void> {
  await (await t.ctx.bars()).writeMany(items.map((x) => ('meta' in x ? x : { series: x, meta: { source: 'import' as const } })));
}

async function failed(p: Promise<unknown>): Promise<CheckFailed> {
  try {
    await p;
  } catch (err) {
    if (err instanceof CheckFailed) return err;
    throw err;
  }
  throw new Error('expected data verify to find problems');
}

describe('data verify', () => {
  it('an empty store is a usage error that points at seed and import', async () => {
    t = await testContext();
    await expect(runDataVerify(t.ctx, {})).rejects.toThrow(UsageError);
    await expect(runDataVerify(t.ctx, {})).rejects.toMatchObject({ hint: expect.stringContaining('kobe data import') });
  });

  it('exit 0 and a one-line summary on a clean store', async () => {
    t = await testContext();
    await write(series('AAA', '2023-01-03', '2024-12-31'), series('BBB', '2024-06-03', '2024-12-31'));
    const r = await runDataVerify(t.ctx, {});
    expect(r).toMatchObject({ findings_total: 0, symbols_checked: 2, clean_symbols: 2, expected_last: '2024-12-31', expected_last_from: 'newest_last_bar', symbols: [], findings: [] });
    expect(r.bars_checked).toBe(sessionsBetween('2023-01-03', '2024-12-31').length + sessionsBetween('2024-06-03', '2024-12-31').length);
    renderDataVerify(t.ctx.out, r);
    expect(t.stdout.data).toMatch(/^data verify: clean\. 2 of 2 symbol\(s\) clean, [\d,]+ bars checked against 2024-12-31 \(newest last bar\)/);
  });

  it('exit 5 with a per-symbol table and every finding; clean symbols stay out of the table', async () => {
    t = await testContext();
    await write(
      series('AAA', '2024-01-02', '2024-06-28'),
      series('BAD', '2024-01-02', '2024-06-28', (s) => {
        s.open[10] = NaN;
        s.high[20] = s.low[20] - 1;
        s.close[30] = -1;
        s.low[30] = -2;
      }),
      series('OLD', '2024-01-02', '2024-06-20'),
    );
    const err = await failed(runDataVerify(t.ctx, {}));
    expect(err.exitCode).toBe(ExitCode.CHECK_FAILED);
    expect(err.message).toBe('data verify: 4 finding(s) on 2 of 3 symbol(s)');
    const r = err.result as DataVerifyResult;
    expect(r.findings.map((f) => [f.symbol, f.check])).toEqual([
      ['BAD', 'nan_field'],
      ['BAD', 'ohlc_inconsistent'],
      ['BAD', 'non_positive_price'],
      ['OLD', 'stale_last_bar'],
    ]);
    expect(r.symbols.map((s) => [s.symbol, s.by_check])).toEqual([
      ['BAD', { nan_field: 1, ohlc_inconsistent: 1, non_positive_price: 1 }],
      ['OLD', { stale_last_bar: 1 }],
    ]);
    expect(r.clean_symbols).toBe(1);
    const table = t.stdout.data.split('\n').filter((l) => l.includes('\t'));
    expect(table[0]).toBe('symbol\tbars\tfirst\tlast\tnan_field\tohlc_inconsistent\tnon_positive_price\tstale_last_bar');
    expect(table.slice(1).map((l) => l.split('\t')[0])).toEqual(['BAD', 'OLD']);
    expect(t.stdout.data).toContain('1 of 3 symbol(s) clean');
    expect(t.stdout.data).toContain('OLD  2024-06-20  stale_last_bar  last bar 2024-06-20 is 6 session(s) behind 2024-06-28');
  });

  it('--as-of sets the expected last session (a weekend means the session before)', async () => {
    t = await testContext();
    await write(series('AAA', '2024-01-02', '2024-06-28'));
    expect((await runDataVerify(t.ctx, { asOf: '2024-06-30' })).findings_total).toBe(0);
    const r = (await failed(runDataVerify(t.ctx, { asOf: '2024-07-03' }))).result as DataVerifyResult;
    expect(r.expected_last).toBe('2024-07-03');
    expect(r.findings).toEqual([{ symbol: 'AAA', check: 'stale_last_bar', date: '2024-06-28', detail: 'last bar 2024-06-28 is 3 session(s) behind 2024-07-03' }]);
  });

  it('--symbols and --universe select; a universe symbol without bars is a finding; unknown --symbols is a usage error', async () => {
    t = await testContext();
    await write(series('AAA', '2024-01-02', '2024-03-28'), series('BBB', '2024-01-02', '2024-03-28', (s) => (s.close[3] = NaN)));
    expect((await runDataVerify(t.ctx, { symbols: ['AAA'] })).symbols_checked).toBe(1);
    await expect(runDataVerify(t.ctx, { symbols: ['ZZZ'] })).rejects.toThrow(/not in the bar store: ZZZ/);
    const uni = path.join(t.home, 'data', 'universe', 'mine.csv');
    fs.mkdirSync(path.dirname(uni), { recursive: true });
    fs.writeFileSync(uni, 'symbol\nAAA\nCCC\n');
    const r = (await failed(runDataVerify(t.ctx, { universe: 'mine.csv' }))).result as DataVerifyResult;
    expect(r.findings).toEqual([{ symbol: 'CCC', check: 'missing_symbol', date: null, detail: 'in the universe, but the bar store has no bars for it' }]);
    expect(r.symbols_checked).toBe(2);
  });

  it('--max-findings cuts the list, not the counts', async () => {
    t = await testContext();
    await write(series('BAD', '2024-01-02', '2024-03-28', (s) => s.open.fill(NaN, 0, 12)));
    const r = (await failed(runDataVerify(t.ctx, { maxFindings: 5 }))).result as DataVerifyResult;
    expect([r.findings_total, r.findings.length, r.findings_truncated, r.by_check.nan_field]).toEqual([12, 5, true, 12]);
  });

  it('a truncated or altered bar file is a damaged_file finding and the other symbols are still verified', async () => {
    t = await testContext();
    await write(series('AAA', '2024-01-02', '2024-03-28'), series('CUT', '2024-01-02', '2024-03-28'), series('FLIP', '2024-01-02', '2024-03-28', (s) => (s.close[5] = NaN)));
    const store = await t.ctx.bars();
    fs.truncateSync(store.fileOf('CUT'), fs.statSync(store.fileOf('CUT')).size - 100);
    const flip = fs.readFileSync(store.fileOf('FLIP'));
    flip[flip.length - 1] ^= 0xff;
    fs.writeFileSync(store.fileOf('FLIP'), flip);
    const r = (await failed(runDataVerify(t.ctx, {}))).result as DataVerifyResult;
    const damaged = r.findings.filter((f) => f.check === 'damaged_file');
    expect(damaged.map((f) => f.symbol)).toEqual(['CUT', 'FLIP']);
    expect(damaged[0].detail).toMatch(/^data\/cache\/CUT\.[0-9a-f]{12}\.kbar: truncated or padded/);
    expect(damaged[1].detail).toMatch(/^data\/cache\/FLIP\.[0-9a-f]{12}\.kbar: checksum mismatch/);
    expect(r.findings.filter((f) => f.check !== 'damaged_file')).toEqual([]);
    expect(r.clean_symbols).toBe(1);
  });

  it('an index entry that disagrees with its file is damaged_file', async () => {
    t = await testContext();
    await write(series('AAA', '2024-01-02', '2024-03-28'));
    const store = await t.ctx.bars();
    const idx = JSON.parse(fs.readFileSync(store.indexFile, 'utf8'));
    idx.symbols.AAA.bars += 1;
    fs.writeFileSync(store.indexFile, JSON.stringify(idx));
    const r = (await failed(runDataVerify(t.ctx, {}))).result as DataVerifyResult;
    expect(r.findings[0]).toMatchObject({ check: 'damaged_file', detail: expect.stringMatching(/index says \d+ to [\d-]+: file and index disagree/) });
  });

  it('a split recorded in the index explains a split-like jump', async () => {
    t = await testContext();
    const halve = (s: BarSeries) => {
      for (const col of [s.open, s.high, s.low, s.close]) for (let i = 30; i < s.length; i++) col[i] /= 2;
    };
    const a = series('SPL', '2024-01-02', '2024-06-28', halve);
    await write(a);
    const r = (await failed(runDataVerify(t.ctx, {}))).result as DataVerifyResult;
    expect(r.findings.map((f) => [f.check, f.date])).toEqual([['split_like_jump', '2024-02-14']]);
    await write({ series: a, meta: { source: 'polygon', splits: [{ date: '2024-02-14', ratio: 2 }] } });
    expect((await runDataVerify(t.ctx, {})).findings_total).toBe(0);
  });

  it('validates its flags', () => {
    expect(() => parseDataVerify({ asOf: '2024-02-30' })).toThrow(UsageError);
    expect(() => parseDataVerify({ maxFindings: '-1' })).toThrow(/--max-findings/);
    expect(() => parseDataVerify({ symbols: 'A', universe: 'u.csv' })).toThrow(/exclude each other/);
    expect(parseDataVerify({ symbols: 'aapl,msft', maxFindings: '10' })).toEqual({ symbols: ['AAPL', 'MSFT'], universe: undefined, asOf: undefined, maxFindings: 10 });
  });
});

const SP500 = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'data', 'sp500-2013-2018', 'daily');
const maybe = fs.existsSync(SP500) ? it : it.skip;

describe('the shared S&P 500 2013-2018 data', () => {
  maybe('needs ../shared/data/sp500-2013-2018: import 505 files, 11 empty opens as warnings, one impossible row rejected; verify finds exactly those plus the real defects, nothing on AAPL/MSFT/JPM', async () => {
    t = await testContext();
    // The set has one row whose high is below its low (AOS 2015-04-21... line 322): import refuses it, by file:line.
    const err = await failed(runDataImport(t.ctx, { path: SP500 }));
    const imp = err.result as Awaited<ReturnType<typeof runDataImport>>;
    expect([imp.files, imp.symbols.length, imp.rows_imported, imp.rows_rejected]).toEqual([505, 505, 619_039, 1]);
    expect(imp.errors.map((e) => [path.basename(e.file), e.line, e.kind])).toEqual([['AOS_data.csv', 322, 'impossible_price']]);
    const empty = imp.warnings.filter((w) => w.kind === 'empty_field').map((w) => `${w.symbol} ${w.reason.match(/on (\S+):/)![1]}`);
    const BAD_ROWS = ['BHF 2017-07-26', 'DHR 2015-07-17', 'DHR 2016-01-12', 'ES 2015-07-17', 'FTV 2016-07-01', 'O 2015-07-17', 'O 2016-01-12', 'REGN 2015-06-09', 'UA 2016-04-07', 'VRTX 2015-05-12', 'WRK 2015-06-26'];
    expect(empty).toEqual(BAD_ROWS);
    expect(imp.warnings).toHaveLength(11);
    expect(imp.warnings.every((w) => w.column!.split(',')[0] === 'open')).toBe(true);

    const r = (await failed(runDataVerify(t.ctx, {}))).result as DataVerifyResult;
    expect(r.findings.filter((f) => f.check === 'nan_field').map((f) => `${f.symbol} ${f.date}`)).toEqual(BAD_ROWS);
    for (const s of ['AAPL', 'MSFT', 'JPM', 'GOOGL', 'XOM']) expect(r.findings.filter((f) => f.symbol === s)).toEqual([]);
    // The other real defects of this set, each checked by hand against the CSVs: rows missing inside
    // a listing (BMY, DHR, ES, ICE, O, ORCL), bars whose open/close/high lie outside their own range
    // (CHD and LNT half-adjusted for a split), and Discovery's 2014-08-07 share split left unadjusted.
    // (AOS's rejected row shows as a missing session instead of an inconsistent bar.)
    expect(r.by_check).toEqual({ nan_field: 11, missing_sessions: 18, ohlc_inconsistent: 11, split_like_jump: 2 });
    expect(r.findings.filter((f) => f.check === 'split_like_jump').map((f) => `${f.symbol} ${f.date}`)).toEqual(['DISCA 2014-08-07', 'DISCK 2014-08-07']);
    expect(r.findings.filter((f) => f.check === 'missing_sessions').map((f) => f.symbol)).toEqual(expect.arrayContaining(['BMY', 'DHR', 'ES', 'ICE', 'O', 'ORCL']));
    expect(r.clean_symbols).toBe(505 - 21);
    expect(r.expected_last).toBe('2018-02-07');
  });
});
