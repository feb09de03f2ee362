// What blocks `kill off` (SPEC section 4): unresolved orders, a missing, dirty or stale reconcile.
import fs from 'node:fs';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { resumeBlockers } from '../../../src/core/risk/resume-checks.js';
import { IdempotencyFile, LastReconcileFile, type IdempotencyRecord, type OrderStatus } from '../../../src/core/state/schemas.js';
import { StateStore } from '../../../src/core/state/store.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

let home: TempHome;
let store: StateStore;
const NOW = new Date('2025-01-14T15:00:00Z');

beforeEach(() => {
  home = tempStateHome();
  fs.mkdirSync(home.paths.state('reconcile'));
  store = new StateStore(home.paths);
});
afterEach(() => home.cleanup());

const order = (id: string, status: OrderStatus): IdempotencyRecord => ({
  client_order_id: id,
  intent: { session_date: '2025-01-14', symbol: 'AAPL', side: 'buy', qty: 1, type: 'limit', time_in_force: 'day', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind: 'entry', target_price: null },
  status,
  broker_order_id: null,
  reason: null,
  attempts: 1,
  created_at: '2025-01-14T14:00:00Z',
  updated_at: '2025-01-14T14:00:00Z',
  filled_qty: 0,
  filled_avg_price: null,
  attempt: 1,
  broker_status: null,
  reserved_notional: 0,
  plan: null,
  fills: [],
  unknown_since: null,
});

const reconcile = (ts: string, clean: boolean) =>
  store.write(LastReconcileFile, {
    version: 1,
    ts,
    clean,
    broker: 'sim',
    discrepancies: clean ? [] : [{ type: 'qty', symbol: 'AAPL', severity: 'high', detail: 'd', action: 'a', notional: 0 }],
    mismatch_notional: 0,
    fixed: false,
  });

describe('resumeBlockers', () => {
  it('allows resuming with no unresolved orders and a clean reconcile younger than the limit', async () => {
    await store.write(IdempotencyFile, { version: 1, orders: { a: order('a', 'FILLED'), b: order('b', 'CANCELED'), c: order('c', 'REJECTED') } });
    await reconcile('2025-01-14T14:30:00Z', true);
    expect(resumeBlockers(store, NOW, 60)).toEqual([]);
  });

  it('blocks on PENDING and UNKNOWN orders, naming them', async () => {
    await store.write(IdempotencyFile, { version: 1, orders: { a: order('a', 'PENDING'), b: order('b', 'SUBMITTED'), c: order('c', 'UNKNOWN') } });
    await reconcile('2025-01-14T14:30:00Z', true);
    expect(resumeBlockers(store, NOW, 60)).toEqual(['2 unresolved order(s): a (PENDING), c (UNKNOWN)']);
  });

  it('blocks without any reconcile on record', () => {
    expect(resumeBlockers(store, NOW, 60)).toEqual(['no reconcile on record']);
  });

  it('blocks on a dirty reconcile and on one older than the limit', async () => {
    await reconcile('2025-01-14T13:00:00Z', false);
    expect(resumeBlockers(store, NOW, 60)).toEqual(['last reconcile (2025-01-14T13:00:00Z) found 1 discrepancy(ies)', 'last reconcile is 120 min old (limit 60)']);
    await reconcile('2025-01-14T13:59:00Z', true);
    expect(resumeBlockers(store, NOW, 60)).toEqual(['last reconcile is 61 min old (limit 60)']);
  });
});
