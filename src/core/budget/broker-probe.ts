// Read-only broker facts for reports that must print without the broker (budget, incident): the
// wait is capped at broker.timeout_ms. The underlying request is not cancelled, only abandoned;
// the adapters' own per-request timeouts end it.
import { errorText } from '../errors.js';
import type { Broker, PositionReport } from '../ports/broker.js';

/** Work that finished in time, or why it did not. */
export type Bounded<T> = { ok: true; value: T } | { ok: false; error: string };

/** Await `work()` for at most `ms`; never throws. */
export async function withinDeadline<T>(work: () => Promise<T>, ms: number, what: string): Promise<Bounded<T>> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<Bounded<T>>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, error: `${what} could not be reached within ${ms} ms (no answer)` }), ms);
    timer.unref();
  });
  const run = (async (): Promise<Bounded<T>> => {
    try {
      return { ok: true, value: await work() };
    } catch (err) {
      return { ok: false, error: `${what} could not be reached: ${errorText(err)}` };
    }
  })();
  try {
    return await Promise.race([run, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What the broker said, when it answered. */
export interface BrokerSnapshot {
  broker: string;
  equity: number;
  positions: PositionReport[];
  /** Sum of |market value| of open positions (cost basis when the broker gives no value). */
  concurrent_exposure: number;
}

/** Account and positions within `timeoutMs`, including building the broker itself. */
export async function brokerSnapshot(getBroker: () => Promise<Broker>, timeoutMs: number): Promise<Bounded<BrokerSnapshot>> {
  return withinDeadline(
    async () => {
      const b = await getBroker();
      const [account, positions] = await Promise.all([b.account(), b.positions()]);
      const concurrent = positions.reduce((a, p) => a + Math.abs(p.market_value ?? p.qty * p.avg_entry_price), 0);
      return { broker: b.name, equity: account.equity, positions, concurrent_exposure: concurrent };
    },
    timeoutMs,
    'the broker',
  );
}
