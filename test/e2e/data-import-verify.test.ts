// `kobe data import` and `kobe data verify` against the built binary: bad input gives a message
// naming what and where, with the documented exit code.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { BarStore } from '../../src/core/data/store.js';
import { StateError } from '../../src/core/errors.js';
import { initHome, json, kobe } from '../helpers/cli.js';

const HEAD = 'date,open,high,low,close,volume\n';
const GOOD = `${HEAD}2024-01-02,10,11,9,10.5,100\n2024-01-03,10.5,12,10,11,200\n2024-01-04,11,12,10.5,11.5,150\n`;

describe('data import and verify from the binary', () => {
  let home: string;
  let cleanup: () => void;
  let csv: string;
  beforeEach(() => {
    ({ home, cleanup } = initHome());
    csv = path.join(home, 'csv');
    fs.mkdirSync(csv);
  });
  afterEach(() => cleanup());

  it('0: a clean import, then a clean verify', () => {
    fs.writeFileSync(path.join(csv, 'AAPL.csv'), GOOD);
    const imp = kobe(['data', 'import', csv, '--home', home]);
    expect(imp.code).toBe(0);
    expect(imp.stdout).toMatch(/^imported 3 rows of 1 symbol\(s\) from 1 file\(s\)/);
    const ver = kobe(['data', 'verify', '--home', home, '--json']);
    expect(ver.code).toBe(0);
    expect(json(ver)).toMatchObject({ ok: true, findings_total: 0, symbols_checked: 1, bars_checked: 3 });
  });

  it('2: a CSV with a missing column names the file and the column; nothing is imported', () => {
    const file = path.join(csv, 'MSFT.csv');
    fs.writeFileSync(file, 'date,open,high,low,close\n2024-01-02,10,11,9,10.5\n');
    const r = kobe(['data', 'import', file, '--home', home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`error: ${file}: missing column volume; nothing was imported`);
    expect(r.stderr).toMatch(/hint: the header is: date,open,high,low,close/);
    const j = json(kobe(['data', 'import', file, '--home', home, '--json']));
    expect(j).toMatchObject({ ok: false, error: { code: 'USAGE', details: { files: [{ file, missing: ['volume'] }] } } });
    expect(fs.existsSync(path.join(home, 'data', 'cache', 'index.json'))).toBe(false);
  });

  it('5: text in a numeric field is reported with file:line and column; the other rows are imported', () => {
    const file = path.join(csv, 'IBM.csv');
    fs.writeFileSync(file, `${GOOD}2024-01-05,11.5,abc,11,12,300\n`);
    const r = kobe(['data', 'import', csv, '--home', home]);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${file}:5 (high): "abc" is not a number`);
    expect(r.stderr).toContain(`error: 1 row(s) rejected, first: ${file}:5 (high)`);
    const j = json(kobe(['data', 'import', csv, '--home', home, '--json']));
    expect(j).toMatchObject({ ok: false, rows_imported: 3, rows_rejected: 1, errors: [{ file, line: 5, column: 'high', kind: 'bad_number' }], error: { code: 'CHECK_FAILED' } });
  });

  it('5: verify reports a truncated bar file as damaged_file; loading it elsewhere is exit 3 naming the file', () => {
    fs.writeFileSync(path.join(csv, 'AAPL.csv'), GOOD);
    fs.writeFileSync(path.join(csv, 'MSFT.csv'), GOOD);
    expect(kobe(['data', 'import', csv, '--home', home]).code).toBe(0);
    const cache = path.join(home, 'data', 'cache');
    const bar = path.join(cache, fs.readdirSync(cache).find((f) => f.startsWith('AAPL.') && f.endsWith('.kbar'))!);
    fs.truncateSync(bar, fs.statSync(bar).size - 17);
    const r = kobe(['data', 'verify', '--home', home]);
    expect(r.code).toBe(5);
    expect(r.stdout).toMatch(/AAPL {2}- {2}damaged_file {2}data\/cache\/AAPL\.[0-9a-f]{12}\.kbar: truncated or padded/);
    expect(r.stdout).toContain('1 of 2 symbol(s) clean');
    expect(r.stderr).toContain('error: data verify: 1 finding(s) on 1 of 2 symbol(s)');
    const j = json(kobe(['data', 'verify', '--home', home, '--json']));
    expect(j).toMatchObject({ ok: false, by_check: { damaged_file: 1 }, findings: [{ symbol: 'AAPL', check: 'damaged_file', date: null }], error: { code: 'CHECK_FAILED' } });
    // Every other reader goes through BarStore.load: a StateError (exit 3) naming the file.
    const store = new BarStore(path.join(home, 'data', 'cache'), () => new Date(), home);
    let err: unknown;
    try {
      store.load('AAPL');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StateError);
    expect((err as StateError).exitCode).toBe(3);
    expect((err as StateError).message).toMatch(/^data\/cache\/AAPL\.[0-9a-f]{12}\.kbar: truncated or padded/);
  });

  it('2: verify on an empty store points at seed and import', () => {
    const r = kobe(['data', 'verify', '--home', home]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('error: the bar store is empty: nothing to verify');
    expect(r.stderr).toContain('kobe data import DIR');
  });
});
