// Writing a run's folder: reports/backtest/<run id>/ with its four files, each replaced atomically.
import fs from 'node:fs';
import path from 'node:path';
import { atomicWrite } from '../state/atomic.js';
import { type BacktestSummary, equityCurveCsv, monthlyReturns, summaryJson, tradeListCsv } from './format.js';
import { renderReportHtml } from './report.js';
import type { BacktestResult } from './types.js';

/** Paths of a run's files. */
export interface BacktestFiles {
  trade_list: string;
  equity_curve: string;
  summary: string;
  report: string;
}

/** Run id of an instant: 2025-01-14T15:00:00.123Z -> 20250114T150000Z. */
export function runId(at: Date): string {
  return at.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
}

/** A fresh run folder under `parent`: <id>, or <id>-2, <id>-3 when a run of the same second exists. */
export function freshRunDir(parent: string, id: string): string {
  for (let k = 1; ; k++) {
    const dir = path.join(parent, k === 1 ? id : `${id}-${k}`);
    if (!fs.existsSync(dir)) return dir;
  }
}

/** The files' contents; a pure function of the result and summary, so reruns are byte-identical. */
export function renderBacktestFiles(r: BacktestResult, summary: BacktestSummary): Record<keyof BacktestFiles, string> {
  return {
    trade_list: tradeListCsv(r.trades),
    equity_curve: equityCurveCsv(r.curve, r.mode),
    summary: summaryJson(summary),
    report: renderReportHtml({ summary, curve: r.curve, monthly: monthlyReturns(r.curve, r.mode, r.settings.startingCash) }),
  };
}

const NAMES: Record<keyof BacktestFiles, string> = { trade_list: 'trade_list.csv', equity_curve: 'equity_curve.csv', summary: 'summary.json', report: 'report.html' };

/** Write the four files into `dir` (created if needed). */
export async function writeBacktestFiles(dir: string, r: BacktestResult, summary: BacktestSummary): Promise<BacktestFiles> {
  const text = renderBacktestFiles(r, summary);
  const files = {} as BacktestFiles;
  for (const k of Object.keys(NAMES) as Array<keyof BacktestFiles>) {
    files[k] = path.join(dir, NAMES[k]);
    await atomicWrite(files[k], text[k]);
  }
  return files;
}
