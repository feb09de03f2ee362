// A kobe home whose broker is the fake Alpaca (config/base.yaml + .env point at it), on a clock
// that is also the fake venue's: advancing it steps the fake (orders go live, fill, cancel).
import fs from 'node:fs';
import path from 'node:path';
import { FakeClock } from '../../src/core/ports/clock.js';
import { FakeAlpacaServer, type FakeAlpacaOptions } from '../fakes/alpaca-server.js';
import { testContext, type TestContext } from './context.js';
import { IN_WINDOW } from './sim.js';

/** kobe's clock is the venue's: advance() also ticks the fake. */
export class VenueClock extends FakeClock {
  onAdvance: (() => void) | null = null;
  override advance(ms: number): void {
    super.advance(ms);
    this.onAdvance?.();
  }
}

/** A test home on the fake Alpaca (trading and market data); stop the server and clean up after. */
export async function alpacaHome(o: FakeAlpacaOptions = {}): Promise<{ t: TestContext; server: FakeAlpacaServer; clock: VenueClock }> {
  const clock = new VenueClock(IN_WINDOW);
  const t = await testContext({ clock });
  const server = await new FakeAlpacaServer({ now: () => clock.now(), ...o }).start();
  clock.onAdvance = () => server.tick();
  const cfg = path.join(t.home, 'config', 'base.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca').replace('base_url: https://paper-api.alpaca.markets', `base_url: ${server.baseUrl}`).replace('data_url: https://data.alpaca.markets', `data_url: ${server.baseUrl}`));
  fs.writeFileSync(path.join(t.home, '.env'), `ALPACA_API_KEY_ID=${server.keyId}\nALPACA_API_SECRET_KEY=${server.secret}\n`, { mode: 0o600 });
  return { t, server, clock };
}
