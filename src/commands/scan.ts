import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { dateFlag, intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { readInputFile } from '../core/util/files.js';
import { parseParams } from '../core/config/load.js';
import { UsageError } from '../core/errors.js';
import fs from 'node:fs';
import path from 'node:path';
import { isTradingDay } from '../core/market/calendar.js';
import { lastCompletedSession } from '../core/market/sessions.js';
import { dailyScan, loadUniverseSeries, signalHistory, signalJson, type DailyScan, type ScanSkip } from '../core/scan/run.js';

export interface ScanOptions {
  universe?: string;
  cap?: number;
  top: number;
  date?: string;
  deterministic: boolean;
  history: boolean;
  start?: string;
  end?: string;
  params?: string;
}

export type ScanCommandResult = DailyScan | { history: true; start: string; end: string; params: string; signals: Array<Record<string, unknown>>; skipped: ScanSkip[]; synthetic: boolean };


export function parseScan(raw: Record<string, unknown>): ScanOptions {
  const o: ScanOptions = {
    universe: typeof raw.universe === 'string' ? raw.universe : undefined,
    cap: intFlag('--cap', raw.cap, 1, 100_000),
    top: intFlag('--top', raw.top, 1, 1000) ?? 3,
    date: dateFlag('--date', raw.date),
    deterministic: !!raw.deterministic,
    history: !!raw.history,
    start: dateFlag('--start', raw.start),
    end: dateFlag('--end', raw.end),
    params: typeof raw.params === 'string' ? raw.params : undefined,
  };
  if (!o.history && (o.start || o.end)) throw new UsageError('--start/--end go with --history');
  if (o.history && (!o.start || !o.end)) throw new UsageError('--history needs --start and --end');
  if (o.start && o.end && o.start > o.end) throw new UsageError(`--start ${o.start} is after --end ${o.end}`);
  if (o.params && !o.history) throw new UsageError('--params is for research (scan --history, backtest, walk-forward); daily picks always use the pinned parameters');
  if (o.date && !isTradingDay(o.date)) throw new UsageError(`--date ${o.date} is not an NYSE session`, { hint: 'see `kobe market --date ' + o.date + '`' });
  return o;
}

export function register(program: Command, kit: Kit): void {
  program
    .command('scan')
    .description("today's ranked signals of both strategies over the universe (writes logs/daily_picks.csv, appends logs/signals.jsonl); --history lists every raw signal")
    .option('--universe <file>', 'universe CSV (default: config data.universe)')
    .option('--cap <n>', 'first N symbols of the universe (default: config data.cap)')
    .option('--top <n>', 'number of picks', '3')
    .option('--date <YYYY-MM-DD>', 'scan at the close of this session (default: the last completed session)')
    .option('--deterministic', 'stamp logs with the session close instead of the wall clock (byte-identical reruns)')
    .option('--history', 'every historical signal in --start..--end, before ranking filters')
    .option('--start <YYYY-MM-DD>')
    .option('--end <YYYY-MM-DD>')
    .option('--params <file>', 'research only (with --history): other strategy parameters than the pinned ones')
    .addHelpText('after', '\nExample:\n  kobe scan --cap 900 --deterministic --top 3\n  kobe scan --history --start 2024-01-01 --end 2024-12-31 --json')
    .action(kit.action(parseScan, runScan, renderScan));
}

export async function runScan(ctx: KobeContext, o: ScanOptions): Promise<ScanCommandResult> {
  ctx.requireHome();
  const { config, params: pinned } = await ctx.config();
  const deps = { config, params: pinned, bars: await ctx.bars(), home: ctx.paths.home, logsDir: ctx.paths.logsDir, dataDir: ctx.paths.dataDir, now: ctx.clock.now() };
  if (o.history) {
    const paramsFile = o.params ? path.resolve(ctx.paths.home, o.params) : null;
    const params = paramsFile ? parseParams(readInputFile(paramsFile, '--params'), paramsFile) : pinned;
    const { series, skipped, synthetic } = loadUniverseSeries({ ...deps, params }, o.universe, o.cap);
    const signals = signalHistory(series, params, o.start!, o.end!).map(signalJson);
    return { history: true, start: o.start!, end: o.end!, params: paramsFile ?? 'pinned', signals, skipped, synthetic };
  }
  const date = o.date ?? lastCompletedSession(ctx.clock.now());
  const r = await dailyScan(deps, { date, top: o.top, universe: o.universe, cap: o.cap, deterministic: o.deterministic, write: true });
  (await ctx.events()).emit('scan', { date, picks: r.picks.map((p) => `${p.symbol}:${p.strategy}`), candidates: r.candidates, skipped: r.skipped.length, earnings_applied: r.earnings.applied });
  return r;
}

export function renderScan(out: Output, r: ScanCommandResult): void {
  if ('history' in r) {
    void out.table(['date', 'symbol', 'strategy', 'entry', 'stop', 'target', 'score', 'confidence', 'ibs', 'rsi', 'atr'], r.signals.map((s) => [s.date, s.symbol, s.strategy, s.entry, s.stop, s.target ?? '-', s.score, s.confidence, s.ibs, s.rsi, s.atr] as Array<string | number>));
    out.info(`${r.signals.length} signal(s) ${r.start}..${r.end} (params: ${r.params})${r.synthetic ? '; SYNTHETIC data' : ''}`);
  } else {
    if (r.picks.length === 0) out.line(`no picks for ${r.date} (${r.candidates} candidate(s) from ${r.evaluated} symbol(s))`);
    else void out.table(['rank', 'symbol', 'strategy', 'entry', 'stop', 'target', 'confidence', 'ibs', 'rsi'], r.picks.map((p, i) => [i + 1, p.symbol, p.strategy, p.entry.toFixed(2), p.stop.toFixed(2), p.target === null ? '-' : p.target.toFixed(2), p.confidence.toFixed(3), p.ibs.toFixed(3), p.rsi.toFixed(1)]));
    out.info(`scan ${r.date}: ${r.evaluated}/${r.symbols} symbols evaluated, ${r.candidates} candidate(s)${r.synthetic ? '; SYNTHETIC data' : ''}`);
    if (r.earnings.warning) out.warn(r.earnings.warning);
  }
  const bySkip = new Map<string, number>();
  for (const s of r.skipped) bySkip.set(s.reason, (bySkip.get(s.reason) ?? 0) + 1);
  if (r.skipped.length) out.info(`skipped: ${[...bySkip].map(([k, v]) => `${v} ${k}`).join(', ')} (see --json for each symbol)`);
}
