// The playbook rules on hand-built facts: the cases a temp home cannot easily stage (broker-side
// duplicates and orphans, terminal broker orders) and the rule order.
import { describe, expect, it } from '@jest/globals';
import { ConfigSchema } from '../../../src/core/config/schema.js';
import type { DiagnoseFacts } from '../../../src/core/diagnose/facts.js';
import { PLAYBOOK_IDS, matchPlaybooks } from '../../../src/core/diagnose/playbooks.js';
import type { OrderReport } from '../../../src/core/ports/broker.js';
import type { IdempotencyRecord } from '../../../src/core/state/schemas.js';

const NOW = new Date('2025-01-14T22:00:00Z');
const facts = (o: Partial<DiagnoseFacts> = {}): DiagnoseFacts => ({
  now: NOW,
  ks: ConfigSchema.shape.kill_switch.parse(undefined),
  universe: 'data/universe/demo.csv',
  heartbeat: { version: 1, ts: '2025-01-14T21:59:50Z', pid: 4242, phase: 'after_hours', last_task: null, last_success: null, cycles: 1, last_cycle_ok: true },
  pid: { value: 4242, alive: true, problem: null },
  reconcile: { version: 1, ts: '2025-01-14T21:00:00Z', clean: true, broker: 'sim', discrepancies: [], mismatch_notional: 0, fixed: false },
  positions: [],
  orders: [],
  vetoes: null,
  events: [],
  bars: { expected: '2025-01-14', checked: 2, stale: [], problem: null },
  telemetry: { risk: null, nav: null, diagnostics: null, problems: [] },
  stateProblems: [],
  broker: { asked: true, ok: true, error: null, orders: [] },
  notes: [],
  ...o,
});
const border = (id: string, cid: string, status: OrderReport['status'], o: Partial<OrderReport> = {}): OrderReport => ({
  id, client_order_id: cid, symbol: 'AAPL', side: 'buy', type: 'limit', time_in_force: 'ioc', qty: 10, notional: null, filled_qty: 0, filled_avg_price: null, limit_price: 100, stop_price: null, trail_price: null, trail_percent: null, replaces: null, replaced_by: null,
  status, order_class: 'simple', submitted_at: '2025-01-14T15:05:00Z', filled_at: null, canceled_at: null, updated_at: '2025-01-14T15:05:00Z', legs: [], ...o,
});
const store = (cid: string): IdempotencyRecord => ({
  client_order_id: cid, status: 'FILLED', broker_order_id: 'b1', reason: null, attempts: 1, created_at: '2025-01-14T15:04:00Z', updated_at: '2025-01-14T15:05:00Z', filled_qty: 10, filled_avg_price: 100, attempt: 1, broker_status: null, reserved_notional: 0, plan: null, fills: [], unknown_since: null,
  intent: { session_date: '2025-01-14', symbol: 'AAPL', side: 'buy', qty: 10, type: 'limit', time_in_force: 'ioc', limit_price: 100, stop_price: null, strategy: 'ibs_rsi', kind: 'entry', target_price: null },
});

describe('matchPlaybooks', () => {
  it('matches nothing on healthy facts', () => {
    expect(matchPlaybooks(facts())).toEqual([]);
  });

  it('a broker order the store does not know, for the same symbol, side and session, is a duplicate to cancel', () => {
    const m = matchPlaybooks(facts({ orders: [store('kobe-a')], broker: { asked: true, ok: true, error: null, orders: [border('b1', 'kobe-a', 'filled', { filled_qty: 10 }), border('b2', 'manual-1', 'new', { submitted_at: '2025-01-14T15:06:00Z' })] } }));
    expect(m.map((x) => x.id)).toEqual(['duplicate_orders']);
    expect(m[0].evidence).toEqual(['2 buy orders for AAPL on 2025-01-14: kobe-a (FILLED), manual-1 (broker new, not in the store)']);
    expect(m[0].steps.map((s) => s.run)).toContain('kobe orders cancel --client-id manual-1');
  });

  it('two broker orders with distinct client ids are duplicates; rejected and unfilled cancelled ones are not', () => {
    const two = [border('b1', 'kobe-a', 'filled', { filled_qty: 10 }), border('b2', 'kobe-b', 'filled', { filled_qty: 10 })];
    expect(matchPlaybooks(facts({ broker: { asked: true, ok: true, error: null, orders: two } }))[0].evidence[0]).toMatch(/^2 buy orders for AAPL on 2025-01-14: kobe-a \(broker filled, not in the store\), kobe-b/);
    const harmless = [border('b1', 'kobe-a', 'filled', { filled_qty: 10 }), border('b2', 'kobe-b', 'rejected'), border('b3', 'kobe-c', 'canceled')];
    expect(matchPlaybooks(facts({ broker: { asked: true, ok: true, error: null, orders: harmless } }))).toEqual([]);
    const sameId = [border('b1', 'kobe-a', 'filled', { filled_qty: 10 })];
    expect(matchPlaybooks(facts({ orders: [store('kobe-a')], broker: { asked: true, ok: true, error: null, orders: sameId } }))).toEqual([]);
  });

  it('different sessions or sides are not duplicates', () => {
    const orders = [border('b1', 'kobe-a', 'filled', { filled_qty: 10 }), border('b2', 'kobe-b', 'filled', { filled_qty: 10, side: 'sell' }), border('b3', 'kobe-c', 'filled', { filled_qty: 10, submitted_at: '2025-01-15T15:05:00Z' })];
    expect(matchPlaybooks(facts({ broker: { asked: true, ok: true, error: null, orders } }))).toEqual([]);
  });

  it('reports matches in PLAYBOOK_IDS order (the most urgent first)', () => {
    const m = matchPlaybooks(facts({ heartbeat: null, stateProblems: [{ file: 'state/positions.json', field: 'positions.0.qty', problem: 'Expected number' }], broker: { asked: true, ok: false, error: 'no answer within 3000 ms', orders: [] } }));
    expect(m.map((x) => x.id)).toEqual(['telemetry_corruption', 'brain_down', 'broker_unreachable']);
    expect(PLAYBOOK_IDS.indexOf('telemetry_corruption')).toBeLessThan(PLAYBOOK_IDS.indexOf('brain_down'));
  });
});
