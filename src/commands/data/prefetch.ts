import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { dateFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import type { PolygonMarketData } from '../../core/data/polygon/index.js';
import { ProviderError } from '../../core/data/polygon/errors.js';
import { loadUniverse, parseSymbolList, writeUniverse } from '../../core/data/universe.js';
import { AuthError, CheckFailed, ConnectivityError, UsageError } from '../../core/errors.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import { isoDay } from '../../core/strategy/bars.js';

/** Validated flags of `data prefetch`. */
export interface DataPrefetchOptions {
  universe?: string;
  symbols?: string[];
  cap?: number;
  start?: string;
  end?: string;
}

/** What happened to one symbol. */
export type PrefetchStatus = 'fetched' | 'skipped' | 'empty' | 'failed';

/** One line of the summary table. */
export interface PrefetchRow {
  symbol: string;
  status: PrefetchStatus;
  bars: number;
  first: string | null;
  last: string | null;
  pages: number;
  note: string;
}

/** The run's result (the --json document). */
export interface DataPrefetchResult {
  source: 'polygon';
  start: string;
  end: string;
  universe: string | null;
  symbols: PrefetchRow[];
  counts: Record<PrefetchStatus, number>;
  requests: number;
  warnings: string[];
  /** --symbols runs: data/universe/prefetched.csv gets what was stored (config pointed at it when its own is missing). */
  wrote_universe?: { file: string; symbols: number; config_updated: boolean } | null;
}


/** Flags -> options; dates must be real calendar dates, symbols plausible tickers. */
export function parseDataPrefetch(raw: Record<string, unknown>): DataPrefetchOptions {
  const hint = 'kobe data prefetch --symbols AAPL,MSFT  or  kobe data prefetch --universe data/universe/sp500.csv';
  if ((raw.universe === undefined) === (raw.symbols === undefined)) throw new UsageError(raw.universe === undefined ? 'name what to fetch: --universe FILE or --symbols A,B' : 'use either --universe or --symbols, not both', { hint });
  let cap: number | undefined;
  if (raw.cap !== undefined) {
    cap = Number(raw.cap);
    if (!Number.isInteger(cap) || cap < 1) throw new UsageError(`--cap: expected a positive whole number, got "${String(raw.cap)}"`);
  }
  return {
    universe: typeof raw.universe === 'string' ? raw.universe : undefined,
    symbols: typeof raw.symbols === 'string' ? parseSymbolList(raw.symbols) : undefined,
    cap,
    start: dateFlag('--start', raw.start),
    end: dateFlag('--end', raw.end),
  };
}

/** Wire `data prefetch` into the `data` group. */
export function registerDataPrefetch(data: Command, kit: Kit): void {
  data
    .command('prefetch')
    .description('fetch adjusted daily bars from Polygon into the bar store; resumable (complete symbols are skipped)')
    .option('--universe <file>', 'universe CSV (first column symbol); relative to the kobe home')
    .option('--symbols <list>', 'symbols, comma-separated')
    .option('--cap <n>', 'only the first N symbols')
    .option('--start <date>', 'first date, YYYY-MM-DD (default: 10 years before --end)')
    .option('--end <date>', 'last date, YYYY-MM-DD (default: the last completed session)')
    .addHelpText('after', '\nExample:\n  kobe data prefetch --symbols AAPL,MSFT --start 2015-01-01\n  kobe data prefetch --universe data/universe/sp500.csv --cap 100')
    .action(kit.action(parseDataPrefetch, runDataPrefetch, renderDataPrefetch));
}

function range(ctx: KobeContext, opts: DataPrefetchOptions): { start: string; end: string } {
  const lastSession = lastCompletedSession(ctx.clock.now());
  const end = opts.end ?? lastSession;
  if (end > lastSession) throw new UsageError(`--end ${end} is after the last completed session ${lastSession}`, { hint: 'a session that has not closed would give a partial bar; omit --end for the last completed session' });
  const y = Number(end.slice(0, 4)) - 10;
  const start = opts.start ?? `${y}${end.slice(4) === '-02-29' ? '-02-28' : end.slice(4)}`;
  if (start > end) throw new UsageError(`--start ${start} is after --end ${end}`, { hint: 'swap them, or omit --start for 10 years before --end' });
  return { start, end };
}

/** Fetch each symbol whole, then write it atomically: the store never holds a partial series. */
export async function runDataPrefetch(ctx: KobeContext, opts: DataPrefetchOptions): Promise<DataPrefetchResult> {
  ctx.requireHome();
  const { start, end } = range(ctx, opts);
  const warnings: string[] = [];
  let symbols = (opts.symbols ?? []).slice(0, opts.cap);
  if (opts.universe) {
    const u = loadUniverse(path.resolve(ctx.paths.home, opts.universe), opts.cap);
    for (const p of u.problems) warnings.push(`${opts.universe} line ${p.line}: "${p.value}" ${p.problem}`);
    if (u.symbols.length === 0) throw new UsageError(`${opts.universe}: no symbols in the universe file`, { hint: 'a universe file is a CSV with a first column "symbol"' });
    symbols = u.symbols;
  }
  const store = await ctx.bars();
  const index = store.index().symbols;
  const rows: PrefetchRow[] = [];
  let md: PolygonMarketData | undefined;
  const result = (): DataPrefetchResult => ({ source: 'polygon', start, end, universe: opts.universe ?? null, symbols: rows, counts: count(rows), requests: md?.client.requests ?? 0, warnings });
  const events = await ctx.events();
  const progress = ctx.out.color && !ctx.out.json ? await ctx.out.spinner(`prefetch ${symbols.length} symbol(s) ${start}..${end}`) : null;
  let at = '';
  try {
    for (const [i, symbol] of symbols.entries()) await one(i, (at = symbol));
  } catch (err) {
    progress?.fail(`prefetch stopped at ${at}`);
    if (err instanceof AuthError || err instanceof ConnectivityError) {
      const r = result();
      (await ctx.log()).log('error', `prefetch stopped at ${at}`, { symbol: at, code: err.code, message: err.message, details: err.details });
      events.emit('data_prefetch_stopped', { start, end, at, code: err.code, message: err.message, counts: r.counts, requests: r.requests }, 'error');
      err.details = { ...err.details, stopped_at: at, done: rows.length, total: symbols.length, symbols: rows };
      if (!ctx.out.json && rows.length > 0) renderDataPrefetch(ctx.out, r);
      if (!ctx.out.json) ctx.out.info(`stopped at ${at} after ${rows.length} of ${symbols.length} symbol(s); what was written stays, and a re-run resumes`);
    }
    throw err;
  }
  async function one(i: number, symbol: string): Promise<void> {
    const e = index[symbol];
    if (e?.source === 'polygon' && e.fetched && e.fetched.start <= start && e.fetched.end >= end) {
      rows.push({ symbol, status: 'skipped', bars: e.bars, first: e.first, last: e.last, pages: 0, note: `complete for ${e.fetched.start}..${e.fetched.end}` });
      return;
    }
    const step = `[${i + 1}/${symbols.length}] ${symbol}`;
    progress?.update(step);
    try {
      md ??= await ctx.polygon();
      const got = await md.dailyBars(symbol, start, end, (p) => progress?.update(`${step}: page ${p.page}, ${p.bars} bars`));
      const s = got.series;
      if (s.length === 0) {
        rows.push({ symbol, status: 'empty', bars: 0, first: null, last: null, pages: got.pages, note: `Polygon has no bars for ${symbol} in ${start}..${end} (unknown, delisted or not yet listed?); nothing written` });
        return;
      }
      await store.write(s, { source: 'polygon', fetched: { start, end } });
      rows.push({ symbol, status: 'fetched', bars: s.length, first: isoDay(s.dates[0]), last: isoDay(s.dates[s.length - 1]), pages: got.pages, note: e && e.source !== 'polygon' ? `replaced ${e.source} bars` : '' });
    } catch (err) {
      // A provider error spoils one symbol; auth, connectivity and local failures stop the run.
      if (!(err instanceof ProviderError)) throw err;
      (await ctx.log()).log('warn', `prefetch ${symbol} failed`, { symbol, code: err.code, message: err.message, details: err.details });
      rows.push({ symbol, status: 'failed', bars: 0, first: null, last: null, pages: 0, note: err.message });
    }
  }
  const r = result();
  const stored = rows.filter((x) => x.status === 'fetched' || x.status === 'skipped').map((x) => x.symbol);
  if (!opts.universe && stored.length) {
    const { config } = await ctx.config();
    r.wrote_universe = await writeUniverse(ctx.paths.home, 'prefetched', stored, config.data.universe);
  }
  progress?.succeed(`prefetch: ${r.counts.fetched} fetched, ${r.counts.skipped} skipped, ${r.counts.empty} empty, ${r.counts.failed} failed`);
  const bad = r.counts.failed + r.counts.empty;
  events.emit('data_prefetch', { start, end, symbols: symbols.length, ...r.counts, requests: r.requests, problems: rows.filter((x) => x.status === 'failed' || x.status === 'empty').map((x) => ({ symbol: x.symbol, status: x.status, note: x.note })) }, bad ? 'warn' : 'info');
  if (bad) {
    if (!ctx.out.json) ctx.out.result(r, renderDataPrefetch, false);
    throw new CheckFailed(`${r.counts.failed} symbol(s) failed and ${r.counts.empty} came back empty, of ${symbols.length}`, { result: r, hint: 'see the note column; symbols already complete are skipped when you re-run' });
  }
  return r;
}

function count(rows: PrefetchRow[]): Record<PrefetchStatus, number> {
  const c = { fetched: 0, skipped: 0, empty: 0, failed: 0 };
  for (const r of rows) c[r.status]++;
  return c;
}

/** The summary table on stdout, counts and warnings on stderr. */
export function renderDataPrefetch(out: Output, r: DataPrefetchResult): void {
  void out.table(
    ['symbol', 'status', 'bars', 'first', 'last', 'pages', 'note'],
    r.symbols.map((s) => [s.symbol, s.status, s.bars, s.first ?? '-', s.last ?? '-', s.pages, s.note]),
  );
  for (const w of r.warnings) out.warn(w);
  if (r.wrote_universe) out.changed(`universe ${r.wrote_universe.file}: ${r.wrote_universe.symbols} symbol(s)${r.wrote_universe.config_updated ? '; config data.universe now points at it' : ` (use it: --universe ${r.wrote_universe.file})`}`);
  const c = r.counts;
  out.info(`Polygon ${r.start}..${r.end}: ${c.fetched} fetched, ${c.skipped} skipped, ${c.empty} empty, ${c.failed} failed (${r.requests} request(s))`);
}
