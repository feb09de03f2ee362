// Real data in two commands: a new home, `data import DIR`, then scan and backtest work with no
// file written by hand (import writes data/universe/imported.csv and points config at it).
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { sessionsBetween } from '../../src/core/market/calendar.js';
import { json, kobe, tempDir } from '../helpers/cli.js';

function csv(symbol: string, seed: number): string {
  let x = seed;
  let px = 50 + seed;
  const rows = ['date,open,high,low,close,volume'];
  for (const date of sessionsBetween('2022-01-03', '2024-06-28')) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const r = x / 2147483648 - 0.5;
    const open = px;
    const close = Math.max(5, px * (1 + r * 0.04));
    rows.push(`${date},${open.toFixed(2)},${(Math.max(open, close) * 1.01).toFixed(2)},${(Math.min(open, close) * 0.99).toFixed(2)},${close.toFixed(2)},${1_000_000 + (x % 500_000)}`);
    px = close;
  }
  return `${rows.join('\n')}\n`;
}

describe('real data in two commands', () => {
  it('init, data import DIR, then scan and backtest run on what was imported', () => {
    const { dir, cleanup } = tempDir();
    try {
      const home = path.join(dir, 'home');
      const csvDir = path.join(dir, 'csv');
      fs.mkdirSync(csvDir);
      ['AAA', 'BBB', 'CCC', 'DDD'].forEach((s, i) => fs.writeFileSync(path.join(csvDir, `${s}.csv`), csv(s, i + 1)));
      expect(kobe(['init', '--home', home]).code).toBe(0);
      const imp = kobe(['data', 'import', csvDir, '--home', home, '--json']);
      expect(imp.code).toBe(0);
      expect(json(imp).universe).toEqual({ file: 'data/universe/imported.csv', symbols: 4, config_updated: true });
      expect(fs.readFileSync(path.join(home, 'config', 'base.yaml'), 'utf8')).toMatch(/universe: data\/universe\/imported\.csv/);
      const scan = kobe(['scan', '--home', home, '--date', '2024-06-28', '--json']);
      expect({ code: scan.code, err: scan.stderr.slice(0, 300) }).toMatchObject({ code: 0 });
      const bt = kobe(['backtest', '--home', home, '--json']);
      expect({ code: bt.code, err: bt.stderr.slice(0, 300) }).toMatchObject({ code: 0 });
      // data verify --universe resolves against the home, from any directory.
      const v = kobe(['data', 'verify', '--home', home, '--universe', 'data/universe/imported.csv', '--json'], { cwd: dir });
      expect([0, 5]).toContain(v.code);
      expect(json(v).symbols_checked).toBe(4);
    } finally {
      cleanup();
    }
  }, 120_000);

  it('a missing universe names the ones that exist and the commands that make one', () => {
    const { dir, cleanup } = tempDir();
    try {
      expect(kobe(['init', '--home', dir]).code).toBe(0);
      const r = kobe(['scan', '--home', dir, '--json']);
      expect(r.code).toBe(2);
      expect(json(r).error.hint).toMatch(/kobe data import DIR.*kobe data prefetch/);
    } finally {
      cleanup();
    }
  });
});
