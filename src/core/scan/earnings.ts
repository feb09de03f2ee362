// Earnings dates (data/earnings.csv: symbol,date) for the blackout filter, with a sidecar
// recording when they were imported: preflight warns when they are missing or older than 7 days.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, errnoCode } from '../errors.js';
import { atomicWrite } from '../state/atomic.js';
import { dayNumber } from '../strategy/bars.js';

/** Earnings data as loaded. */
export interface Earnings {
  bySymbol: Map<string, string[]>;
  imported_at: string | null;
  rows: number;
}

/** A row of an earnings import that was not used. */
export interface EarningsProblem {
  line: number;
  value: string;
  problem: string;
}

/** Parse an earnings CSV (header with symbol and date columns). */
export function parseEarningsCsv(text: string, file: string, knownSymbols: ReadonlySet<string> | null): { rows: Array<{ symbol: string; date: string }>; problems: EarningsProblem[] } {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const head = lines[0].split(',').map((h) => h.trim().toLowerCase());
  const si = head.indexOf('symbol');
  const di = head.indexOf('date');
  if (si < 0 || di < 0) throw new UsageError(`${file}: needs a header with "symbol" and "date" columns (found: ${lines[0]})`);
  const rows: Array<{ symbol: string; date: string }> = [];
  const problems: EarningsProblem[] = [];
  const seen = new Set<string>();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const cells = lines[i].split(',').map((c) => c.trim());
    const symbol = (cells[si] ?? '').toUpperCase();
    const date = cells[di] ?? '';
    try {
      dayNumber(date);
    } catch {
      problems.push({ line: i + 1, value: lines[i], problem: `bad date "${date}" (expected YYYY-MM-DD)` });
      continue;
    }
    if (!/^[A-Z][A-Z0-9.-]{0,9}$/.test(symbol)) {
      problems.push({ line: i + 1, value: lines[i], problem: `bad symbol "${cells[si] ?? ''}"` });
      continue;
    }
    if (knownSymbols && !knownSymbols.has(symbol)) {
      problems.push({ line: i + 1, value: lines[i], problem: `unknown symbol ${symbol} (not in the bar store)` });
      continue;
    }
    if (seen.has(`${symbol},${date}`)) continue;
    seen.add(`${symbol},${date}`);
    rows.push({ symbol, date });
  }
  rows.sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
  return { rows, problems };
}

/** Write data/earnings.csv and its sidecar atomically. */
export async function writeEarnings(dataDir: string, rows: Array<{ symbol: string; date: string }>, importedAt: string, source: string): Promise<void> {
  await atomicWrite(path.join(dataDir, 'earnings.csv'), `symbol,date\n${rows.map((r) => `${r.symbol},${r.date}`).join('\n')}${rows.length ? '\n' : ''}`);
  await atomicWrite(path.join(dataDir, 'earnings.meta.json'), `${JSON.stringify({ version: 1, imported_at: importedAt, rows: rows.length, source })}\n`);
}

/** Load data/earnings.csv; null when there is none (the caller must say so, never pass silently). */
export function loadEarnings(dataDir: string): Earnings | null {
  let text: string;
  try {
    text = fs.readFileSync(path.join(dataDir, 'earnings.csv'), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  const { rows } = parseEarningsCsv(text, 'data/earnings.csv', null);
  const bySymbol = new Map<string, string[]>();
  for (const r of rows) bySymbol.set(r.symbol, [...(bySymbol.get(r.symbol) ?? []), r.date]);
  let imported_at: string | null = null;
  try {
    imported_at = (JSON.parse(fs.readFileSync(path.join(dataDir, 'earnings.meta.json'), 'utf8')) as { imported_at?: string }).imported_at ?? null;
  } catch {
    imported_at = null;
  }
  return { bySymbol, imported_at, rows: rows.length };
}
