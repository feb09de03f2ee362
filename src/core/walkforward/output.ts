// Writing a walk-forward folder: reports/walkforward/<run id>/ with wf_summary.json/.csv,
// oos_equity.csv, wf_report.html and split_NN/ (trade_list.csv, equity_curve.csv, summary.json,
// params.json when a grid chose them), each file replaced atomically.
import path from 'node:path';
import { equityCurveCsv, tradeListCsv } from '../backtest/format.js';
import { paramsFileText } from '../approvals/params.js';
import { atomicWrite } from '../state/atomic.js';
import { renderWfReportHtml } from './report.js';
import type { WalkForwardRun } from './run.js';
import { type WfSummary, oosEquityCsv, splitSummaryJson, wfSummaryCsv, wfSummaryJson } from './summary.js';

/** Paths of a run's files. */
export interface WalkForwardFiles {
  summary_json: string;
  summary_csv: string;
  oos_equity: string;
  report: string;
  /** split_NN folders in split order. */
  splits: string[];
}

/** Folder name of split i: split_00, split_01, ... (wider when there are 100 or more). */
export function splitDirName(i: number, count: number): string {
  return `split_${String(i).padStart(Math.max(2, String(count - 1).length), '0')}`;
}

/** Every file's path relative to the run folder and its text; pure, so reruns are byte-identical. */
export function renderWalkForwardFiles(run: WalkForwardRun, s: WfSummary): Map<string, string> {
  const files = new Map<string, string>();
  const grid = run.candidates.length > 1 || s.walk_forward.grid !== null;
  for (const x of run.splits) {
    const dir = splitDirName(x.split, run.splits.length);
    files.set(path.join(dir, 'trade_list.csv'), tradeListCsv(x.result.trades));
    files.set(path.join(dir, 'equity_curve.csv'), equityCurveCsv(x.result.curve, 'portfolio'));
    files.set(path.join(dir, 'summary.json'), splitSummaryJson(x, run.candidates, s.walk_forward.objective, s.synthetic));
    if (grid) files.set(path.join(dir, 'params.json'), paramsFileText(x.chosen.params));
  }
  files.set('oos_equity.csv', oosEquityCsv(run.oos));
  files.set('wf_summary.csv', wfSummaryCsv(s, s.inputs.params.version));
  files.set('wf_summary.json', wfSummaryJson(s));
  files.set('wf_report.html', renderWfReportHtml(s, run.oos));
  return files;
}

/** Write the run's files into `dir` (created if needed). */
export async function writeWalkForwardFiles(dir: string, run: WalkForwardRun, s: WfSummary): Promise<WalkForwardFiles> {
  for (const [rel, text] of renderWalkForwardFiles(run, s)) await atomicWrite(path.join(dir, rel), text);
  return {
    summary_json: path.join(dir, 'wf_summary.json'),
    summary_csv: path.join(dir, 'wf_summary.csv'),
    oos_equity: path.join(dir, 'oos_equity.csv'),
    report: path.join(dir, 'wf_report.html'),
    splits: run.splits.map((x) => path.join(dir, splitDirName(x.split, run.splits.length))),
  };
}
