import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { dateFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import { ProviderError } from '../../core/data/errors.js';
import { mergeFresh, planRefresh, rescaledBy, seriesRange, sessionsBehind, type RefreshPlan } from '../../core/data/refresh.js';
import { loadUniverse, parseSymbolList, writeUniverse } from '../../core/data/universe.js';
import { mergeSplits, splitText } from '../../core/data/splits.js';
import { AuthError, CheckFailed, ConnectivityError, KobeError, PlanLimitError, UsageError } from '../../core/errors.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import type { BarProvider, MarketData, SplitRecord } from '../../core/ports/market-data.js';
import type { BarSeries } from '../../core/strategy/bars.js';

/** Validated flags of `data prefetch`. */
export interface DataPrefetchOptions {
  universe?: string;
  symbols?: string[];
  cap?: number;
  start?: string;
  end?: string;
  provider?: BarProvider;
}

/** What happened to one symbol; `behind`: its last bar is still short of the end after the fetch. */
export type PrefetchStatus = 'fetched' | 'skipped' | 'empty' | 'failed' | 'behind';

const PROVIDER_NAME: Record<BarProvider, string> = { polygon: 'Polygon', alpaca: 'Alpaca' };

/** One line of the summary table. */
export interface PrefetchRow {
  symbol: string;
  status: PrefetchStatus;
  bars: number;
  first: string | null;
  last: string | null;
  pages: number;
  /** First date requested (null: no request). */
  from: string | null;
  /** Sessions between the last bar and the end (behind only). */
  behind?: number;
  note: string;
}

/** The run's result (the --json document). */
export interface DataPrefetchResult {
  source: BarProvider;
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
    provider: parseProvider(raw.provider),
    start: dateFlag('--start', raw.start),
    end: dateFlag('--end', raw.end),
  };
}

function parseProvider(v: unknown): BarProvider | undefined {
  if (v === undefined) return undefined;
  if (v === 'polygon' || v === 'alpaca') return v;
  throw new UsageError(`--provider: expected polygon or alpaca, got "${String(v)}"`);
}

/** Wire `data prefetch` into the `data` group. */
export function registerDataPrefetch(data: Command, kit: Kit): void {
  data
    .command('prefetch')
    .description('fetch adjusted daily bars (Polygon or Alpaca) into the bar store; incremental from the last stored bar, resumable')
    .option('--universe <file>', 'universe CSV (first column symbol); relative to the kobe home')
    .option('--symbols <list>', 'symbols, comma-separated')
    .option('--cap <n>', 'only the first N symbols')
    .option('--start <date>', 'first date, YYYY-MM-DD (default: 10 years before --end)')
    .option('--end <date>', 'last date, YYYY-MM-DD (default: the last completed session)')
    .option('--provider <name>', 'polygon or alpaca (default: config data.provider)')
    .addHelpText('after', '\nExample:\n  kobe data prefetch --symbols AAPL,MSFT --start 2015-01-01\n  kobe data prefetch --universe data/universe/sp500.csv --cap 100 --provider alpaca')
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

/** Fetch each symbol (incrementally when stored), then write it atomically: never a partial series. */
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
  const { config } = await ctx.config();
  const provider = opts.provider ?? config.data.provider;
  const name = PROVIDER_NAME[provider];
  const store = await ctx.bars();
  const index = store.index().symbols;
  const rows: PrefetchRow[] = [];
  let md: MarketData | undefined;
  let before = 0;
  const result = (): DataPrefetchResult => ({ source: provider, start, end, universe: opts.universe ?? null, symbols: rows, counts: count(rows), requests: md ? md.requests() - before : 0, warnings });
  const events = await ctx.events();
  const progress = ctx.out.color && !ctx.out.json ? await ctx.out.spinner(`prefetch ${symbols.length} symbol(s) ${start}..${end} from ${name}`) : null;
  let at = '';
  try {
    for (const [i, symbol] of symbols.entries()) await one(i, (at = symbol));
  } catch (err) {
    progress?.fail(`prefetch stopped at ${at}`);
    if (err instanceof AuthError || err instanceof ConnectivityError || err instanceof PlanLimitError) {
      const r = result();
      (await ctx.log()).log('error', `prefetch stopped at ${at}`, { symbol: at, code: err.code, message: err.message, details: err.details });
      events.emit('data_prefetch_stopped', { source: provider, start, end, at, code: err.code, message: err.message, counts: r.counts, requests: r.requests }, 'error');
      err.details = { ...err.details, stopped_at: at, done: rows.length, total: symbols.length, symbols: rows };
      if (!ctx.out.json && rows.length > 0) renderDataPrefetch(ctx.out, r);
      // Before the first symbol (a missing key) there is nothing to resume: the error says it all.
      if (!ctx.out.json && rows.length > 0) ctx.out.info(`stopped at ${at} after ${rows.length} of ${symbols.length} symbol(s); what was written stays, and a re-run resumes`);
    }
    throw err;
  }
  async function fetch(symbol: string, from: string, to: string, step: string) {
    if (!md) {
      md = await ctx.marketData(provider);
      before = md.requests();
    }
    return md.dailyBars(symbol, from, to, (p) => progress?.update(`${step}: page ${p.page}, ${p.bars} bars`));
  }
  async function one(i: number, symbol: string): Promise<void> {
    const e = index[symbol];
    let plan: RefreshPlan = planRefresh(e, provider, start, end, config.data.refetch_sessions);
    if (plan.kind === 'skip') {
      rows.push({ symbol, status: 'skipped', bars: e!.bars, first: e!.first, last: e!.last, pages: 0, from: null, note: plan.note });
      return;
    }
    const step = `[${i + 1}/${symbols.length}] ${symbol}`;
    progress?.update(step);
    const notes: string[] = [];
    let stored: BarSeries | null = null;
    if (e?.source === provider && e.bars > 0) {
      try {
        stored = store.load(symbol);
      } catch (err) {
        // A damaged file is replaced by a whole fetch rather than stopping the run.
        notes.push(`stored file unreadable (${(err as Error).message}): fetched whole`);
        plan = { kind: 'full', from: start, to: end };
      }
    }
    try {
      let got = await fetch(symbol, plan.from, plan.to, step);
      let pages = got.pages;
      const factor = plan.kind === 'incremental' && stored ? rescaledBy(stored, got.series) : null;
      let found: SplitRecord[] = [];
      if (factor !== null) {
        notes.push(`adjusted history changed (stored closes x${factor.toFixed(4)}, a split?): fetched whole`);
        // The provider names the split (recorded in the index, named by reconcile); a failed lookup only loses that name.
        try {
          found = await md!.splits(symbol, plan.from, end);
          notes.push(found.length ? `${name} records a split ${found.map(splitText).join(', ')}` : `${name} records no split since ${plan.from} (a revision or another adjustment)`);
        } catch (err) {
          if (!(err instanceof KobeError)) throw err;
          notes.push(`split lookup failed: ${err.message}`);
        }
        plan = { kind: 'full', from: e!.fetched?.start ?? start, to: end };
        stored = null;
        got = await fetch(symbol, plan.from, plan.to, step);
        pages += got.pages;
      }
      const fresh = got.series;
      if (fresh.length === 0 && !stored) {
        rows.push({ symbol, status: 'empty', bars: 0, first: null, last: null, pages, from: plan.from, note: `${name} has no bars for ${symbol} in ${plan.from}..${plan.to} (unknown, delisted or not yet listed?); nothing written` });
        return;
      }
      let series = fresh;
      if (stored) {
        const m = mergeFresh(stored, fresh);
        series = m.series;
        if (plan.kind === 'incremental') notes.push(`${m.added} new bar(s) from ${plan.from}${m.revised ? `, ${m.revised} revised` : ''}`);
      } else if (e && e.source !== provider) notes.push(`replaced ${e.source} bars`);
      const { first, last } = seriesRange(series);
      if (fresh.length > 0) {
        // `fetched` is what the bars cover: from the requested start (nothing earlier exists there) to the last bar received.
        const from = plan.kind === 'incremental' ? (e!.fetched?.start ?? e!.first ?? plan.from) : plan.from;
        await store.write(series, { source: provider, splits: mergeSplits(e?.source === provider ? e.splits : [], found), fetched: { start: from < first ? from : first, end: last } });
      }
      const behind = sessionsBehind(last, end);
      if (behind > 0) {
        rows.push({ symbol, status: 'behind', bars: series.length, first, last, pages, from: plan.from, behind, note: [`last bar ${last} is ${behind} session(s) behind ${end}: ${name} has nothing newer yet`, ...notes].join('; ') });
        return;
      }
      rows.push({ symbol, status: 'fetched', bars: series.length, first, last, pages, from: plan.from, note: notes.join('; ') });
    } catch (err) {
      // A provider error spoils one symbol; auth, plan, connectivity and local failures stop the run.
      if (!(err instanceof ProviderError)) throw err;
      (await ctx.log()).log('warn', `prefetch ${symbol} failed`, { symbol, code: err.code, message: err.message, details: err.details });
      rows.push({ symbol, status: 'failed', bars: 0, first: null, last: null, pages: 0, from: plan.from, note: err.message });
    }
  }
  const r = result();
  const stored = rows.filter((x) => x.status === 'fetched' || x.status === 'skipped' || x.status === 'behind').map((x) => x.symbol);
  if (!opts.universe && stored.length) r.wrote_universe = await writeUniverse(ctx.paths.home, 'prefetched', stored, config.data.universe);
  const c = r.counts;
  progress?.succeed(`prefetch: ${c.fetched} fetched, ${c.skipped} skipped, ${c.empty} empty, ${c.failed} failed, ${c.behind} behind`);
  const bad = c.failed + c.empty + c.behind;
  const problems = rows.filter((x) => x.status === 'failed' || x.status === 'empty' || x.status === 'behind');
  events.emit('data_prefetch', { source: provider, start, end, symbols: symbols.length, ...c, requests: r.requests, problems: problems.map((x) => ({ symbol: x.symbol, status: x.status, note: x.note })) }, bad ? 'warn' : 'info');
  if (bad) {
    if (!ctx.out.json) ctx.out.result(r, renderDataPrefetch, false);
    const behind = c.behind ? `; ${c.behind} behind ${end}` : '';
    const hint = c.behind && !c.failed && !c.empty
      ? `${name} has no bars after ${problems.map((x) => x.last).sort()[0]} yet for some symbols: re-run later (\`kobe data prefetch\`), or check the symbols in the note column`
      : 'see the note column; symbols already complete are skipped when you re-run';
    throw new CheckFailed(`${c.failed} symbol(s) failed and ${c.empty} came back empty${behind}, of ${symbols.length}`, { result: r, hint });
  }
  return r;
}

function count(rows: PrefetchRow[]): Record<PrefetchStatus, number> {
  const c = { fetched: 0, skipped: 0, empty: 0, failed: 0, behind: 0 };
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
  out.info(`${PROVIDER_NAME[r.source]} ${r.start}..${r.end}: ${c.fetched} fetched, ${c.skipped} skipped, ${c.empty} empty, ${c.failed} failed${c.behind ? `, ${c.behind} behind` : ''} (${r.requests} request(s))`);
}
