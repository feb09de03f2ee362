// Universe files (data/universe/*.csv): first column `symbol`. Symbols are upper-cased, duplicates
// folded, and anything that is not a plausible US equity ticker is reported with its line.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, errnoCode, errorText } from '../errors.js';
import { atomicWrite } from '../state/atomic.js';

const TICKER = /^[A-Z][A-Z0-9]{0,5}([.-][A-Z0-9]{1,2})?$/;

/** A line of a universe file that was not used. */
export interface UniverseProblem {
  line: number;
  value: string;
  problem: string;
}

/** A loaded universe. */
export interface Universe {
  file: string;
  symbols: string[];
  problems: UniverseProblem[];
  /** Rows before --cap was applied. */
  total: number;
}

/** Upper-cased, trimmed symbol; throws UsageError when it is not a plausible ticker. */
export function normaliseSymbol(raw: string): string {
  const s = raw.trim().toUpperCase();
  if (!TICKER.test(s)) throw new UsageError(`"${raw}" is not a valid symbol`, { hint: 'symbols look like AAPL, BRK.B or BF-B' });
  return s;
}

/** True when `s` is a plausible ticker. */
export function isSymbol(s: string): boolean {
  return TICKER.test(s.trim().toUpperCase());
}

/** Parse a comma-separated symbol list (--symbols A,B); every bad one is named. */
export function parseSymbolList(text: string): string[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--symbols needs at least one symbol, like --symbols AAPL,MSFT');
  const bad = parts.filter((p) => !isSymbol(p));
  if (bad.length) throw new UsageError(`not valid symbols: ${bad.join(', ')}`);
  return [...new Set(parts.map((p) => p.toUpperCase()))];
}

/** Load a universe CSV; `cap` keeps the first N symbols after folding duplicates. */
export function loadUniverse(file: string, cap?: number): Universe {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    const dir = path.dirname(file);
    let others: string[] = [];
    try {
      others = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).map((f) => `data/universe/${f}`);
    } catch {
      others = [];
    }
    throw new UsageError(errnoCode(err) === 'ENOENT' ? `universe file ${file} not found` : `cannot read universe file ${file} (${errorText(err)})`, {
      hint: others.length
        ? `universes in this home: ${others.join(', ')}; set data.universe in config/base.yaml to one, or pass --universe`
        : 'make one: `kobe data import DIR` or `kobe data prefetch --symbols A,B` (each writes data/universe/<name>.csv), or `kobe data seed` (SYNTHETIC, data/universe/demo.csv)',
    });
  }
  const lines = text.split(/\r?\n/);
  const header = (lines[0] ?? '').replace(/^\uFEFF/, '').split(',').map((h) => h.trim().toLowerCase());
  if (header[0] !== 'symbol') throw new UsageError(`${file}: the first column must be "symbol" (found "${lines[0]?.split(',')[0] ?? ''}")`, { hint: 'add a header line: symbol' });
  const seen = new Set<string>();
  const symbols: string[] = [];
  const problems: UniverseProblem[] = [];
  let total = 0;
  for (let i = 1; i < lines.length; i++) {
    const raw = lines[i].split(',')[0].trim().replace(/^"|"$/g, '');
    if (raw === '') continue;
    const sym = raw.toUpperCase();
    if (!TICKER.test(sym)) {
      problems.push({ line: i + 1, value: raw, problem: 'not a valid symbol' });
      continue;
    }
    if (seen.has(sym)) {
      problems.push({ line: i + 1, value: raw, problem: `duplicate of ${sym}` });
      continue;
    }
    seen.add(sym);
    symbols.push(sym);
    total++;
  }
  return { file, symbols: cap === undefined ? symbols : symbols.slice(0, cap), problems, total };
}

/** Write a universe file. */
export function universeCsv(symbols: readonly string[]): string {
  return `symbol\n${symbols.join('\n')}\n`;
}

/**
 * Write data/universe/<name>.csv with `symbols` (merged with the file's own, sorted) and, when the
 * configured data.universe file does not exist, point config/base.yaml at it: real data is then
 * usable by scan and backtest right away. Returns what changed, for the "what changed" lines.
 */
export async function writeUniverse(home: string, name: string, symbols: readonly string[], configured: string): Promise<{ file: string; symbols: number; config_updated: boolean }> {
  const rel = `data/universe/${name}.csv`;
  const file = path.join(home, rel);
  let have: string[] = [];
  if (fs.existsSync(file)) have = loadUniverse(file).symbols;
  const all = [...new Set([...have, ...symbols])].sort();
  await atomicWrite(file, universeCsv(all));
  let updated = false;
  const cfg = path.join(home, 'config', 'base.yaml');
  if (!fs.existsSync(path.resolve(home, configured)) && fs.existsSync(cfg)) {
    const text = fs.readFileSync(cfg, 'utf8');
    const next = text.replace(/^(\s+universe:\s*)(\S+)(.*)$/m, (_m, a: string, _v: string, c: string) => `${a}${rel}${c}`);
    if (next !== text) {
      await atomicWrite(cfg, next);
      updated = true;
    }
  }
  return { file: rel, symbols: all.length, config_updated: updated };
}
