// Which CSV column feeds which bar field: defaults by header name (case-insensitive), a symbol
// column or else the file name, and `--map field=Column` overrides.
import path from 'node:path';
import { UsageError } from '../../errors.js';
import { isSymbol } from '../universe.js';

/** Bar fields a CSV column can feed. */
export const CSV_FIELDS = ['date', 'open', 'high', 'low', 'close', 'volume', 'symbol'] as const;
/** One bar field. */
export type CsvField = (typeof CSV_FIELDS)[number];
/** Fields every file must provide (the symbol may come from the file name). */
export const REQUIRED_FIELDS = ['date', 'open', 'high', 'low', 'close', 'volume'] as const;
/** `--map` overrides: field -> header name. */
export type ColumnMap = Partial<Record<CsvField, string>>;

const SYMBOL_HEADERS = ['symbol', 'ticker', 'name'];

/** Parse `--map date=Date,symbol=Ticker,close=Adj Close`; unknown fields are a UsageError. */
export function parseColumnMap(spec: string): ColumnMap {
  const map: ColumnMap = {};
  for (const part of spec.split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    const col = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!(CSV_FIELDS as readonly string[]).includes(key)) {
      throw new UsageError(`--map: unknown field "${key}" (fields: ${CSV_FIELDS.join(', ')})`, { hint: 'example: --map date=Date,close="Adj Close",symbol=Ticker' });
    }
    if (!col) throw new UsageError(`--map: "${part.trim()}" names no column`, { hint: `write it as ${key}=<header name>` });
    if (map[key as CsvField] !== undefined) throw new UsageError(`--map: field "${key}" is mapped twice`);
    map[key as CsvField] = col;
  }
  if (Object.keys(map).length === 0) throw new UsageError('--map is empty', { hint: 'example: --map date=Date,symbol=Ticker' });
  return map;
}

/** Column positions of one file; `symbol` is -1 when the symbol comes from the file name. */
export interface ResolvedColumns {
  date: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  symbol: number;
  /** Positions of open, high, low, close, volume in that order. */
  values: Int32Array;
  /** Header names, for row messages. */
  names: string[];
  /** The symbol taken from the file name, when there is no symbol column. */
  fileSymbol: string | null;
}

/** Symbol a file name stands for (`AAPL_data.csv`, `aapl.csv`, `BRK.B_data.csv`), or null. */
export function symbolFromFileName(file: string): string | null {
  const base = path.basename(file).replace(/\.csv$/i, '');
  const head = base.split(/[_\s]/)[0].toUpperCase();
  return head && isSymbol(head) ? head : null;
}

/** Map a header row to column positions; missing or unknown columns are a UsageError naming the file. */
export function resolveColumns(header: string[], file: string, map: ColumnMap = {}): ResolvedColumns {
  const names = header.map((h) => h.trim());
  const lower = names.map((h) => h.toLowerCase());
  const find = (name: string) => {
    const exact = names.indexOf(name);
    return exact >= 0 ? exact : lower.indexOf(name.toLowerCase());
  };
  const pos: Partial<Record<CsvField, number>> = {};
  const unmapped: string[] = [];
  for (const f of CSV_FIELDS) {
    const mapped = map[f];
    if (mapped !== undefined) {
      const i = find(mapped);
      if (i < 0) unmapped.push(`${f}=${mapped}`);
      pos[f] = i;
    } else if (f === 'symbol') {
      pos[f] = SYMBOL_HEADERS.map((h) => lower.indexOf(h)).find((i) => i >= 0) ?? -1;
    } else {
      pos[f] = lower.indexOf(f);
    }
  }
  const hint = `the header is: ${names.join(',')}; map columns with --map ${REQUIRED_FIELDS.map((f) => `${f}=<column>`).slice(0, 2).join(',')},...`;
  if (unmapped.length) throw new UsageError(`${file}: --map names columns the header does not have: ${unmapped.join(', ')}`, { hint, details: { file, columns: unmapped } });
  const missing = REQUIRED_FIELDS.filter((f) => pos[f]! < 0);
  if (missing.length) throw new UsageError(`${file}: missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`, { hint, details: { file, missing } });
  let fileSymbol: string | null = null;
  if (pos.symbol! < 0) {
    fileSymbol = symbolFromFileName(file);
    if (!fileSymbol) {
      throw new UsageError(`${file}: no symbol column (symbol, ticker or Name) and the file name does not start with a symbol`, {
        hint: 'name the file after its symbol (AAPL.csv, AAPL_data.csv) or map a column: --map symbol=<column>',
        details: { file, missing: ['symbol'] },
      });
    }
  }
  const values = Int32Array.of(pos.open!, pos.high!, pos.low!, pos.close!, pos.volume!);
  return { values, date: pos.date!, open: pos.open!, high: pos.high!, low: pos.low!, close: pos.close!, volume: pos.volume!, symbol: pos.symbol!, names, fileSymbol };
}
