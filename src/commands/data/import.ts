import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { parseColumnMap, type ColumnMap } from '../../core/data/csv/columns.js';
import { CsvImporter, type ImportIssue } from '../../core/data/csv/importer.js';
import { parseSymbolList, writeUniverse } from '../../core/data/universe.js';
import { CheckFailed, UsageError, errorText } from '../../core/errors.js';
import { isoDay, mergeSeries } from '../../core/strategy/bars.js';
import { MAX_INPUT_BYTES, readInputFile } from '../../core/util/files.js';

export interface DataImportOptions {
  path: string;
  map?: ColumnMap;
  symbols?: string[];
  /** data/universe/<name>.csv gets the imported symbols (default "imported"). */
  universe?: string;
  /** Replace a symbol's whole history instead of merging the imported dates into it. */
  replace?: boolean;
}

export interface DataImportResult {
  path: string;
  files: number;
  symbols: Array<{ symbol: string; bars: number; first: string | null; last: string | null }>;
  /** Symbols that had bars before: with --replace their history was replaced, else the dates merged in. */
  replaced: string[];
  merged: string[];
  rows_imported: number;
  /** Imported with NaN in the empty fields; `kobe data verify` reports them. */
  rows_with_empty_fields: number;
  rows_rejected: number;
  warnings: ImportIssue[];
  errors: ImportIssue[];
  elapsed_ms: number;
  rows_per_second: number;
  /** The universe file written, and whether config data.universe was pointed at it. */
  universe: { file: string; symbols: number; config_updated: boolean } | null;
}

const SHOWN = 20;

export function parseDataImport(raw: Record<string, unknown>, args: string[]): DataImportOptions {
  if (!args[0]) throw new UsageError('name a CSV file or a directory of CSV files', { hint: 'kobe data import ./csv/AAPL.csv' });
  return {
    path: args[0],
    map: typeof raw.map === 'string' ? parseColumnMap(raw.map) : undefined,
    symbols: typeof raw.symbols === 'string' ? parseSymbolList(raw.symbols) : undefined,
    universe: universeName(raw.universe, 'imported'),
    replace: !!raw.replace,
  };
}

/** A universe name for data/universe/<name>.csv: letters, digits, - and _ only. */
export function universeName(raw: unknown, fallback: string): string {
  if (raw === undefined) return fallback;
  const v = String(raw).trim().replace(/\.csv$/, '');
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(v)) throw new UsageError(`--universe takes a name for data/universe/<name>.csv, got "${raw}"`, { hint: '--universe sp500' });
  return v;
}

export function registerDataImport(data: Command, kit: Kit): void {
  data
    .command('import')
    .description('import daily bars from CSV (date,open,high,low,close,volume + a symbol column or the file name); every row not imported is reported with file:line')
    .argument('<dir|file>', 'a CSV file, or a directory: every *.csv in it')
    .option('--map <field=column,...>', 'column names for date, open, high, low, close, volume, symbol (default: those names, symbol/ticker/Name)')
    .option('--symbols <list>', 'only these symbols (comma-separated)')
    .option('--universe <name>', 'write the imported symbols to data/universe/<name>.csv (default: imported)')
    .option('--replace', "replace a symbol's stored history instead of merging the imported dates into it")
    .addHelpText('after', '\nExit 0 when every row was imported (empty fields are imported as NaN, reported, and flagged by `kobe data verify`); 5 when rows were rejected.\n\nExample:\n  kobe data import ./sp500/daily\n  kobe data import prices.csv --map date=Date,close="Adj Close",symbol=Ticker')
    .action(kit.action(parseDataImport, runDataImport, renderDataImport));
}

function csvFiles(arg: string): string[] {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(arg);
  } catch (err) {
    throw new UsageError(`${arg} does not exist (${errorText(err).split(',')[0]})`, { hint: 'name a CSV file or a directory of CSV files' });
  }
  const files = stat.isDirectory() ? fs.readdirSync(arg).filter((n) => /\.csv$/i.test(n)).sort().map((n) => path.join(arg, n)) : [arg];
  if (files.length === 0) throw new UsageError(`${arg} holds no .csv files`, { hint: 'name a CSV file or a directory of CSV files' });
  // A FIFO or a device named like a CSV would hang or exhaust memory: refuse before reading anything.
  for (const f of files) {
    const st = f === arg ? stat : fs.statSync(f);
    if (!st.isFile()) throw new UsageError(`${f} is not a regular file (${st.isFIFO() ? 'a FIFO' : st.isCharacterDevice() ? 'a character device' : 'a special file'}); nothing was imported`, { hint: 'import regular CSV files only' });
    if (st.size > MAX_INPUT_BYTES) throw new UsageError(`${f} is ${Math.round(st.size / 2 ** 20)} MB, over the ${MAX_INPUT_BYTES / 2 ** 20} MB limit; nothing was imported`, { hint: 'split it into smaller files (one per symbol works well)' });
  }
  return files;
}

/** One turn of the event loop between files, so SIGINT/SIGTERM are handled during a long import. */
const pause = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runDataImport(ctx: KobeContext, opts: DataImportOptions): Promise<DataImportResult> {
  ctx.requireHome();
  const started = performance.now();
  const files = csvFiles(opts.path);
  const importer = new CsvImporter({ map: opts.map, symbols: opts.symbols ? new Set(opts.symbols) : undefined });
  const headerErrors: UsageError[] = [];
  const progress = !!ctx.out.streams.stderr.isTTY && !ctx.out.json && files.length > 1;
  for (const [i, file] of files.entries()) {
    if (progress && i % 25 === 0) ctx.out.streams.stderr.write(`\rreading ${i}/${files.length} files`);
    try {
      importer.addFile(file, readInputFile(file, 'CSV file'));
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      headerErrors.push(err);
    }
    await pause();
  }
  if (progress) ctx.out.streams.stderr.write('\r\x1b[K');
  if (headerErrors.length) {
    const more = headerErrors.length > 1 ? ` (and ${headerErrors.length - 1} more file(s) with bad headers)` : '';
    throw new UsageError(`${headerErrors[0].message}${more}; nothing was imported`, { hint: headerErrors[0].hint, details: { files: headerErrors.map((e) => ({ message: e.message, ...e.details })) } });
  }
  const report = importer.finish();
  const found = new Set(report.series.map((s) => s.symbol));
  const absent = (opts.symbols ?? []).filter((s) => !found.has(s));
  if (absent.length) throw new UsageError(`no rows for ${absent.join(', ')} in ${opts.path}; nothing was imported`, { hint: 'check --symbols against the symbol column or file names' });
  if (report.series.length === 0 && report.errors.length === 0) throw new UsageError(`no bars in ${opts.path} (header lines only)`);
  const store = await ctx.bars();
  const before = new Set(store.list().map((e) => e.symbol));
  // A CSV adds or revises dates; only --replace throws a symbol's other stored bars away.
  const merged: string[] = [];
  const toWrite = report.series.map((series) => {
    if (opts.replace || !before.has(series.symbol)) return series;
    merged.push(series.symbol);
    return mergeSeries(store.load(series.symbol), series);
  });
  await store.writeMany(toWrite.map((series) => ({ series, meta: { source: 'import' as const } })));
  const elapsed = performance.now() - started;
  const result: DataImportResult = {
    path: opts.path,
    files: files.length,
    symbols: toWrite.map((s) => ({ symbol: s.symbol, bars: s.length, first: s.length ? isoDay(s.dates[0]) : null, last: s.length ? isoDay(s.dates[s.length - 1]) : null })),
    replaced: opts.replace ? report.series.map((s) => s.symbol).filter((s) => before.has(s)) : [],
    merged,
    rows_imported: report.rows,
    rows_with_empty_fields: report.rowsWithEmptyFields,
    rows_rejected: report.errors.length,
    warnings: report.warnings,
    errors: report.errors,
    elapsed_ms: Math.round(elapsed),
    rows_per_second: Math.round((report.rows + report.errors.length) / Math.max(elapsed / 1000, 1e-3)),
    universe: null,
  };
  if (report.series.length) {
    const { config } = await ctx.config();
    result.universe = await writeUniverse(ctx.paths.home, opts.universe ?? 'imported', report.series.map((x) => x.symbol), config.data.universe);
  }
  const summary = { path: opts.path, files: result.files, symbols: result.symbols.length, rows: result.rows_imported, empty_field_rows: result.rows_with_empty_fields, rejected_rows: result.rows_rejected };
  await (await ctx.audit()).append('data_imported', summary);
  (await ctx.events()).emit('data_imported', summary, result.rows_rejected ? 'warn' : 'info');
  if (result.errors.length) {
    if (!ctx.out.json) ctx.out.result(result, renderDataImport, false);
    const e = result.errors[0];
    throw new CheckFailed(`${result.rows_rejected} row(s) rejected, first: ${where(e)}: ${e.reason}`, {
      result,
      hint: 'fix those rows and import again (the rest was imported); `kobe data import --json` lists every one',
    });
  }
  return result;
}

function where(i: ImportIssue): string {
  return `${i.file}:${i.line}${i.column ? ` (${i.column})` : ''}`;
}

function listIssues(out: Output, title: string, issues: ImportIssue[]): void {
  if (issues.length === 0) return;
  out.warn(title);
  for (const i of issues.slice(0, SHOWN)) out.info(`  ${where(i)}: ${i.reason}`);
  if (issues.length > SHOWN) out.info(`  ... and ${issues.length - SHOWN} more (all of them with --json)`);
}

export function renderDataImport(out: Output, r: DataImportResult): void {
  const rate = r.rows_per_second.toLocaleString('en-US');
  out.line(`imported ${r.rows_imported.toLocaleString('en-US')} rows of ${r.symbols.length} symbol(s) from ${r.files} file(s) in ${(r.elapsed_ms / 1000).toFixed(2)} s (${rate} rows/s)`);
  if (r.universe) out.changed(`universe ${r.universe.file}: ${r.universe.symbols} symbol(s)${r.universe.config_updated ? '; config data.universe now points at it (scan and backtest use it)' : ` (use it: --universe ${r.universe.file}, or data.universe in config/base.yaml)`}`);
  if (r.replaced.length) out.info(`replaced the whole history of ${r.replaced.length} symbol(s) already in the store (--replace)`);
  if (r.merged.length) out.info(`merged the imported dates into the stored history of ${r.merged.length} symbol(s) (imported rows win on a shared date; --replace to start over)`);
  const empty = r.warnings.filter((w) => w.kind === 'empty_field');
  listIssues(out, `${r.rows_with_empty_fields} row(s) with empty fields were imported as NaN; \`kobe data verify\` reports them:`, empty);
  listIssues(out, `${r.warnings.length - empty.length} ordering note(s): rows are stored sorted by date, and of two rows for one date the first is kept:`, r.warnings.filter((w) => w.kind !== 'empty_field'));
  listIssues(out, `${r.rows_rejected} row(s) rejected (not imported):`, r.errors);
}
