// logs/trades.jsonl, the trade journal: every fill and every close, with strategy and prices.
// Append-only and never rotated (drift analysis and audits read all of it).
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { appendLineSync } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { makeDir } from '../util/files.js';

/** A journal line. */
export interface TradeRecord {
  ts: string;
  event: 'fill' | 'close';
  symbol: string;
  side: 'buy' | 'sell';
  qty: number;
  price: number;
  strategy: string;
  client_order_id: string;
  session_date: string;
  stop?: number | null;
  target?: number | null;
  time_stop_bars?: number | null;
  /** Signal reference price (the scan's entry) for slippage analysis. */
  signal_price?: number | null;
  signal_date?: string | null;
  entry_price?: number;
  pnl?: number;
  reason?: string;
  bars_held?: number;
  /** The fill this line books (order id + cumulative qty): a fill is journaled once. */
  fill_key?: string;
}

/** Append one record under the journal's lock. */
export async function appendTrade(logsDir: string, r: TradeRecord): Promise<void> {
  const file = path.join(logsDir, 'trades.jsonl');
  makeDir(logsDir);
  await withLock(file, () => appendLineSync(file, JSON.stringify(r)));
}

/** Read the journal; lines that do not parse are returned as problems with their line numbers. */
export function readTrades(logsDir: string): { trades: TradeRecord[]; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(path.join(logsDir, 'trades.jsonl'), 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { trades: [], problems: [] };
    throw err;
  }
  const trades: TradeRecord[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((l, i) => {
    if (!l.trim()) return;
    try {
      trades.push(JSON.parse(l) as TradeRecord);
    } catch {
      problems.push(`logs/trades.jsonl line ${i + 1} is not JSON`);
    }
  });
  return { trades, problems };
}
