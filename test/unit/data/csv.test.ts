import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { parseColumnMap, resolveColumns, symbolFromFileName } from '../../../src/core/data/csv/columns.js';
import { isMissing, parseDate, parseDateAt, parseNumber, parseNumberAt } from '../../../src/core/data/csv/fields.js';
import { CsvImporter } from '../../../src/core/data/csv/importer.js';
import { forEachRecord } from '../../../src/core/data/csv/records.js';
import { UsageError } from '../../../src/core/errors.js';
import { dayNumber, isoDay } from '../../../src/core/strategy/bars.js';

function records(text: string): Array<[number, string[]]> {
  const out: Array<[number, string[]]> = [];
  forEachRecord(text, (rec, line) => out.push([line, rec.fields()]));
  return out;
}

function usage(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UsageError) return err;
    throw err;
  }
  throw new Error('expected a UsageError');
}

const HEAD = 'date,open,high,low,close,volume\n';

describe('forEachRecord', () => {
  it('splits lines and fields, drops a BOM, handles \\r\\n and skips blank lines', () => {
    expect(records('\uFEFFa,b\r\n1,2\r\n\r\n3,4')).toEqual([
      [1, ['a', 'b']],
      [2, ['1', '2']],
      [4, ['3', '4']],
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted fields, with the right line numbers', () => {
    const text = 'name,close\n"Alphabet, Inc.",10\n"say ""hi""",11\n"two\nlines",12\nplain,13\n';
    expect(records(text)).toEqual([
      [1, ['name', 'close']],
      [2, ['Alphabet, Inc.', '10']],
      [3, ['say "hi"', '11']],
      [4, ['two\nlines', '12']],
      [6, ['plain', '13']],
    ]);
  });

  it('hands out field offsets into the text on the fast path', () => {
    const seen: Array<[number, number, string]> = [];
    forEachRecord('ab,,cde\n', (rec) => {
      for (let k = 0; k < rec.count; k++) seen.push([rec.starts[k], rec.ends[k], rec.field(k)]);
    });
    expect(seen).toEqual([
      [0, 2, 'ab'],
      [3, 3, ''],
      [4, 7, 'cde'],
    ]);
  });

  it('handles a quoted last field and a file without a final newline', () => {
    expect(records('a,"b"\n"c","d"')).toEqual([
      [1, ['a', 'b']],
      [2, ['c', 'd']],
    ]);
  });
});

describe('parseNumber', () => {
  it('reads decimals, signs and exponents', () => {
    expect(parseNumber('67.7142')).toBe(67.7142);
    expect(parseNumber('-3')).toBe(-3);
    expect(parseNumber('+2.5')).toBe(2.5);
    expect(parseNumber('.5')).toBe(0.5);
    expect(parseNumber('1.5e6')).toBe(1_500_000);
    expect(parseNumber(' 12.25 ')).toBe(12.25);
    expect(parseNumber('158168416')).toBe(158168416);
    expect(parseNumber('12345678901234567890.5')).toBe(12345678901234567890.5);
  });

  it('parses a slice of a longer text in place', () => {
    const line = '2013-02-08, 67.71 ,abc';
    expect(parseDateAt(line, 0, 10)).toBe(dayNumber('2013-02-08'));
    expect(parseNumberAt(line, 11, 18)).toBe(67.71);
    expect(parseNumberAt(line, 19, 22)).toBeNull();
    expect(parseNumberAt(line, 11, 11)).toBeNull();
  });

  it('refuses text, repeated dots, hex, Infinity and empty fields', () => {
    for (const bad of ['abc', '1.2.3', '0x1A', 'Infinity', '', '-', '1e', '1e+', '12abc', '1,234', '1e400']) expect(parseNumber(bad)).toBeNull();
  });

  it('returns exactly what Number() returns for decimal text', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 8 }), (x, digits) => {
        const text = x.toFixed(digits);
        expect(parseNumber(text)).toBe(Number(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('treats empty and explicit missing markers as missing, text as not', () => {
    for (const m of ['', '  ', 'NaN', 'NA', 'n/a', 'null']) expect(isMissing(m)).toBe(true);
    for (const t of ['abc', '0', 'none?']) expect(isMissing(t)).toBe(false);
  });
});

describe('parseDate', () => {
  it('reads YYYY-MM-DD, YYYY/MM/DD and YYYYMMDD as day numbers', () => {
    expect(parseDate('2013-02-08')).toBe(dayNumber('2013-02-08'));
    expect(parseDate('2013/02/08')).toBe(dayNumber('2013-02-08'));
    expect(parseDate('20130208')).toBe(dayNumber('2013-02-08'));
    expect(parseDate('2024-02-29')).toBe(dayNumber('2024-02-29'));
    expect(parseDate(' 2013-02-08 ')).toBe(dayNumber('2013-02-08'));
  });

  it('agrees with dayNumber on every day of 1990-2100', () => {
    const wrong: string[] = [];
    for (let n = dayNumber('1990-01-01'); n <= dayNumber('2100-12-31'); n++) if (parseDate(isoDay(n)) !== n) wrong.push(isoDay(n));
    expect(wrong).toEqual([]);
  });

  it('says why a date is refused: ambiguous order, impossible day, time part, range, text', () => {
    expect(parseDate('02/08/2013')).toMatch(/year last: month\/day order is ambiguous/);
    expect(parseDate('8.2.13')).toMatch(/ambiguous/);
    expect(parseDate('2023-02-29')).toMatch(/not a real calendar day/);
    expect(parseDate('2023-13-01')).toMatch(/not a real calendar day/);
    expect(parseDate('2013-02-08 00:00:00')).toMatch(/time part/);
    expect(parseDate('1985-01-02')).toMatch(/outside the calendar range 1990-2100/);
    expect(parseDate('yesterday')).toMatch(/not a date/);
    expect(parseDate('2013-0a-08')).toMatch(/not a date/);
  });
});

describe('column mapping', () => {
  it('parses --map and refuses unknown fields, empty columns and doubles', () => {
    expect(parseColumnMap('date=Date,close=Adj Close,symbol=Ticker')).toEqual({ date: 'Date', close: 'Adj Close', symbol: 'Ticker' });
    expect(usage(() => parseColumnMap('price=Close')).message).toMatch(/unknown field "price"/);
    expect(usage(() => parseColumnMap('close=')).message).toMatch(/names no column/);
    expect(usage(() => parseColumnMap('close=A,close=B')).message).toMatch(/mapped twice/);
  });

  it('finds the default columns case-insensitively and a symbol/ticker/Name column', () => {
    const c = resolveColumns(['Date', 'Open', 'High', 'Low', 'Close', 'Volume', 'Name'], 'x.csv');
    expect(c).toMatchObject({ date: 0, open: 1, high: 2, low: 3, close: 4, volume: 5, symbol: 6, fileSymbol: null });
    expect(resolveColumns(['ticker', 'date', 'open', 'high', 'low', 'close', 'volume'], 'x.csv').symbol).toBe(0);
  });

  it('takes the symbol from the file name when there is no symbol column', () => {
    expect(resolveColumns(['date', 'open', 'high', 'low', 'close', 'volume'], 'dir/AAPL_data.csv').fileSymbol).toBe('AAPL');
    expect(symbolFromFileName('aapl.csv')).toBe('AAPL');
    expect(symbolFromFileName('/x/BRK.B_data.csv')).toBe('BRK.B');
    expect(symbolFromFileName('1999 prices.csv')).toBeNull();
    const e = usage(() => resolveColumns(['date', 'open', 'high', 'low', 'close', 'volume'], 'dir/1999.csv'));
    expect(e.message).toMatch(/dir\/1999\.csv: no symbol column/);
  });

  it('names the file and every missing column', () => {
    const e = usage(() => resolveColumns(['date', 'open', 'close'], 'in/AAPL.csv'));
    expect(e.message).toBe('in/AAPL.csv: missing columns high, low, volume');
    expect(e.details).toMatchObject({ file: 'in/AAPL.csv', missing: ['high', 'low', 'volume'] });
  });

  it('uses --map over the defaults and names a mapped column the header lacks', () => {
    const c = resolveColumns(['Day', 'Open', 'High', 'Low', 'Close', 'Adj Close', 'Volume', 'Ticker'], 'f.csv', { date: 'Day', close: 'Adj Close' });
    expect([c.date, c.close, c.symbol]).toEqual([0, 5, 7]);
    const e = usage(() => resolveColumns(['date', 'open', 'high', 'low', 'close', 'volume'], 'f.csv', { close: 'Adj Close' }));
    expect(e.message).toMatch(/^f\.csv: --map names columns the header does not have: close=Adj Close/);
  });
});

describe('CsvImporter', () => {
  const load = (files: Record<string, string>, opts = {}) => {
    const imp = new CsvImporter(opts);
    for (const [name, text] of Object.entries(files)) imp.addFile(name, text);
    return imp.finish();
  };

  it('imports clean rows with exact values, the symbol from the file name', () => {
    const r = load({ 'AAPL_data.csv': `${HEAD}2013-02-08,67.7142,68.4014,66.8928,67.8542,158168416\r\n2013-02-11,68.0714,69.2771,67.6071,68.5614,129029425\r\n` });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.rows).toBe(2);
    const s = r.series[0];
    expect(s.symbol).toBe('AAPL');
    expect([...s.dates].map(isoDay)).toEqual(['2013-02-08', '2013-02-11']);
    expect([...s.close]).toEqual([67.8542, 68.5614]);
    expect([...s.volume]).toEqual([158168416, 129029425]);
  });

  it('imports an empty field as NaN and reports it as a warning with file:line and column', () => {
    const r = load({ 'DHR.csv': `${HEAD}2015-07-16,88,89,87,88.5,100\n2015-07-17,,88.76,88.24,88.72,2056819\n2015-07-20,88,89,87,NA,100\n` });
    expect(r.errors).toEqual([]);
    expect(r.rows).toBe(3);
    expect(r.rowsWithEmptyFields).toBe(2);
    expect(r.warnings.map((w) => [w.file, w.line, w.column, w.kind])).toEqual([
      ['DHR.csv', 3, 'open', 'empty_field'],
      ['DHR.csv', 4, 'close', 'empty_field'],
    ]);
    expect(Number.isNaN(r.series[0].open[1])).toBe(true);
    expect(Number.isNaN(r.series[0].close[2])).toBe(true);
    expect(r.series[0].high[1]).toBe(88.76);
  });

  it('rejects text in a numeric field, a bad date, a wrong field count and negative volume, naming line and column', () => {
    const text = `${HEAD}2020-01-02,1,2,0.5,1.5,10\n2020-01-03,abc,2,0.5,1.5,10\n2020-01-06,1,2,0.5,1.2.3,10\n01/07/2020,1,2,0.5,1.5,10\n2020-02-30,1,2,0.5,1.5,10\n2020-01-08,1,2,0.5,1.5\n2020-01-09,1,2,0.5,1.5,-5\n2020-01-10,1,2,0.5,1.5,20\n`;
    const r = load({ 'X.csv': text });
    expect(r.errors.map((e) => [e.line, e.column, e.kind])).toEqual([
      [3, 'open', 'bad_number'],
      [4, 'close', 'bad_number'],
      [5, 'date', 'bad_date'],
      [6, 'date', 'bad_date'],
      [7, null, 'field_count'],
      [8, 'volume', 'negative_volume'],
    ]);
    expect(r.errors[0].reason).toBe('"abc" is not a number');
    expect(r.errors[4].reason).toBe('5 fields, the header has 6');
    expect(r.rows).toBe(2);
    expect([...r.series[0].dates].map(isoDay)).toEqual(['2020-01-02', '2020-01-10']);
  });

  it('stores rows sorted by date and reports rows out of order once per file', () => {
    const r = load({ 'Z.csv': `${HEAD}2020-01-06,3,3,3,3,1\n2020-01-02,1,1,1,1,1\n2020-01-03,2,2,2,2,1\n2020-01-07,4,4,4,4,1\n` });
    expect([...r.series[0].close]).toEqual([1, 2, 3, 4]);
    expect(r.warnings).toHaveLength(1);
    expect(r.warnings[0]).toMatchObject({ file: 'Z.csv', line: 3, kind: 'out_of_order', symbol: 'Z' });
    expect(r.warnings[0].reason).toMatch(/^2 row\(s\) of Z out of date order/);
  });

  it('keeps the first of two rows for one date and reports the second, also across files', () => {
    const r = load({
      'a.csv': `date,open,high,low,close,volume,symbol\n2020-01-02,1,1,1,1,1,MSFT\n2020-01-03,2,2,2,2,1,MSFT\n2020-01-03,9,9,9,9,1,MSFT\n`,
      'b.csv': `date,open,high,low,close,volume,symbol\n2020-01-06,3,3,3,3,1,MSFT\n2020-01-02,8,8,8,8,1,MSFT\n`,
    });
    expect([...r.series[0].close]).toEqual([1, 2, 3]);
    const dup = r.warnings.filter((w) => w.kind === 'duplicate_date');
    expect(dup.map((w) => `${w.file}:${w.line}`).sort()).toEqual(['a.csv:4', 'b.csv:3']);
    expect(dup.find((w) => w.file === 'b.csv')!.reason).toBe('second row for MSFT on 2020-01-02; kept the first (a.csv:2)');
  });

  it('merges files of one symbol and splits a multi-symbol file by its symbol column', () => {
    const r = load({
      'all.csv': `Date,Open,High,Low,Close,Volume,Name\n2020-01-02,1,1,1,1,1,aapl\n2020-01-02,5,5,5,5,5,MSFT\n2020-01-03,2,2,2,2,2,AAPL\n2020-01-03,2,2,2,2,2,not a ticker!\n`,
      'AAPL.csv': `${HEAD}2020-01-06,3,3,3,3,3\n`,
    });
    expect(r.series.map((s) => [s.symbol, s.length])).toEqual([
      ['AAPL', 3],
      ['MSFT', 1],
    ]);
    expect(r.errors).toEqual([{ file: 'all.csv', line: 5, column: 'Name', symbol: null, kind: 'bad_symbol', reason: '"not a ticker!" is not a valid symbol' }]);
  });

  it('imports only --symbols and skips other files without parsing them', () => {
    const r = load({ 'AAPL.csv': `${HEAD}2020-01-02,1,1,1,1,1\n`, 'MSFT.csv': `${HEAD}2020-01-02,junk,1,1,1,1\n` }, { symbols: new Set(['AAPL']) });
    expect(r.series.map((s) => s.symbol)).toEqual(['AAPL']);
    expect(r.errors).toEqual([]);
  });

  it('refuses a file with missing columns or no header, keeping nothing of it', () => {
    const imp = new CsvImporter();
    expect(usage(() => imp.addFile('in/X.csv', 'date,open,close\n2020-01-02,1,1\n')).message).toMatch(/^in\/X\.csv: missing columns high, low, volume/);
    expect(usage(() => imp.addFile('in/Y.csv', '\n\n')).message).toMatch(/^in\/Y\.csv: empty file/);
    expect(imp.finish().series).toEqual([]);
  });

  it('reads quoted numbers and a BOM header', () => {
    const r = load({ 'Q.csv': `\uFEFF"date","open","high","low","close","volume"\n"2020-01-02","1.5","2","1","1.75","1000"\n` });
    expect(r.errors).toEqual([]);
    expect(r.series[0].close[0]).toBe(1.75);
  });
});
