import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { intFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import { CHECKS, verifySeries, type Finding, type QualityCheck } from '../../core/data/quality/checks.js';
import { SessionDays } from '../../core/data/quality/sessions.js';
import type { BarIndexEntry } from '../../core/data/store.js';
import { loadUniverse, parseSymbolList } from '../../core/data/universe.js';
import { CheckFailed, KobeError, UsageError, errorText } from '../../core/errors.js';
import { isTradingDay, previousSession } from '../../core/market/calendar.js';
import { parseIsoDate } from '../../core/market/iso-date.js';
import { dayNumber, isoDay, type BarSeries } from '../../core/strategy/bars.js';

export interface DataVerifyOptions {
  symbols?: string[];
  universe?: string;
  asOf?: string;
  maxFindings?: number;
}

export interface VerifySymbolRow {
  symbol: string;
  bars: number;
  first: string | null;
  last: string | null;
  by_check: Partial<Record<QualityCheck, number>>;
}

export interface DataVerifyResult {
  /** Session every last bar should reach: --as-of (as a session), else the newest last bar verified. */
  expected_last: string;
  expected_last_from: 'as_of' | 'newest_last_bar';
  symbols_checked: number;
  bars_checked: number;
  clean_symbols: number;
  checks: readonly QualityCheck[];
  findings_total: number;
  by_check: Partial<Record<QualityCheck, number>>;
  /** Symbols with findings. */
  symbols: VerifySymbolRow[];
  findings: Finding[];
  /** True when --max-findings cut the list (the counts are complete). */
  findings_truncated: boolean;
  elapsed_ms: number;
}

export function parseDataVerify(raw: Record<string, unknown>): DataVerifyOptions {
  if (raw.symbols !== undefined && raw.universe !== undefined) throw new UsageError('--symbols and --universe exclude each other');
  const asOf = typeof raw.asOf === 'string' ? raw.asOf : undefined;
  if (asOf !== undefined) {
    try {
      parseIsoDate(asOf);
    } catch (err) {
      throw new UsageError(`--as-of: ${errorText(err)}`, { hint: 'kobe data verify --as-of 2018-02-07' });
    }
  }
  const max = intFlag('--max-findings', raw.maxFindings, 0, Number.MAX_SAFE_INTEGER);
  return { symbols: typeof raw.symbols === 'string' ? parseSymbolList(raw.symbols) : undefined, universe: raw.universe as string | undefined, asOf, maxFindings: max };
}

export function registerDataVerify(data: Command, kit: Kit): void {
  data
    .command('verify')
    .description('audit the bar store: missing sessions, duplicate/unsorted dates, NaN fields, OHLC consistency, non-positive prices, zero-volume runs, stale last bar, split-like jumps, damaged files; exit 5 when anything is found')
    .option('--symbols <list>', 'only these symbols (comma-separated)')
    .option('--universe <file>', 'the symbols of a universe file; a symbol without bars is a finding')
    .option('--as-of <date>', 'the session every last bar should reach (default: the newest last bar verified)')
    .option('--max-findings <n>', 'list at most N findings (counts stay complete)')
    .addHelpText('after', '\nExample:\n  kobe data verify\n  kobe data verify --universe data/universe/demo.csv --as-of 2025-01-13\n  kobe data verify --json | jq \'.findings[] | select(.check == "nan_field")\'')
    .action(kit.action(parseDataVerify, runDataVerify, renderDataVerify));
}

function selectEntries(ctx: KobeContext, entries: BarIndexEntry[], opts: DataVerifyOptions): { selected: BarIndexEntry[]; absent: string[] } {
  const bySym = new Map(entries.map((e) => [e.symbol, e]));
  if (opts.symbols) {
    const unknown = opts.symbols.filter((s) => !bySym.has(s));
    if (unknown.length) throw new UsageError(`not in the bar store: ${unknown.join(', ')}`, { hint: 'see `kobe data list` for what is there' });
    return { selected: opts.symbols.map((s) => bySym.get(s)!), absent: [] };
  }
  if (opts.universe) {
    // Like every other command: relative to the kobe home, then a bare name in data/universe/.
    const inHome = path.resolve(ctx.paths.home, opts.universe);
    const byName = path.join(ctx.paths.dataDir, 'universe', opts.universe.endsWith('.csv') ? opts.universe : `${opts.universe}.csv`);
    const file = fs.existsSync(inHome) ? inHome : fs.existsSync(byName) ? byName : inHome;
    const u = loadUniverse(file);
    return { selected: u.symbols.filter((s) => bySym.has(s)).map((s) => bySym.get(s)!), absent: u.symbols.filter((s) => !bySym.has(s)) };
  }
  return { selected: entries, absent: [] };
}

export async function runDataVerify(ctx: KobeContext, opts: DataVerifyOptions): Promise<DataVerifyResult> {
  ctx.requireHome();
  const started = performance.now();
  const store = await ctx.bars();
  const entries = store.list();
  if (entries.length === 0) throw new UsageError('the bar store is empty: nothing to verify', { hint: '`kobe data seed` (synthetic), `kobe data import DIR` (CSV) or `kobe data prefetch` (Polygon)' });
  const { selected, absent } = selectEntries(ctx, entries, opts);
  let expected: string;
  if (opts.asOf) expected = isTradingDay(opts.asOf) ? opts.asOf : previousSession(opts.asOf);
  else expected = selected.reduce((m, e) => (e.last && e.last > m ? e.last : m), '0000-01-01');
  const sessions = new SessionDays();
  const expectedDay = expected === '0000-01-01' ? null : dayNumber(expected);
  const findings: Finding[] = absent.map((s) => ({ symbol: s, check: 'missing_symbol' as const, date: null, detail: 'in the universe, but the bar store has no bars for it' }));
  const rows = new Map<string, VerifySymbolRow>();
  let bars = 0;
  for (const e of selected) {
    let series: BarSeries | null = null;
    const mine: Finding[] = [];
    try {
      series = store.load(e.symbol, { verifyCrc: true });
    } catch (err) {
      if (!(err instanceof KobeError)) throw err;
      mine.push({ symbol: e.symbol, check: 'damaged_file', date: null, detail: err.message });
    }
    if (series) {
      bars += series.length;
      const f = series.length ? isoDay(series.dates[0]) : null;
      const l = series.length ? isoDay(series.dates[series.length - 1]) : null;
      if (series.length !== e.bars || f !== e.first || l !== e.last) {
        mine.push({ symbol: e.symbol, check: 'damaged_file', date: null, detail: `data/cache/index.json says ${e.bars} bars ${e.first}..${e.last}, the file holds ${series.length} bars ${f}..${l}` });
      }
      mine.push(...verifySeries(series, { sessions, expectedLast: expectedDay, splits: e.splits }));
    }
    if (mine.length) {
      const by: Partial<Record<QualityCheck, number>> = {};
      for (const x of mine) by[x.check] = (by[x.check] ?? 0) + 1;
      rows.set(e.symbol, { symbol: e.symbol, bars: series?.length ?? e.bars, first: e.first, last: e.last, by_check: by });
      for (const x of mine) findings.push(x);
    }
  }
  for (const s of absent) rows.set(s, { symbol: s, bars: 0, first: null, last: null, by_check: { missing_symbol: 1 } });
  const byCheck: Partial<Record<QualityCheck, number>> = {};
  for (const x of findings) byCheck[x.check] = (byCheck[x.check] ?? 0) + 1;
  const limit = opts.maxFindings ?? findings.length;
  const result: DataVerifyResult = {
    expected_last: expectedDay === null ? '-' : expected,
    expected_last_from: opts.asOf ? 'as_of' : 'newest_last_bar',
    symbols_checked: selected.length + absent.length,
    bars_checked: bars,
    clean_symbols: selected.length + absent.length - rows.size,
    checks: CHECKS,
    findings_total: findings.length,
    by_check: byCheck,
    symbols: [...rows.values()].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)),
    findings: findings.slice(0, limit),
    findings_truncated: findings.length > limit,
    elapsed_ms: Math.round(performance.now() - started),
  };
  if (result.findings_total > 0) {
    if (!ctx.out.json) ctx.out.result(result, renderDataVerify, false);
    throw new CheckFailed(`data verify: ${result.findings_total} finding(s) on ${result.symbols.length} of ${result.symbols_checked} symbol(s)`, {
      result,
      hint: 're-import or re-fetch the symbols named above, then run `kobe data verify` again; `--json` lists every finding',
    });
  }
  return result;
}

const SHOWN = 50;

export function renderDataVerify(out: Output, r: DataVerifyResult): void {
  const summary = `${r.clean_symbols} of ${r.symbols_checked} symbol(s) clean, ${r.bars_checked.toLocaleString('en-US')} bars checked against ${r.expected_last} (${r.expected_last_from === 'as_of' ? '--as-of' : 'newest last bar'}) in ${(r.elapsed_ms / 1000).toFixed(2)} s`;
  if (r.findings_total === 0) {
    out.line(`data verify: clean. ${summary}`);
    return;
  }
  const used = CHECKS.filter((c) => r.by_check[c]);
  // The table goes last: on a TTY it is drawn after an async import, so lines after it would jump ahead.
  out.line(`data verify: ${r.findings_total} finding(s) on ${r.symbols.length} symbol(s): ${used.map((c) => `${c} ${r.by_check[c]}`).join(', ')}`);
  out.line(summary);
  const shown = r.findings.slice(0, SHOWN);
  for (const f of shown) out.line(`  ${f.symbol}  ${f.date ?? '-'}  ${f.check}  ${f.detail}`);
  if (r.findings_total > shown.length) out.line(`  ... ${r.findings_total - shown.length} more (all of them with --json)`);
  void out.table(
    ['symbol', 'bars', 'first', 'last', ...used],
    r.symbols.map((s) => [s.symbol, s.bars, s.first ?? '-', s.last ?? '-', ...used.map((c) => s.by_check[c] ?? '')]),
  );
}
