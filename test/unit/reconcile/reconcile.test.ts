import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { ConnectivityError } from '../../../src/core/errors.js';
import { submitIntent } from '../../../src/core/oms/submit.js';
import { waitFinal } from '../../../src/core/oms/sync.js';
import type { SubmitPermit } from '../../../src/core/ports/broker.js';
import { reconcile } from '../../../src/core/reconcile/apply.js';
import { IdempotencyFile, LastReconcileFile, PositionsFile, type PositionEntry } from '../../../src/core/state/schemas.js';
import type { TestContext } from '../../helpers/context.js';
import { entry, simWorld } from '../../helpers/sim.js';

let t: TestContext;
afterEach(() => t?.cleanup());

const ledgerEntry = (symbol: string, qty: number, avg: number, extra: Partial<PositionEntry> = {}): PositionEntry => ({
  symbol, qty, avg_price: avg, strategy: 'ibs_rsi', entry_date: '2025-01-13', stop: avg * 0.95, target: null, time_stop_bars: 7, bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null, ...extra,
});

async function setLedger(tc: TestContext, positions: PositionEntry[]): Promise<void> {
  await (await tc.ctx.state()).write(PositionsFile, { version: 1, updated_at: null, positions });
}

describe('reconcile matrix against the sim broker', () => {
  it('finds every discrepancy type, --fix applies the plan, a second run is clean and a second --fix does nothing', async () => {
    t = await simWorld();
    const deps = await t.ctx.submitDeps();
    // Broker: AAPL 10 (ledger says 12 -> qty), MSFT 5 (ledger avg far off -> price, no stop -> exit plan), XOM 20 (not in ledger -> orphan).
    const a = await submitIntent(deps, entry('AAPL', 10, 101));
    const m = await submitIntent(deps, { ...entry('MSFT', 5, 201), strategy: 'turtle_soup' });
    await waitFinal(deps, [a.client_order_id, m.client_order_id], 10_000);
    // The third entry on the next day (two entries a day is the limit).
    t.clock.set('2025-01-15T15:30:00Z');
    const x = await submitIntent(deps, { ...entry('XOM', 20, 51, '2025-01-15'), strategy: 'turtle_soup' });
    expect((await waitFinal(deps, [x.client_order_id], 10_000))[0].status).toBe('FILLED');
    await setLedger(t, [ledgerEntry('AAPL', 12, 100.05), ledgerEntry('MSFT', 5, 150, { stop: null }), ledgerEntry('IBM', 7, 120)]);
    // An order placed outside kobe, and a store record left PENDING by a crash.
    const sim = await t.ctx.broker();
    await sim.submitOrder({ client_order_id: 'manual-1', symbol: 'AAPL', side: 'buy', qty: 1, type: 'limit', time_in_force: 'day', limit_price: 50 }, {} as SubmitPermit);
    // A record left PENDING by a crash after the broker took it: every run (read-only too) first
    // follows unfinished orders by client id, so reconcile finds it resolved.
    await (await t.ctx.state()).update(IdempotencyFile, (f) => {
      Object.assign(f.orders[x.client_order_id], { status: 'PENDING', broker_order_id: null });
      return f;
    });
    const rd = await t.ctx.reconcileDeps();
    const first = await reconcile(rd, { fix: false });
    expect(first.clean).toBe(false);
    expect(first.discrepancies.map((d) => `${d.type}:${d.symbol}`)).toEqual([
      'MISSING_IN_BROKER:IBM', 'MISSING_LOCALLY:XOM', 'QUANTITY_MISMATCH:AAPL', 'PRICE_MISMATCH:MSFT', 'ORPHAN_ORDER:AAPL', 'NO_EXIT_PLAN:MSFT', 'NO_PROTECTIVE_STOP:AAPL',
    ]);
    expect(first.mismatch_notional).toBeGreaterThan(1000);
    expect((await t.ctx.state()).read(IdempotencyFile).orders[x.client_order_id]).toMatchObject({ status: 'FILLED' });
    expect((await t.ctx.state()).read(LastReconcileFile)).toMatchObject({ clean: false });
    expect(fs.existsSync(first.report_file)).toBe(true);

    const fixed = await reconcile(rd, { fix: true });
    expect(fixed.remaining).toEqual([]);
    expect(fixed.clean).toBe(true);
    const ledger = (await t.ctx.state()).read(PositionsFile).positions;
    expect(ledger.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10], ['MSFT', 5], ['XOM', 20]]);
    const msft = (await sim.positions()).find((p) => p.symbol === 'MSFT')!;
    expect(ledger.find((p) => p.symbol === 'MSFT')).toMatchObject({ strategy: 'ibs_rsi', time_stop_bars: 7, avg_price: msft.avg_entry_price });
    expect(ledger.find((p) => p.symbol === 'MSFT')!.stop).toBeLessThan(ledger.find((p) => p.symbol === 'MSFT')!.avg_price);
    expect(ledger.find((p) => p.symbol === 'XOM')).toMatchObject({ strategy: null, time_stop_bars: 7 });
    const store = (await t.ctx.state()).read(IdempotencyFile).orders;
    expect(store[x.client_order_id]).toMatchObject({ status: 'FILLED' });
    // --fix placed the missing protective stops: every position now has one resting.
    const open = await sim.listOrders({ status: 'open' });
    expect(open.filter((o) => o.type === 'stop').map((o) => o.symbol).sort()).toEqual(['AAPL', 'MSFT', 'XOM']);
    expect(store['manual-1']).toMatchObject({ status: 'SUBMITTED', intent: { kind: 'adopted', strategy: 'external' } });
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8').match(/"type":"reconcile_fix"/g)!.length).toBeGreaterThanOrEqual(7);

    const again = await reconcile(rd, { fix: false });
    expect(again).toMatchObject({ clean: true, discrepancies: [] });
    const chainBefore = fs.readFileSync(t.ctx.paths.chain, 'utf8');
    const fixAgain = await reconcile(rd, { fix: true });
    expect(fixAgain.fixed).toEqual([]);
    expect(fs.readFileSync(t.ctx.paths.chain, 'utf8')).toBe(chainBefore);
    expect((await t.ctx.state()).read(LastReconcileFile)).toMatchObject({ clean: true });
  });

  it('a broker that does not answer is an error, never "flat", and leaves no clean record', async () => {
    t = await simWorld();
    await setLedger(t, [ledgerEntry('AAPL', 10, 100)]);
    const rd = await t.ctx.reconcileDeps();
    const down = Object.create(rd.broker, { positions: { value: async () => { throw new ConnectivityError('broker unreachable'); } } });
    await expect(reconcile({ ...rd, broker: down }, { fix: true })).rejects.toBeInstanceOf(ConnectivityError);
    expect((await t.ctx.state()).exists(LastReconcileFile)).toBe(false);
    expect((await t.ctx.state()).read(PositionsFile).positions).toHaveLength(1);
  });
});
