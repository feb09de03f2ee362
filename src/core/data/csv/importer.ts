// CSV files -> per-symbol bar series, with every row that was not imported as-is reported by
// file and line. The rules, and why:
// - An EMPTY price or volume (or NaN/NA/null) is imported as NaN and reported as a warning: the
//   bar exists, a value is missing; `kobe data verify` flags it. Never zero-filled.
// - TEXT in a numeric field, a bad date, a wrong field count or a negative volume rejects the row
//   (an error): a guess would put a wrong price in front of the strategy.
// - The store is the product's source of truth, so bars are stored in date order. Rows out of order
//   within a file are sorted and reported (one warning per file and symbol); a second row for a date
//   already seen (in any file for that symbol) is dropped and reported: the first one is kept.
import type { BarSeries } from '../../strategy/bars.js';
import { isoDay } from '../../strategy/bars.js';
import { UsageError } from '../../errors.js';
import { isSymbol } from '../universe.js';
import { resolveColumns, type ColumnMap, type ResolvedColumns } from './columns.js';
import { isMissing, parseDateAt, parseNumberAt } from './fields.js';
import { forEachRecord, type CsvRecord } from './records.js';

/** What a reported row is about. Warnings: empty_field, out_of_order, duplicate_date. */
/** No US equity trades at a million dollars a share (BRK.A is under that); a larger one is junk. */
const MAX_PRICE = 10_000_000;

export type ImportIssueKind = 'empty_field' | 'out_of_order' | 'duplicate_date' | 'bad_date' | 'bad_number' | 'negative_volume' | 'impossible_price' | 'field_count' | 'bad_symbol';

/** A row reported by the import, with where it is. */
export interface ImportIssue {
  file: string;
  line: number;
  /** Header name(s) of the column(s) concerned, or null for the whole row. */
  column: string | null;
  symbol: string | null;
  kind: ImportIssueKind;
  reason: string;
}

/** Options of one import run. */
export interface CsvImportOptions {
  map?: ColumnMap;
  /** Only these symbols (others are skipped without parsing their values). */
  symbols?: ReadonlySet<string>;
}

/** Per-symbol rows in arrival order, in growable columns. */
class SymbolRows {
  n = 0;
  dates = new Int32Array(256);
  cols = [new Float64Array(256), new Float64Array(256), new Float64Array(256), new Float64Array(256), new Float64Array(256)];
  files = new Int32Array(256);
  lines = new Int32Array(256);
  // out-of-order tracking for the file being read
  file = -1;
  maxDate = -Infinity;
  late = 0;
  firstLate = 0;

  constructor(readonly symbol: string) {}

  push(date: number, o: number, h: number, l: number, c: number, v: number, file: number, line: number): void {
    if (this.n === this.dates.length) this.grow();
    const i = this.n++;
    this.dates[i] = date;
    this.cols[0][i] = o;
    this.cols[1][i] = h;
    this.cols[2][i] = l;
    this.cols[3][i] = c;
    this.cols[4][i] = v;
    this.files[i] = file;
    this.lines[i] = line;
  }

  private grow(): void {
    const size = this.dates.length * 2;
    const grown = <T extends Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(size);
      b.set(a);
      return b;
    };
    this.dates = grown(this.dates);
    this.cols = this.cols.map(grown);
    this.files = grown(this.files);
    this.lines = grown(this.lines);
  }
}

/** Totals and reports of an import. */
export interface CsvImportReport {
  series: BarSeries[];
  rows: number;
  rowsWithEmptyFields: number;
  warnings: ImportIssue[];
  errors: ImportIssue[];
}

/** Accumulates CSV files (`addFile`) and builds sorted per-symbol series (`finish`). */
export class CsvImporter {
  private readonly bySymbol = new Map<string, SymbolRows>();
  private readonly files: string[] = [];
  private readonly symbolCache = new Map<string, string | null>();
  readonly warnings: ImportIssue[] = [];
  readonly errors: ImportIssue[] = [];
  rowsWithEmptyFields = 0;
  private readonly scratch = new Float64Array(5);

  constructor(private readonly opts: CsvImportOptions = {}) {}

  /** Parse one file's text; a bad header throws UsageError naming the file (nothing of it is kept). */
  addFile(file: string, text: string): void {
    let c: ResolvedColumns | null = null;
    let fixed: SymbolRows | null = null;
    let skip = false;
    const fileNo = this.files.length;
    const want = this.opts.symbols;
    forEachRecord(text, (f, line) => {
      if (!c) {
        c = resolveColumns(f.fields(), file, this.opts.map);
        this.files.push(file);
        if (c.fileSymbol) {
          skip = !!want && !want.has(c.fileSymbol);
          if (!skip) fixed = this.rowsOf(c.fileSymbol);
        }
        return;
      }
      if (skip) return;
      if (f.count !== c.names.length) {
        this.reject(file, line, null, fixed?.symbol ?? null, 'field_count', `${f.count} fields, the header has ${c.names.length}`);
        return;
      }
      let rows = fixed;
      if (!rows) {
        const raw = f.field(c.symbol);
        const sym = this.symbolOf(raw);
        if (!sym) {
          this.reject(file, line, c.names[c.symbol], null, 'bad_symbol', `"${raw}" is not a valid symbol`);
          return;
        }
        if (want && !want.has(sym)) return;
        rows = this.rowsOf(sym);
      }
      this.addRow(rows, f, c, fileNo, line);
    });
    if (!c) throw new UsageError(`${file}: empty file (no header line)`, { hint: 'a CSV needs a header: date,open,high,low,close,volume[,symbol]', details: { file, missing: ['header'] } });
    for (const rows of this.bySymbol.values()) if (rows.file === fileNo) this.flushLate(rows);
  }

  private addRow(rows: SymbolRows, f: CsvRecord, c: ResolvedColumns, fileNo: number, line: number): void {
    const file = this.files[fileNo];
    const { src, starts, ends } = f;
    const date = parseDateAt(src, starts[c.date], ends[c.date]);
    if (typeof date === 'string') {
      this.reject(file, line, c.names[c.date], rows.symbol, 'bad_date', date);
      return;
    }
    const v = this.scratch;
    let empty: string[] | null = null;
    for (let k = 0; k < 5; k++) {
      const col = c.values[k];
      const x = parseNumberAt(src, starts[col], ends[col]);
      if (x !== null) {
        v[k] = x;
        continue;
      }
      const raw = f.field(col);
      if (isMissing(raw)) {
        v[k] = NaN;
        (empty ??= []).push(c.names[col]);
      } else {
        this.reject(file, line, c.names[col], rows.symbol, 'bad_number', `"${raw}" is not a number`);
        return;
      }
    }
    if (v[4] < 0) {
      this.reject(file, line, c.names[c.volume], rows.symbol, 'negative_volume', `volume ${v[4]} is negative`);
      return;
    }
    // A price no market can print is refused, not stored for data verify to find later.
    const names = ['open', 'high', 'low', 'close'];
    for (let k = 0; k < 4; k++) {
      if (Number.isNaN(v[k])) continue;
      if (!(v[k] > 0) || !Number.isFinite(v[k]) || v[k] >= MAX_PRICE) {
        this.reject(file, line, c.names[c.values[k]], rows.symbol, 'impossible_price', `${names[k]} ${v[k]} is not a possible price (must be > 0 and < ${MAX_PRICE})`);
        return;
      }
    }
    if (!Number.isNaN(v[1]) && !Number.isNaN(v[2]) && v[1] < v[2]) {
      this.reject(file, line, `${c.names[c.values[1]]},${c.names[c.values[2]]}`, rows.symbol, 'impossible_price', `high ${v[1]} is below low ${v[2]}`);
      return;
    }
    if (empty) {
      this.rowsWithEmptyFields++;
      this.warnings.push({ file, line, column: empty.join(','), symbol: rows.symbol, kind: 'empty_field', reason: `empty ${empty.join(', ')} on ${isoDay(date)}: imported as NaN (data verify reports it)` });
    }
    if (rows.file !== fileNo) {
      this.flushLate(rows);
      rows.file = fileNo;
      rows.maxDate = -Infinity;
    }
    if (date < rows.maxDate) {
      if (rows.late++ === 0) rows.firstLate = line;
    } else rows.maxDate = date;
    rows.push(date, v[0], v[1], v[2], v[3], v[4], fileNo, line);
  }

  private flushLate(rows: SymbolRows): void {
    if (rows.late === 0 || rows.file < 0) return;
    this.warnings.push({
      file: this.files[rows.file],
      line: rows.firstLate,
      column: null,
      symbol: rows.symbol,
      kind: 'out_of_order',
      reason: `${rows.late} row(s) of ${rows.symbol} out of date order (first at this line); stored sorted by date`,
    });
    rows.late = 0;
  }

  private symbolOf(raw: string): string | null {
    let s = this.symbolCache.get(raw);
    if (s === undefined) {
      s = isSymbol(raw) ? raw.trim().toUpperCase() : null;
      this.symbolCache.set(raw, s);
    }
    return s;
  }

  private rowsOf(symbol: string): SymbolRows {
    let r = this.bySymbol.get(symbol);
    if (!r) this.bySymbol.set(symbol, (r = new SymbolRows(symbol)));
    return r;
  }

  private reject(file: string, line: number, column: string | null, symbol: string | null, kind: ImportIssueKind, reason: string): void {
    this.errors.push({ file, line, column, symbol, kind, reason });
  }

  /** Symbols seen so far (with at least one row kept), sorted. */
  symbols(): string[] {
    return [...this.bySymbol.values()].filter((r) => r.n > 0).map((r) => r.symbol).sort();
  }

  /** Sorted, de-duplicated series per symbol plus every warning and error. */
  finish(): CsvImportReport {
    const series: BarSeries[] = [];
    let rows = 0;
    for (const sym of this.symbols()) {
      const s = this.build(this.bySymbol.get(sym)!);
      rows += s.length;
      series.push(s);
    }
    return { series, rows, rowsWithEmptyFields: this.rowsWithEmptyFields, warnings: this.warnings, errors: this.errors };
  }

  private build(r: SymbolRows): BarSeries {
    const n = r.n;
    let sorted = true;
    for (let i = 1; i < n && sorted; i++) sorted = r.dates[i] > r.dates[i - 1];
    if (sorted) {
      const [open, high, low, close, volume] = r.cols.map((a) => a.subarray(0, n));
      return { symbol: r.symbol, dates: r.dates.subarray(0, n), open, high, low, close, volume, length: n };
    }
    // Stable sort by date keeps arrival order within a date, so the first row seen is the one kept.
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => r.dates[a] - r.dates[b]);
    const keep: number[] = [];
    for (const i of order) {
      const prev = keep.length ? keep[keep.length - 1] : -1;
      if (prev >= 0 && r.dates[prev] === r.dates[i]) {
        this.warnings.push({
          file: this.files[r.files[i]],
          line: r.lines[i],
          column: null,
          symbol: r.symbol,
          kind: 'duplicate_date',
          reason: `second row for ${r.symbol} on ${isoDay(r.dates[i])}; kept the first (${this.files[r.files[prev]]}:${r.lines[prev]})`,
        });
      } else keep.push(i);
    }
    const m = keep.length;
    const dates = new Int32Array(m);
    const cols = r.cols.map(() => new Float64Array(m));
    for (let j = 0; j < m; j++) {
      const i = keep[j];
      dates[j] = r.dates[i];
      for (let k = 0; k < 5; k++) cols[k][j] = r.cols[k][i];
    }
    const [open, high, low, close, volume] = cols;
    return { symbol: r.symbol, dates, open, high, low, close, volume, length: m };
  }
}
