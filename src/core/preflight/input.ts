// What preflight checks can look at (their own module, so check groups in several files share it
// without importing each other).
import type { LoadedConfig } from '../config/load.js';
import type { BarStore } from '../data/store.js';
import type { KobePaths } from '../paths.js';
import type { Broker } from '../ports/broker.js';
import type { Quotes } from '../ports/quotes.js';
import type { StateStore } from '../state/store.js';

/** What the checks can look at; everything heavy is lazy. */
export interface PreflightInput {
  mode: 'paper' | 'live';
  paths: KobePaths;
  now: Date;
  processEnv: Record<string, string | undefined>;
  config(): Promise<LoadedConfig>;
  secrets(): Promise<Record<string, string | undefined>>;
  broker(): Promise<Broker>;
  /** The quote source entries and exits use (Alpaca market data, or the sim's own). */
  quotes(): Promise<Quotes>;
  store(): Promise<StateStore>;
  bars(): Promise<BarStore>;
}

