import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { parseDataImport, renderDataImport, runDataImport, type DataImportResult } from '../../src/commands/data/import.js';
import { CheckFailed, ExitCode, UsageError } from '../../src/core/errors.js';
import { isoDay } from '../../src/core/strategy/bars.js';
import { testContext, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const HEAD = 'date,open,high,low,close,volume\n';

function csvDir(files: Record<string, string>): string {
  const dir = path.join(t.home, 'csv-in');
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

async function rejected(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the import to fail');
}

describe('data import', () => {
  it('imports a directory (file-name and Name-column symbols), writes the store as source import, records audit and event', async () => {
    t = await testContext();
    const dir = csvDir({
      'AAPL_data.csv': `${HEAD}2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n`,
      'mixed.csv': 'date,open,high,low,close,volume,Name\n2024-01-02,20,21,19,20.5,300,MSFT\n2024-01-03,20.5,22,20,21,400,MSFT\n',
      'notes.txt': 'not a csv',
    });
    const r = await runDataImport(t.ctx, { path: dir });
    expect(r).toMatchObject({ files: 2, rows_imported: 4, rows_with_empty_fields: 0, rows_rejected: 0, warnings: [], errors: [], replaced: [] });
    expect(r.symbols).toEqual([
      { symbol: 'AAPL', bars: 2, first: '2024-01-02', last: '2024-01-03' },
      { symbol: 'MSFT', bars: 2, first: '2024-01-02', last: '2024-01-03' },
    ]);
    const store = await t.ctx.bars();
    expect(store.list().map((e) => [e.symbol, e.source, e.bars])).toEqual([
      ['AAPL', 'import', 2],
      ['MSFT', 'import', 2],
    ]);
    expect([...store.load('MSFT').close]).toEqual([20.5, 21]);
    const chain = fs.readFileSync(t.ctx.paths.chain, 'utf8').trim().split('\n').map((l) => JSON.parse(l).payload);
    expect(chain.at(-1)).toMatchObject({ type: 'data_imported', files: 2, symbols: 2, rows: 4, rejected_rows: 0 });
    const events = fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'data_imported', level: 'info', rows: 4 });
    renderDataImport(t.ctx.out, r);
    expect(t.stdout.data).toMatch(/^imported 4 rows of 2 symbol\(s\) from 2 file\(s\) in [\d.]+ s \([\d,]+ rows\/s\)\n$/);
  });

  it('exit 0 with empty fields: imported as NaN, each reported with file:line, and a re-import says what it merged', async () => {
    t = await testContext();
    const dir = csvDir({ 'DHR.csv': `${HEAD}2024-01-02,10,11,9,10.5,100\n2024-01-03,,12,10,11,200\n` });
    await runDataImport(t.ctx, { path: dir });
    const r = await runDataImport(t.ctx, { path: path.join(dir, 'DHR.csv') });
    expect(r.rows_with_empty_fields).toBe(1);
    expect(r.merged).toEqual(['DHR']);
    expect(r.replaced).toEqual([]);
    expect(r.warnings).toEqual([
      { file: path.join(dir, 'DHR.csv'), line: 3, column: 'open', symbol: 'DHR', kind: 'empty_field', reason: 'empty open on 2024-01-03: imported as NaN (data verify reports it)' },
    ]);
    expect(Number.isNaN((await t.ctx.bars()).load('DHR').open[1])).toBe(true);
    renderDataImport(t.ctx.out, r);
    expect(t.stderr.data).toContain('1 row(s) with empty fields were imported as NaN; `kobe data verify` reports them:');
    expect(t.stderr.data).toContain(`${path.join(dir, 'DHR.csv')}:3 (open): empty open on 2024-01-03`);
    expect(t.stderr.data).toContain('merged the imported dates into the stored history of 1 symbol(s)');
  });

  it('exit 5 when rows are rejected: the good rows are imported, every bad row is named by file:line and column', async () => {
    t = await testContext();
    const dir = csvDir({ 'X.csv': `${HEAD}2024-01-02,10,11,9,10.5,100\n2024-01-03,abc,12,10,11,200\n2024-01-04,10,12,10,11,-1\n2024-01-05,10,12,10,11,50\n` });
    const err = await rejected(runDataImport(t.ctx, { path: dir }));
    expect(err).toBeInstanceOf(CheckFailed);
    expect((err as CheckFailed).exitCode).toBe(ExitCode.CHECK_FAILED);
    const file = path.join(dir, 'X.csv');
    expect(err.message).toBe(`2 row(s) rejected, first: ${file}:3 (open): "abc" is not a number`);
    const r = (err as CheckFailed).result as DataImportResult;
    expect(r.errors.map((e) => [e.line, e.column, e.kind])).toEqual([
      [3, 'open', 'bad_number'],
      [4, 'volume', 'negative_volume'],
    ]);
    expect([...(await t.ctx.bars()).load('X').dates].map(isoDay)).toEqual(['2024-01-02', '2024-01-05']);
    expect(t.stderr.data).toContain('2 row(s) rejected (not imported):');
    expect(t.stderr.data).toContain(`${file}:4 (volume): volume -1 is negative`);
    const events = fs.readFileSync(t.ctx.paths.events, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(events.at(-1)).toMatchObject({ event: 'data_imported', level: 'warn', rejected_rows: 2 });
  });

  it('caps the human list of rejected rows and keeps all of them in the result', async () => {
    t = await testContext();
    const bad = Array.from({ length: 25 }, (_, i) => `2024-02-${String(i + 1).padStart(2, '0')},x,1,1,1,1\n`).join('');
    const err = await rejected(runDataImport(t.ctx, { path: csvDir({ 'Y.csv': `${HEAD}2024-01-02,1,1,1,1,1\n${bad}` }) }));
    expect(((err as CheckFailed).result as DataImportResult).errors).toHaveLength(25);
    expect(t.stderr.data).toContain('... and 5 more (all of them with --json)');
  });

  it('a file with missing columns is a usage error naming the file and columns; nothing is written', async () => {
    t = await testContext();
    const dir = csvDir({ 'AAPL.csv': `${HEAD}2024-01-02,1,1,1,1,1\n`, 'BAD.csv': 'date,open,close\n2024-01-02,1,1\n' });
    const err = await rejected(runDataImport(t.ctx, { path: dir }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(`${path.join(dir, 'BAD.csv')}: missing columns high, low, volume; nothing was imported`);
    expect((await t.ctx.bars()).list()).toEqual([]);
  });

  it('--map maps other header names; --symbols filters and names symbols it cannot find', async () => {
    t = await testContext();
    const dir = csvDir({ 'yahoo.csv': 'Day,Open,High,Low,Close,Adj Close,Volume,Ticker\n2024-01-02,10,11,9,10.5,5.25,100,AAA\n2024-01-02,1,1,1,1,1,1,BBB\n' });
    const r = await runDataImport(t.ctx, parseDataImport({ map: 'date=Day,close=Adj Close,symbol=Ticker', symbols: 'AAA' }, [dir]));
    expect(r.symbols.map((s) => s.symbol)).toEqual(['AAA']);
    expect((await t.ctx.bars()).load('AAA').close[0]).toBe(5.25);
    const err = await rejected(runDataImport(t.ctx, parseDataImport({ map: 'date=Day,symbol=Ticker', symbols: 'AAA,ZZZ' }, [dir])));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toMatch(/^no rows for ZZZ in /);
  });

  it('shows a progress line only when stderr is a terminal, and clears it', async () => {
    t = await testContext();
    const dir = csvDir({ 'A.csv': `${HEAD}2024-01-02,1,1,1,1,1\n`, 'B.csv': `${HEAD}2024-01-02,1,1,1,1,1\n` });
    await runDataImport(t.ctx, { path: dir });
    expect(t.stderr.data).toBe('');
    t.stderr.isTTY = true;
    await runDataImport(t.ctx, { path: dir });
    expect(t.stderr.data).toBe('\rreading 0/2 files\r\x1b[K');
  });

  it('refuses a missing path, an empty directory and bad flags', async () => {
    t = await testContext();
    expect(await rejected(runDataImport(t.ctx, { path: path.join(t.home, 'nope') }))).toBeInstanceOf(UsageError);
    const empty = path.join(t.home, 'empty');
    fs.mkdirSync(empty);
    expect((await rejected(runDataImport(t.ctx, { path: empty }))).message).toMatch(/holds no \.csv files/);
    expect(() => parseDataImport({}, [])).toThrow(UsageError);
    expect(() => parseDataImport({ map: 'price=Close' }, ['x'])).toThrow(/unknown field "price"/);
    expect(() => parseDataImport({ symbols: 'A,not valid' }, ['x'])).toThrow(/not valid symbols/);
  });

  it('a short CSV merges by date into a long history unless --replace; impossible prices are rejected with file:line', async () => {
    t = await testContext();
    const { seriesFromRows } = await import('../../src/core/strategy/bars.js');
    const { sessionsBetween } = await import('../../src/core/market/calendar.js');
    const days = sessionsBetween('2024-01-02', '2024-12-31');
    await (await t.ctx.bars()).write(seriesFromRows('AAPL', days.map((date) => ({ date, open: 100, high: 101, low: 99, close: 100, volume: 1e6 }))), { source: 'import' });
    const dir2 = fs.mkdtempSync(path.join(t.home, 'csv-'));
    const rows = ['date,open,high,low,close,volume', '2024-12-30,200,201,199,200,1000', '2024-12-31,200,201,199,200,1000', '2025-01-02,-5,201,199,200,1000', '2025-01-03,1e308,1e308,199,200,1000', '2025-01-06,200,190,199,200,1000', '2025-01-07,200,201,199,200,1000'];
    fs.writeFileSync(path.join(dir2, 'AAPL.csv'), `${rows.join('\n')}\n`);
    const err = await rejected(runDataImport(t.ctx, { path: dir2 }));
    const res = (err as unknown as { result: unknown }).result as { errors: Array<{ line: number; kind: string; reason: string }>; symbols: Array<{ symbol: string; bars: number }> };
    expect(res.errors.map((e) => [e.line, e.kind])).toEqual([[4, 'impossible_price'], [5, 'impossible_price'], [6, 'impossible_price']]);
    expect(res.errors[2].reason).toMatch(/high 190 is below low 199/);
    // Merged: the year of history stays, two dates revised, one added.
    expect(res.symbols).toEqual([expect.objectContaining({ symbol: 'AAPL', bars: days.length + 1 })]);
    const s = (await t.ctx.bars()).load('AAPL');
    expect(s.close[0]).toBe(100);
    expect(s.close[s.length - 1]).toBe(200);
    fs.writeFileSync(path.join(dir2, 'AAPL.csv'), `${[rows[0], rows[1], rows[6]].join('\n')}\n`);
    const replaced = await runDataImport(t.ctx, { path: dir2, replace: true });
    expect(replaced).toMatchObject({ replaced: ['AAPL'], merged: [] });
    expect((await t.ctx.bars()).load('AAPL').length).toBe(2);
  });
});
