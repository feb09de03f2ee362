// The broker factory: the one place that decides where orders go, from config alone (environment
// overrides of URLs are not read). The resolved host is checked against the mode before any use.
import type { KobeConfig } from '../config/schema.js';
import { SafetyRefusal } from '../errors.js';
import type { BarStore } from '../data/store.js';
import type { Clock } from '../ports/clock.js';
import type { Broker } from '../ports/broker.js';
import { paperHostProblem } from '../risk/live-gates.js';
import type { StateStore } from '../state/store.js';
import { SimBroker } from './sim/client.js';
import { StorePrices } from './sim/prices.js';

/** What a broker is built from. */
export interface BrokerDeps {
  config: KobeConfig;
  secrets: Record<string, string | undefined>;
  store: StateStore;
  bars: BarStore;
  clock: Clock;
  /** Tests: the transport behind the Alpaca SDK. */
  fetchApi?: typeof fetch;
}

/** Build the configured broker, refusing a host that does not match the mode. */
export async function createBroker(d: BrokerDeps): Promise<Broker> {
  if (d.config.broker.name === 'sim') {
    if (d.config.trading.mode === 'live') throw new SafetyRefusal('the sim broker cannot trade live', { hint: 'set broker.name: alpaca for live, or trading.mode: paper' });
    return new SimBroker(d.store, new StorePrices(d.bars), d.clock, d.config.sim);
  }
  const problem = paperHostProblem(d.config, d.config.alpaca.base_url);
  if (problem) throw new SafetyRefusal(`refused at startup: ${problem}`, { hint: 'alpaca.base_url decides where orders go; paper mode needs https://paper-api.alpaca.markets' });
  const { createAlpacaBroker } = await import('./alpaca/index.js');
  return createAlpacaBroker({ config: d.config, secrets: d.secrets, clock: d.clock, fetchApi: d.fetchApi });
}
