// FOREIGN positions against the fake Alpaca: a position kobe never bought is reported, left alone
// (no ledger entry, no stop) and counted in exposure by the risk gate; `--fix --adopt` takes only
// the named one into the ledger with a 2 x ATR stop, which then rests at the broker. A position
// kobe did buy and the ledger lost is still MISSING_LOCALLY and restored by --fix.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { runReconcile } from '../../../src/commands/reconcile.js';
import { UsageError } from '../../../src/core/errors.js';
import { ensureProtection } from '../../../src/core/oms/protect.js';
import { submitIntent } from '../../../src/core/oms/submit.js';
import { waitFinal } from '../../../src/core/oms/sync.js';
import { reconcile } from '../../../src/core/reconcile/apply.js';
import { PositionsFile } from '../../../src/core/state/schemas.js';
import { FakeAlpacaServer } from '../../fakes/alpaca-server.js';
import { alpacaHome } from '../../helpers/alpaca-home.js';
import { type TestContext } from '../../helpers/context.js';
import { entry, seedBars } from '../../helpers/sim.js';


let t: TestContext | undefined;
let server: FakeAlpacaServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
  t?.cleanup();
});

const openStops = (s: FakeAlpacaServer) => s.orders.filter((o) => o.type === 'stop' && (o.status === 'new' || o.status === 'accepted')).map((o) => [o.symbol, o.qty]).sort();

describe('FOREIGN positions', () => {
  it('are left alone and counted in exposure; --adopt adopts only the named one and its stop rests', async () => {
    const h = await alpacaHome({ prices: { SPY: 400 } });
    t = h.t;
    const s = (server = h.server);
    await seedBars(t, { AAPL: 100, MSFT: 200, XOM: 50, SPY: 400 });
    const deps = await t.ctx.submitDeps();
    const store = await t.ctx.state();

    // kobe buys XOM (and protects it); MSFT and SPY are bought outside kobe.
    const x = await submitIntent(deps, { ...entry('XOM', 10, 50.1), plan: { stop: 47, target: null, time_stop_bars: 7, signal_price: 50, signal_date: '2025-01-13' } });
    expect((await waitFinal(deps, [x.client_order_id], 10_000))[0].status).toBe('FILLED');
    await ensureProtection(deps);
    s.positions.set('MSFT', { qty: 150, avg: 190 });
    s.positions.set('SPY', { qty: 10, avg: 390 });
    s.cash = 100_000 - 500 - 30_000 - 4_000;

    // Exposure: 34.5k of 100k equity is held (34k of it FOREIGN); 6k more breaks the 40% limit.
    const veto = await submitIntent(deps, entry('AAPL', 60, 100.2));
    expect(veto).toMatchObject({ status: 'VETOED', veto: 'concurrent_exposure' });

    // The ledger loses XOM: kobe bought it, so it is MISSING_LOCALLY; MSFT and SPY are FOREIGN.
    await store.update(PositionsFile, (f) => ({ ...f, positions: [] }));
    const first = await reconcile(await t.ctx.reconcileDeps(), { fix: false });
    expect(first.discrepancies.map((d) => `${d.type}:${d.symbol}:${d.severity}`)).toEqual(['MISSING_LOCALLY:XOM:critical', 'FOREIGN:MSFT:medium', 'FOREIGN:SPY:medium']);
    expect(first.clean).toBe(false);
    expect(first.mismatch_notional).toBe(10 * 50);

    // --fix restores XOM and leaves the FOREIGN ones alone: no ledger entry, no stop, still reported.
    const fixed = await runReconcile(t.ctx, { fix: true, yes: true });
    expect(fixed.clean).toBe(true);
    expect(fixed.remaining.map((d) => `${d.type}:${d.symbol}`)).toEqual(['FOREIGN:MSFT', 'FOREIGN:SPY']);
    expect(store.read(PositionsFile).positions.map((p) => p.symbol)).toEqual(['XOM']);
    expect(openStops(s)).toEqual([['XOM', 10]]);

    await expect(runReconcile(t.ctx, { fix: true, yes: true, adopt: ['IBM'] })).rejects.toThrow(UsageError);
    const adopted = await runReconcile(t.ctx, { fix: true, yes: true, adopt: ['MSFT'] });
    expect(adopted.fixed.find((f) => f.type === 'FOREIGN')).toMatchObject({ symbol: 'MSFT', change: 'adopted (--adopt) 150 @ 190 to the ledger', ok: true });
    expect(adopted.remaining.map((d) => `${d.type}:${d.symbol}`)).toEqual(['FOREIGN:SPY']);
    const msft = store.read(PositionsFile).positions.find((p) => p.symbol === 'MSFT')!;
    expect(msft).toMatchObject({ qty: 150, avg_price: 190, strategy: null, time_stop_bars: 7 });
    expect(msft.stop).toBeLessThan(190);
    expect(msft.stop).toBeGreaterThan(170);
    expect(store.read(PositionsFile).positions.map((p) => p.symbol)).toEqual(['MSFT', 'XOM']);
    expect(openStops(s)).toEqual([['MSFT', 150], ['XOM', 10]]);
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8')).toMatch(/"change":"adopted \(--adopt\) 150 @ 190 to the ledger","discrepancy":"FOREIGN","ok":true,"seq":\d+,"symbol":"MSFT"/);
  });
});
