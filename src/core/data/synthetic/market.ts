// The synthetic market behind `kobe data seed`: N symbols on given NYSE sessions from one integer
// seed. Pure: no I/O, no clock. Symbol i is generated from its own random stream (seed, i), so a
// market of 900 symbols starts with the same 100 as a market of 100.
import { dayNumber, type BarSeries } from '../../strategy/bars.js';
import { FAULT_KINDS, MIN_FAULT_SESSIONS, STALE_SESSIONS, calmBar, faultBar, faultSymbolIndex, injectFault, type Fault, type FaultKind } from './faults.js';
import { generateSymbol, type SplitEvent } from './model.js';
import { streamRng } from './random.js';

export { FAULT_KINDS, type Fault, type FaultKind } from './faults.js';
export type { SplitEvent } from './model.js';

/** Stream domains: symbols and fault placement never share a stream. */
const SYMBOL_DOMAIN = 1;
const FAULT_DOMAIN = 2;

/** Tickers look like XAB3: a digit never appears in a US common-stock ticker, so a synthetic symbol cannot overwrite a real one in the bar store. */
const TICKER_SPACE = 26 * 26 * 10;
/** Most symbols a market can have (every ticker distinct). */
export const MAX_SYNTHETIC_SYMBOLS = 5000;
const TICKER_STEP = 4327; // coprime with 6760: i -> ticker is a bijection, and neighbours look unrelated
const A = 65;

/** The synthetic ticker of symbol index i (0-based): 'X', two letters, a digit; distinct for i < 6760. */
export function syntheticTicker(i: number): string {
  if (!Number.isInteger(i) || i < 0 || i >= TICKER_SPACE) throw new RangeError(`synthetic symbol index out of range: ${i}`);
  const code = (i * TICKER_STEP + 1234) % TICKER_SPACE;
  const letters = code % 676;
  return `X${String.fromCharCode(A + Math.floor(letters / 26), A + (letters % 26))}${Math.floor(code / 676)}`;
}

/** What to generate. */
export interface MarketSpec {
  /** Number of symbols (1 .. MAX_SYNTHETIC_SYMBOLS). */
  symbols: number;
  /** ISO session dates, ascending (real NYSE sessions in practice). */
  sessions: readonly string[];
  /** Any integer in 0 .. 2^53 - 1. */
  seed: number;
  /** Inject one fault of every kind, each on its own symbol. */
  withFaults?: boolean;
}

/** Corporate actions and injected faults of one symbol. */
export interface SymbolMeta {
  splits: SplitEvent[];
  faults: Fault[];
}

/** A fault with the symbol it is on. */
export interface MarketFault extends Fault {
  symbol: string;
}

/** The generated market: series in symbol-index order, and meta by symbol. */
export interface Market {
  series: BarSeries[];
  meta: Map<string, SymbolMeta>;
  /** Every injected fault, in FAULT_KINDS order (empty for a clean market). */
  faults: MarketFault[];
}

/** Generate a deterministic market: the same spec gives bit-identical series. */
export function generateMarket(spec: MarketSpec): Market {
  const { symbols: count, sessions, seed } = spec;
  if (!Number.isInteger(count) || count < 1 || count > MAX_SYNTHETIC_SYMBOLS) throw new RangeError(`symbols must be an integer in 1..${MAX_SYNTHETIC_SYMBOLS}, got ${count}`);
  if (sessions.length < 2) throw new RangeError(`need at least 2 sessions, got ${sessions.length}`);
  if (spec.withFaults && sessions.length < MIN_FAULT_SESSIONS) throw new RangeError(`faults need at least ${MIN_FAULT_SESSIONS} sessions, got ${sessions.length}`);
  const dates = Int32Array.from(sessions, dayNumber);
  for (let i = 1; i < dates.length; i++) if (dates[i] <= dates[i - 1]) throw new RangeError(`sessions must be strictly ascending (${sessions[i - 1]}, ${sessions[i]})`);

  const series: BarSeries[] = [];
  const meta = new Map<string, SymbolMeta>();
  for (let i = 0; i < count; i++) {
    const sym = syntheticTicker(i);
    const g = generateSymbol(streamRng(seed, SYMBOL_DOMAIN, i), sym, dates, sessions);
    series.push(g.series);
    meta.set(sym, { splits: g.splits, faults: [] });
  }
  const faults: MarketFault[] = [];
  if (spec.withFaults) {
    const rng = streamRng(seed, FAULT_DOMAIN, 0);
    const n = dates.length;
    const plan = FAULT_KINDS.map((kind, k) => {
      const idx = faultSymbolIndex(k, count);
      const at = faultBar(k, n, rng);
      const bar = kind === 'stale_last_bar' ? n - STALE_SESSIONS : kind === 'split_discontinuity' ? calmBar(series[idx], at, Math.ceil(n * 0.02)) : at;
      return { kind, idx, bar };
    });
    // Highest bar first on each symbol, so dropping or duplicating a row never moves a later fault.
    for (const f of [...plan].sort((a, b) => b.bar - a.bar)) {
      const r = injectFault(series[f.idx], f.kind as FaultKind, f.bar);
      series[f.idx] = r.series;
      meta.get(r.series.symbol)!.faults.push(r.fault);
    }
    for (const f of plan) {
      const sym = series[f.idx].symbol;
      const fault = meta.get(sym)!.faults.find((x) => x.kind === f.kind)!;
      faults.push({ symbol: sym, ...fault });
    }
    for (const m of meta.values()) m.faults.sort((a, b) => FAULT_KINDS.indexOf(a.kind) - FAULT_KINDS.indexOf(b.kind));
  }
  return { series, meta, faults };
}
