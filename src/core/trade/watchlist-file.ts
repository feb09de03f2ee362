// logs/watchlist.json: the overnight watchlist built after the close for the next session, and
// its pre-market validation. The trade cycle uses it when it is for today and validated.
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { atomicWrite } from '../state/atomic.js';
import type { Signal } from '../strategy/features.js';

/** The validation of one watchlist entry. */
export interface WatchlistCheck {
  symbol: string;
  ok: boolean;
  reason: string | null;
  gap_pct: number | null;
}

/** The watchlist file. */
export interface Watchlist {
  version: 1;
  built_at: string;
  /** Close the picks come from. */
  from_session: string;
  /** Session the picks are meant to be traded in. */
  for_session: string;
  picks: Signal[];
  validated: { at: string; results: WatchlistCheck[] } | null;
}

/** Read logs/watchlist.json; null when absent. */
export function readWatchlist(logsDir: string): Watchlist | null {
  try {
    return JSON.parse(fs.readFileSync(path.join(logsDir, 'watchlist.json'), 'utf8')) as Watchlist;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Write logs/watchlist.json atomically. */
export async function writeWatchlist(logsDir: string, w: Watchlist): Promise<void> {
  await atomicWrite(path.join(logsDir, 'watchlist.json'), `${JSON.stringify(w, null, 2)}\n`);
}
