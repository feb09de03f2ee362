// Reconcile (SPEC section 5): compare the broker's positions and open orders with kobe's ledger
// and idempotency store, and plan fixes that take the broker as the truth. Planning is pure; the
// same plan object is what `--fix` applies (plan/apply, as NautilusTrader reconciles).
import type { OrderReport, PositionReport } from '../ports/broker.js';
import type { IdempotencyRecord, PositionEntry } from '../state/schemas.js';
import { recordedSplit, splitName, splitRatio } from './split.js';

export const DISCREPANCY_TYPES = ['SHORT_POSITION', 'MISSING_IN_BROKER', 'MISSING_LOCALLY', 'FOREIGN', 'SPLIT_ADJUSTED', 'QUANTITY_MISMATCH', 'PRICE_MISMATCH', 'ORPHAN_ORDER', 'UNRESOLVED_ORDER', 'NO_EXIT_PLAN', 'NO_PROTECTIVE_STOP'] as const;
export type DiscrepancyType = (typeof DISCREPANCY_TYPES)[number];

/** One difference between the broker and kobe's records. */
export interface Discrepancy {
  type: DiscrepancyType;
  symbol: string | null;
  severity: 'critical' | 'high' | 'medium';
  detail: string;
  action: string;
  /** USD value of the difference, for the K8 trigger. */
  notional: number;
  client_order_id?: string;
}

/** What reconcile looks at. */
export interface ReconcileInput {
  brokerPositions: PositionReport[];
  brokerOpenOrders: OrderReport[];
  ledger: PositionEntry[];
  store: Record<string, IdempotencyRecord>;
  /** Splits the bar store's index recorded, per symbol (only named in the detail). */
  splits?: Record<string, ReadonlyArray<{ date: string; ratio: number }>>;
}

const PRICE_TOLERANCE = 0.01;

/** Every discrepancy, in a stable order (type, then symbol). */
export function findDiscrepancies(x: ReconcileInput): Discrepancy[] {
  const out: Discrepancy[] = [];
  // kobe is long-only: a short is never adopted into the ledger; close-all covers it.
  for (const p of x.brokerPositions.filter((b) => b.qty < 0)) {
    out.push({ type: 'SHORT_POSITION', symbol: p.symbol, severity: 'critical', detail: `the broker holds ${p.qty} ${p.symbol} (short); kobe is long-only`, action: 'cover it: kobe close-all --yes (or by hand)', notional: Math.abs(p.qty) * (p.current_price ?? p.avg_entry_price) });
  }
  const broker = new Map(x.brokerPositions.filter((p) => p.qty > 0).map((p) => [p.symbol, p]));
  const ledger = new Map(x.ledger.filter((p) => p.qty !== 0).map((p) => [p.symbol, p]));
  for (const [sym, l] of ledger) {
    const b = broker.get(sym);
    const px = b?.current_price ?? l.avg_price;
    if (!b) {
      out.push({ type: 'MISSING_IN_BROKER', symbol: sym, severity: 'critical', detail: `ledger holds ${l.qty} ${sym}, the broker holds none (ghost)`, action: 'remove the ledger entry (kobe reconcile --fix)', notional: Math.abs(l.qty) * px });
      continue;
    }
    // One split, not two mismatches: the same holding in other units (no K8 notional).
    const split = splitRatio(l.qty, l.avg_price, b.qty, b.avg_entry_price);
    if (split) {
      const seen = recordedSplit(x.splits?.[sym], l.entry_date, split);
      const by = seen ? `; the data provider recorded a ${splitName(split)} split on ${seen.date}` : '';
      out.push({ type: 'SPLIT_ADJUSTED', symbol: sym, severity: 'high', detail: `${splitName(split)} split: ledger ${l.qty} @ ${l.avg_price.toFixed(2)} -> broker ${b.qty} @ ${b.avg_entry_price.toFixed(2)}${by}`, action: `kobe reconcile --fix --yes rescales qty, stop, target and the resting stop; \`kobe data prefetch --symbols ${sym}\` re-fetches its adjusted history (the evening refresh also does)`, notional: 0 });
    } else {
      if (b.qty !== l.qty) out.push({ type: 'QUANTITY_MISMATCH', symbol: sym, severity: 'critical', detail: `broker ${b.qty}, ledger ${l.qty}`, action: 'set the ledger quantity to the broker\'s', notional: Math.abs(b.qty - l.qty) * px });
      if (l.avg_price > 0 && Math.abs(b.avg_entry_price - l.avg_price) / l.avg_price > PRICE_TOLERANCE) {
        out.push({ type: 'PRICE_MISMATCH', symbol: sym, severity: 'medium', detail: `broker avg ${b.avg_entry_price}, ledger ${l.avg_price} (> 1%)`, action: 'set the ledger average price to the broker\'s', notional: Math.abs(b.avg_entry_price - l.avg_price) * Math.abs(b.qty) });
      }
    }
    if (l.stop === null || l.time_stop_bars === null) out.push({ type: 'NO_EXIT_PLAN', symbol: sym, severity: 'high', detail: `no ${l.stop === null ? 'stop' : 'time stop'} in the ledger`, action: 'add an exit plan from the strategy (stop 2 x ATR below entry)', notional: 0 });
    // The split fix re-places the stop (brokers cancel or adjust open orders on a split).
    else if (!split && Math.floor(Math.min(b.qty, l.qty) + 1e-9) >= 1 && !protectedAtBroker(x.brokerOpenOrders, sym)) {
      out.push({ type: 'NO_PROTECTIVE_STOP', symbol: sym, severity: 'high', detail: `no stop order rests at the broker for ${sym} (ledger stop ${l.stop})`, action: 'place it: kobe reconcile --fix --yes', notional: 0 });
    }
  }
  const ours = kobeBoughtSymbols(x.store);
  for (const [sym, b] of broker) {
    if (ledger.has(sym)) continue;
    if (!ours.has(sym)) {
      out.push({ type: 'FOREIGN', symbol: sym, severity: 'medium', detail: `broker holds ${b.qty} ${sym} at ${b.avg_entry_price}; kobe never bought it (left alone: no exits, no stop; counted in exposure)`, action: `keep it outside kobe, or adopt it: kobe reconcile --fix --adopt ${sym}`, notional: Math.abs(b.qty) * (b.current_price ?? b.avg_entry_price) });
      continue;
    }
    out.push({ type: 'MISSING_LOCALLY', symbol: sym, severity: 'critical', detail: `broker holds ${b.qty} ${sym} at ${b.avg_entry_price}, the ledger has nothing (orphan)`, action: 'add it to the ledger with an exit plan', notional: Math.abs(b.qty) * (b.current_price ?? b.avg_entry_price) });
  }
  const known = new Set(Object.keys(x.store));
  for (const o of x.brokerOpenOrders) {
    const parent = o.client_order_id.replace(/-(tp|sl)$/, '');
    if (known.has(o.client_order_id) || known.has(parent)) continue;
    const size = o.qty === null ? `$${o.notional ?? '?'} of` : String(o.qty);
    out.push({ type: 'ORPHAN_ORDER', symbol: o.symbol, severity: 'high', detail: `open ${o.side} ${size} ${o.symbol} (${o.type}, ${o.id}, client id ${o.client_order_id}) is not in the store`, action: 'adopt it into the store, or cancel it: kobe orders cancel ' + o.id, notional: o.qty === null ? (o.notional ?? 0) : o.qty * (o.limit_price ?? o.stop_price ?? 0), client_order_id: o.client_order_id });
  }
  for (const r of Object.values(x.store)) {
    if (r.status !== 'PENDING' && r.status !== 'UNKNOWN') continue;
    out.push({ type: 'UNRESOLVED_ORDER', symbol: r.intent.symbol, severity: 'high', detail: `${r.client_order_id} is ${r.status}`, action: 'look it up by client id and record the broker\'s answer', notional: r.intent.qty * (r.intent.limit_price ?? 0), client_order_id: r.client_order_id });
  }
  const order = (t: DiscrepancyType) => DISCREPANCY_TYPES.indexOf(t);
  return out.sort((a, b) => order(a.type) - order(b.type) || (a.symbol ?? '').localeCompare(b.symbol ?? '') || (a.client_order_id ?? '').localeCompare(b.client_order_id ?? ''));
}

/** Symbols some kobe order ever bought: an entry, or a buy adopted into the store. */
export function kobeBoughtSymbols(store: Record<string, IdempotencyRecord>): Set<string> {
  return new Set(Object.values(store).filter((r) => r.intent.side === 'buy' && (r.intent.kind === 'entry' || r.intent.kind === 'adopted')).map((r) => r.intent.symbol));
}

/**
 * Clean means nothing needs a person. A FOREIGN position is reported on every run but does not
 * make the book dirty: kobe leaves it alone and trades around it (the risk gate counts it, as it
 * reads broker positions), so keeping one must not refuse entries forever.
 */
export function isClean(ds: Discrepancy[]): boolean {
  return ds.every((d) => d.type === 'FOREIGN');
}

/** True when an open sell stop (plain, trailing, or the stop leg of an OCO/bracket) rests for `symbol`. */
export function protectedAtBroker(open: OrderReport[], symbol: string): boolean {
  const isStop = (o: OrderReport) => o.side === 'sell' && (o.type === 'stop' || o.type === 'stop_limit' || o.type === 'trailing_stop');
  return open.some((o) => o.symbol === symbol && (isStop(o) || o.legs.some(isStop)));
}

/** Total USD of position differences (K8: reconcile mismatch). */
export function mismatchNotional(ds: Discrepancy[]): number {
  return ds.filter((d) => d.type === 'MISSING_IN_BROKER' || d.type === 'MISSING_LOCALLY' || d.type === 'QUANTITY_MISMATCH' || d.type === 'SHORT_POSITION').reduce((a, d) => a + d.notional, 0);
}
