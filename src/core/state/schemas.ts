// Schemas of the JSON state files (SPEC section 1). Each carries `version`; a file that fails
// its schema is reported with the failing field and is never overwritten.
import { z } from 'zod';
import { SimBookFile } from '../broker/sim/book.js';

const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/, 'expected a UTC ISO timestamp ending in Z');
const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD');
const money = z.number().finite();

import type { StateFileDef } from './file-def.js';

export type { StateFileDef } from './file-def.js';

function def<T, I>(name: string, schema: z.ZodType<T, z.ZodTypeDef, I>, initial: () => NoInfer<T>): StateFileDef<T, I> {
  return { name, schema, initial };
}

export const PositionEntrySchema = z.strictObject({
  symbol: z.string().min(1),
  qty: z.number().finite(),
  avg_price: money,
  strategy: z.string().min(1).nullable(),
  entry_date: day.nullable(),
  stop: money.nullable(),
  target: money.nullable(),
  time_stop_bars: z.number().int().positive().nullable(),
  bars_held: z.number().int().min(0).default(0),
  client_order_id: z.string().nullable().default(null),
  /** Client id of the order resting at the broker that protects this position (stop, or OCO stop + target). */
  protective_client_order_id: z.string().nullable().default(null),
  opened_at: iso.nullable().default(null),
  updated_at: iso.nullable().default(null),
});
export type PositionEntry = z.infer<typeof PositionEntrySchema>;

export const PositionsFile = def(
  'positions.json',
  z.strictObject({
    version: z.literal(1),
    updated_at: iso.nullable(),
    positions: z.array(PositionEntrySchema),
    /** Fill keys already applied to this ledger (recent ones): a re-applied fill changes nothing. */
    applied_fills: z.array(z.string()).default([]),
  }),
  () => ({ version: 1 as const, updated_at: null, positions: [], applied_fills: [] }),
);

export const OrderStatusSchema = z.enum(['PENDING', 'SUBMITTED', 'REJECTED', 'UNKNOWN', 'FILLED', 'PARTIALLY_FILLED', 'CANCELED', 'EXPIRED', 'REPLACED']);
export type OrderStatus = z.infer<typeof OrderStatusSchema>;

export const OrderIntentSchema = z.strictObject({
  session_date: day,
  symbol: z.string().min(1),
  side: z.enum(['buy', 'sell']),
  qty: z.number().positive(),
  type: z.enum(['limit', 'market', 'stop', 'stop_limit', 'trailing_stop']),
  time_in_force: z.enum(['ioc', 'day', 'gtc', 'fok', 'opg', 'cls']),
  limit_price: money.nullable(),
  stop_price: money.nullable().default(null),
  strategy: z.string().min(1),
  kind: z.enum(['entry', 'exit', 'stop', 'target', 'time', 'close', 'manual', 'adopted', 'protect']),
  /** Protective OCO orders: the target leg's limit (the stop is stop_price). */
  target_price: money.nullable().default(null),
});
export type OrderIntentRecord = z.infer<typeof OrderIntentSchema>;

export const IdempotencyRecordSchema = z.strictObject({
  client_order_id: z.string().min(1).max(48),
  intent: OrderIntentSchema,
  status: OrderStatusSchema,
  broker_order_id: z.string().nullable(),
  reason: z.string().nullable(),
  attempts: z.number().int().min(0),
  created_at: iso,
  updated_at: iso,
  filled_qty: z.number().min(0).default(0),
  filled_avg_price: money.nullable().default(null),
  /** Attempt number in the client id (`...-a2`); moves on only after a final attempt with nothing filled. */
  attempt: z.number().int().min(1).default(1),
  /** The broker's own word for the status (accepted, new, pending_cancel, ...). */
  broker_status: z.string().nullable().default(null),
  /** Entries: notional held against the daily/weekly budgets from PENDING until the order is final. */
  reserved_notional: money.min(0).default(0),
  /** Entries: the exit plan the position gets when it fills. */
  plan: z
    .strictObject({ stop: money.nullable(), target: money.nullable(), time_stop_bars: z.number().int().positive().nullable(), signal_price: money.nullable(), signal_date: day.nullable() })
    .nullable()
    .default(null),
  /** Fills applied from this order, keyed by order id + cumulative filled qty; `booked` once ledger and journal have it. */
  fills: z.array(z.strictObject({ key: z.string(), qty: z.number().positive(), price: money, at: iso, booked: z.boolean(), leg: z.enum(['stop', 'target']).nullable().default(null) })).default([]),
  /** When the outcome became unknown (a timeout, a lookup miss): its age is reported, it is never guessed. */
  unknown_since: iso.nullable().default(null),
});
export type IdempotencyRecord = z.infer<typeof IdempotencyRecordSchema>;

export const IdempotencyFile = def(
  'idempotency_store.json',
  z.strictObject({ version: z.literal(1), orders: z.record(z.string(), IdempotencyRecordSchema) }),
  () => ({ version: 1 as const, orders: {} }),
);

export const DailyBudgetFile = def(
  'daily_budget.json',
  z.strictObject({ version: z.literal(1), date: day.nullable(), notional_used: money.min(0), entries: z.number().int().min(0) }),
  () => ({ version: 1 as const, date: null, notional_used: 0, entries: 0 }),
);

export const WeeklyBudgetFile = def(
  'weekly_budget.json',
  z.strictObject({ version: z.literal(1), week_start: day.nullable(), new_exposure: money.min(0), entries_by_day: z.record(day, z.number().int().min(0)) }),
  () => ({ version: 1 as const, week_start: null, new_exposure: 0, entries_by_day: {} }),
);

export const LlmUsageFile = def(
  'llm_token_usage.json',
  z.strictObject({ version: z.literal(1), date: day.nullable(), tokens: z.number().int().min(0), cost_usd: money.min(0), calls: z.number().int().min(0) }),
  () => ({ version: 1 as const, date: null, tokens: 0, cost_usd: 0, calls: 0 }),
);

export const HeartbeatFile = def(
  'heartbeat.json',
  z.strictObject({
    version: z.literal(1),
    ts: iso,
    pid: z.number().int().positive(),
    phase: z.string(),
    last_task: z.string().nullable(),
    last_success: iso.nullable(),
    cycles: z.number().int().min(0),
    last_cycle_ok: z.boolean(),
  }),
  () => ({ version: 1 as const, ts: '1970-01-01T00:00:00Z', pid: 1, phase: 'unknown', last_task: null, last_success: null, cycles: 0, last_cycle_ok: false }),
);

export const LastReconcileFile = def(
  'reconcile/last_reconcile.json',
  z.strictObject({
    version: z.literal(1),
    ts: iso,
    clean: z.boolean(),
    broker: z.string(),
    discrepancies: z.array(z.strictObject({ type: z.string(), symbol: z.string().nullable(), severity: z.string(), detail: z.string(), action: z.string(), notional: z.number().default(0), client_order_id: z.string().optional() })),
    mismatch_notional: z.number().default(0),
    fixed: z.boolean(),
  }),
  () => ({ version: 1 as const, ts: '1970-01-01T00:00:00Z', clean: false, broker: 'none', discrepancies: [], mismatch_notional: 0, fixed: false }),
);

export const LastPreflightFile = def(
  'preflight/last_preflight.json',
  z.strictObject({
    version: z.literal(1),
    ts: iso,
    mode: z.enum(['paper', 'live']),
    go: z.boolean(),
    pin: z.string(),
    rows: z.array(z.strictObject({ name: z.string(), status: z.enum(['ok', 'warn', 'fail', 'skip']), blocking: z.boolean(), detail: z.string(), hint: z.string() })),
  }),
  () => ({ version: 1 as const, ts: '1970-01-01T00:00:00Z', mode: 'paper' as const, go: false, pin: '', rows: [] }),
);

export const RiskVetoesFile = def(
  'risk_vetoes.json',
  z.strictObject({ version: z.literal(1), date: day.nullable(), today: z.record(z.string(), z.number().int().min(0)), total: z.record(z.string(), z.number().int().min(0)) }),
  () => ({ version: 1 as const, date: null, today: {}, total: {} }),
);

export const ApprovalSchema = z.strictObject({
  version: z.literal(1),
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  kind: z.enum(['params', 'live_trading']),
  status: z.enum(['pending', 'approved', 'rejected']),
  created_at: iso,
  created_by: z.string(),
  summary: z.string(),
  decided_at: iso.nullable(),
  decided_by: z.string().nullable(),
  reason: z.string().nullable(),
  /** True only when a person typed the confirmation on a terminal. */
  interactive: z.boolean(),
  /** The config pin the approval was given under (live) or the proposed params (params). */
  pin: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()).nullable(),
});
export type Approval = z.infer<typeof ApprovalSchema>;

/** Every JSON state file `kobe state check` validates. */
export const STATE_FILES: StateFileDef<unknown>[] = [
  PositionsFile,
  IdempotencyFile,
  DailyBudgetFile,
  WeeklyBudgetFile,
  LlmUsageFile,
  HeartbeatFile,
  LastReconcileFile,
  LastPreflightFile,
  RiskVetoesFile,
  SimBookFile,
] as StateFileDef<unknown>[];
