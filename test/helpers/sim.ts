// A sim-broker world for tests: a temp kobe home, a few symbols of flat-ish bars in the store,
// and a FakeClock inside a trading window.
import { sessionsBetween } from '../../src/core/market/calendar.js';
import type { OrderIntent } from '../../src/core/oms/submit.js';
import { FakeClock } from '../../src/core/ports/clock.js';
import { seriesFromRows } from '../../src/core/strategy/bars.js';
import { testContext, type TestContext } from './context.js';

/** Default instant: Tuesday 2025-01-14 10:30 ET (15:30Z), inside the morning window. */
export const IN_WINDOW = '2025-01-14T15:30:00Z';

/** Write flat bars ending the session before `until` for each symbol at its price. */
export async function seedBars(t: TestContext, prices: Record<string, number>, from = '2024-06-03', until = '2025-01-14'): Promise<void> {
  const days = sessionsBetween(from, until);
  const store = await t.ctx.bars();
  await store.writeMany(
    Object.entries(prices).map(([symbol, p]) => ({
      series: seriesFromRows(symbol, days.map((date, i) => ({ date, open: p, high: p * 1.01, low: p * 0.99, close: p + (i % 2 ? 0.1 : -0.1), volume: 1_000_000 }))),
      meta: { source: 'synthetic' as const },
    })),
  );
}

/** A test context with bars for AAPL (100), MSFT (200), XOM (50) and a clock in the window. */
export async function simWorld(opts: { at?: string; env?: Record<string, string> } = {}): Promise<TestContext> {
  const t = await testContext({ clock: new FakeClock(opts.at ?? IN_WINDOW), env: opts.env });
  await seedBars(t, { AAPL: 100, MSFT: 200, XOM: 50 });
  return t;
}

/** An entry intent (limit IOC buy) for a symbol. */
export function entry(symbol: string, qty: number, limit: number, session = '2025-01-14'): OrderIntent {
  return { session_date: session, symbol, side: 'buy', qty, type: 'limit', time_in_force: 'ioc', limit_price: limit, stop_price: null, strategy: 'ibs_rsi', kind: 'entry' };
}

/** A closing sell intent. */
export function exit(symbol: string, qty: number, limit: number, session = '2025-01-14'): OrderIntent {
  return { session_date: session, symbol, side: 'sell', qty, type: 'limit', time_in_force: 'ioc', limit_price: limit, stop_price: null, strategy: 'ibs_rsi', kind: 'exit' };
}
