// The daily scan and the signal history (SPEC section 7): universe -> bars -> both strategies ->
// filters and ranking -> logs/daily_picks.csv and logs/signals.jsonl. Same inputs, same bytes.
import fs from 'node:fs';
import path from 'node:path';
import type { KobeConfig, StrategyParams } from '../config/schema.js';
import type { BarStore } from '../data/store.js';
import { loadUniverse } from '../data/universe.js';
import { appendLineSync, atomicWrite } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { dayNumber, type BarSeries } from '../strategy/bars.js';
import type { Signal } from '../strategy/features.js';
import { scan, type SkippedSymbol } from '../strategy/scanner.js';
import { allSignals } from '../strategy/signals.js';
import { sessionCloseUtc } from '../market/calendar.js';
import { loadEarnings } from './earnings.js';
import { makeDir } from '../util/files.js';

/** Where the scan reads from and writes to. */
export interface ScanDeps {
  config: KobeConfig;
  params: StrategyParams;
  bars: BarStore;
  home: string;
  logsDir: string;
  dataDir: string;
  now: Date;
}

/** A symbol that could not be loaded or scanned. */
export type ScanSkip = SkippedSymbol | { symbol: string; reason: 'missing' | 'damaged'; detail: string };

/** The scan's result. */
export interface DailyScan {
  date: string;
  universe: string;
  symbols: number;
  evaluated: number;
  candidates: number;
  picks: Signal[];
  skipped: ScanSkip[];
  earnings: { applied: boolean; rows: number; imported_at: string | null; warning: string | null };
  synthetic: boolean;
  files: { picks: string; signals: string } | null;
}

/** Load the universe's series; missing or damaged symbols become skips. */
export function loadUniverseSeries(d: ScanDeps, universe: string | undefined, cap: number | undefined): { file: string; series: BarSeries[]; skipped: ScanSkip[]; synthetic: boolean } {
  const file = path.resolve(d.home, universe ?? d.config.data.universe);
  const u = loadUniverse(file, cap ?? d.config.data.cap);
  const { series, problems } = d.bars.loadMany(u.symbols);
  const index = d.bars.index().symbols;
  return {
    file,
    series,
    skipped: problems.map((p) => ({ symbol: p.symbol, reason: /no bars/.test(p.problem) ? ('missing' as const) : ('damaged' as const), detail: p.problem })),
    synthetic: series.some((s) => index[s.symbol]?.source === 'synthetic'),
  };
}

const num = (x: number | null, d = 4) => (x === null || !Number.isFinite(x) ? '' : Number(x.toFixed(d)).toString());

/** One CSV line of a pick. */
export function pickCsvRow(s: Signal, rank: number): string {
  return [s.date, rank, s.symbol, s.strategy, num(s.entry, 2), num(s.stop, 2), num(s.target, 2), num(s.score), num(s.confidence), num(s.ibs), num(s.rsi), num(s.atr), s.time_stop_bars].join(',');
}

export const PICKS_HEADER = 'date,rank,symbol,strategy,entry,stop,target,score,confidence,ibs,rsi,atr,time_stop_bars';

/** Run the daily scan for `date` and write the picks and the signal log. */
export async function dailyScan(d: ScanDeps, o: { date: string; top: number; universe?: string; cap?: number; deterministic: boolean; write: boolean }): Promise<DailyScan> {
  const { file, series, skipped, synthetic } = loadUniverseSeries(d, o.universe, o.cap);
  const earnings = loadEarnings(d.dataDir);
  const r = scan(series, d.params, {
    date: o.date, top: o.top, minDollarVolume: d.config.data.min_dollar_volume, minPrice: Math.max(d.params.common.min_price, d.config.trading.min_price), maxPrice: d.config.trading.max_price,
    earnings: earnings?.bySymbol,
  });
  const stale = earnings?.imported_at ? (d.now.getTime() - Date.parse(earnings.imported_at)) / 86_400_000 > 7 : true;
  const warning = !earnings ? 'no data/earnings.csv: the earnings blackout was NOT applied (kobe data earnings import FILE)' : stale ? `earnings dates are older than 7 days (imported ${earnings.imported_at ?? 'at an unknown time'})` : null;
  let files: DailyScan['files'] = null;
  if (o.write) {
    const picksFile = path.join(d.logsDir, 'daily_picks.csv');
    const signalsFile = path.join(d.logsDir, 'signals.jsonl');
    await atomicWrite(picksFile, `${PICKS_HEADER}\n${r.picks.map((p, i) => pickCsvRow(p, i + 1)).join('\n')}${r.picks.length ? '\n' : ''}`);
    // --deterministic stamps lines with the session close, so reruns append identical lines.
    const ts = o.deterministic ? sessionCloseUtc(o.date).toISOString() : d.now.toISOString();
    makeDir(d.logsDir);
    await withLock(signalsFile, () => {
      for (const [i, s] of r.candidates.entries()) appendLineSync(signalsFile, JSON.stringify({ ts, scan_date: o.date, rank: i + 1, picked: r.picks.includes(s), ...signalJson(s) }));
    });
    files = { picks: picksFile, signals: signalsFile };
  }
  return {
    date: r.date, universe: file, symbols: series.length + skipped.length, evaluated: r.evaluated, candidates: r.candidates.length, picks: r.picks,
    skipped: [...skipped, ...r.skipped].sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0)),
    earnings: { applied: !!earnings, rows: earnings?.rows ?? 0, imported_at: earnings?.imported_at ?? null, warning }, synthetic, files,
  };
}

/** The fields of a signal as the logs and --history print them. */
export function signalJson(s: Signal): Record<string, unknown> {
  return { date: s.date, symbol: s.symbol, strategy: s.strategy, entry: s.entry, stop: s.stop, target: s.target, score: Number(s.score.toFixed(6)), confidence: Number(s.confidence.toFixed(6)), ibs: Number(s.ibs.toFixed(6)), rsi: Number(s.rsi.toFixed(6)), atr: Number(s.atr.toFixed(6)), time_stop_bars: s.time_stop_bars };
}

/** Every raw signal in [start, end] (before ranking filters), ordered by date, symbol, strategy. */
export function signalHistory(series: readonly BarSeries[], params: StrategyParams, start: string, end: string): Signal[] {
  const a = dayNumber(start);
  const b = dayNumber(end);
  const out: Signal[] = [];
  for (const s of series) for (const sig of allSignals(s, params)) if (s.dates[sig.bar] >= a && s.dates[sig.bar] <= b) out.push(sig);
  return out.sort((x, y) => (x.date < y.date ? -1 : x.date > y.date ? 1 : x.symbol < y.symbol ? -1 : x.symbol > y.symbol ? 1 : x.strategy < y.strategy ? -1 : x.strategy > y.strategy ? 1 : 0));
}
