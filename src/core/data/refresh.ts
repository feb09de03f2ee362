// Incremental refresh of one symbol's stored daily bars (the rules behind `data prefetch`):
// - a symbol stored from the same provider, whose stored range reaches back to the requested start,
//   is fetched from its last stored bar minus `refetchSessions` sessions (providers revise recent
//   bars) to the end, and merged by date into the stored series (the provider wins on shared dates);
// - anything else (not stored, another source, a range reaching further back) is fetched whole;
// - when the re-fetched overlap shows every stored close scaled by one factor, the provider's
//   adjusted history changed (a split): the whole range is fetched again, never glued on.
import { addSessions, countSessions, nextSession } from '../market/calendar.js';
import type { BarProvider } from '../ports/market-data.js';
import { isoDay, mergeSeries, type BarSeries } from '../strategy/bars.js';
import type { BarIndexEntry } from './store.js';

/** What to request for one symbol. */
export type RefreshPlan =
  | { kind: 'skip'; note: string }
  | { kind: 'full'; from: string; to: string }
  | { kind: 'incremental'; from: string; to: string };

/** The plan for `entry` given the requested [start, end]. */
export function planRefresh(entry: BarIndexEntry | undefined, provider: BarProvider, start: string, end: string, refetchSessions: number): RefreshPlan {
  if (!entry || entry.source !== provider || !entry.last || entry.bars === 0) return { kind: 'full', from: start, to: end };
  const covered = entry.fetched?.start ?? entry.first ?? entry.last;
  if (covered > start) return { kind: 'full', from: start, to: end };
  if (entry.last >= end) return { kind: 'skip', note: `complete for ${covered}..${entry.last}` };
  const back = refetchSessions > 0 ? addSessions(entry.last, -refetchSessions) : nextSession(entry.last);
  return { kind: 'incremental', from: back > start ? back : start, to: end };
}

/** Sessions after `last` up to and including `end` (0 when `last` reaches `end`). */
export function sessionsBehind(last: string, end: string): number {
  return last >= end ? 0 : countSessions(nextSession(last), end);
}

/** Stored bars the fresh series changed (same date, any field different). */
export function revisedBars(stored: BarSeries, fresh: BarSeries): number {
  let n = 0;
  for (let i = 0, j = 0; i < stored.length && j < fresh.length; ) {
    if (stored.dates[i] < fresh.dates[j]) i++;
    else if (stored.dates[i] > fresh.dates[j]) j++;
    else {
      if (stored.open[i] !== fresh.open[j] || stored.high[i] !== fresh.high[j] || stored.low[i] !== fresh.low[j] || stored.close[i] !== fresh.close[j] || stored.volume[i] !== fresh.volume[j]) n++;
      i++;
      j++;
    }
  }
  return n;
}

/** The common factor stored/fresh close when at least two shared dates all moved by it (a split), else null. */
export function rescaledBy(stored: BarSeries, fresh: BarSeries): number | null {
  const ratios: number[] = [];
  for (let i = 0, j = 0; i < stored.length && j < fresh.length; ) {
    if (stored.dates[i] < fresh.dates[j]) i++;
    else if (stored.dates[i] > fresh.dates[j]) j++;
    else ratios.push(stored.close[i++] / fresh.close[j++]);
  }
  if (ratios.length < 2) return null;
  const r = ratios[0];
  if (!Number.isFinite(r) || Math.abs(r - 1) < 0.02) return null;
  return ratios.every((x) => Math.abs(x - r) <= r * 1e-3) ? r : null;
}

/** The stored series with the fresh bars merged in, and what changed. */
export function mergeFresh(stored: BarSeries, fresh: BarSeries): { series: BarSeries; added: number; revised: number } {
  const series = mergeSeries(stored, fresh);
  return { series, added: series.length - stored.length, revised: revisedBars(stored, fresh) };
}

/** First and last date of a non-empty series. */
export function seriesRange(s: BarSeries): { first: string; last: string } {
  return { first: isoDay(s.dates[0]), last: isoDay(s.dates[s.length - 1]) };
}
