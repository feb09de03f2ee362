// The universe's bars from the store, with every symbol that could not be used named and why:
// a quietly shorter universe would make a backtest look like it covered what it did not.
import type { BarStore, LoadProblem } from '../data/store.js';
import type { BarSeries } from '../strategy/bars.js';

/** Loaded bars and what was left out. */
export interface UniverseBars {
  series: BarSeries[];
  /** Symbols the store has no entry for. */
  missing: string[];
  /** Symbols in the index whose file could not be read or decoded. */
  unloadable: LoadProblem[];
  /** Loaded symbols by the store's recorded source (synthetic, polygon, import), keys sorted. */
  sources: Record<string, number>;
}

/** Load `symbols` (in order) from the store. */
export function loadUniverseBars(store: BarStore, symbols: readonly string[]): UniverseBars {
  const index = new Map(store.list().map((e) => [e.symbol, e]));
  const present = symbols.filter((s) => index.has(s));
  const missing = symbols.filter((s) => !index.has(s));
  const { series, problems } = store.loadMany(present);
  const counts = new Map<string, number>();
  for (const s of series) {
    const src = index.get(s.symbol)?.source ?? 'unknown';
    counts.set(src, (counts.get(src) ?? 0) + 1);
  }
  const sources = Object.fromEntries([...counts.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1)));
  return { series, missing, unloadable: problems, sources };
}
