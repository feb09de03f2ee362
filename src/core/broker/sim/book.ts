// The simulated broker's own books (state/sim/book.json): separate from kobe's ledger, so that
// reconciling against the sim compares two independent records, as with a real broker.
import { z } from 'zod';
import type { StateFileDef } from '../../state/schemas.js';

const num = z.number().finite();
const iso = z.string().nullable();

const SimOrderSchema = z.strictObject({
  id: z.string(),
  client_order_id: z.string(),
  symbol: z.string(),
  side: z.enum(['buy', 'sell']),
  type: z.enum(['market', 'limit', 'stop', 'stop_limit']),
  time_in_force: z.enum(['day', 'gtc', 'ioc', 'fok', 'opg', 'cls']),
  qty: num.positive(),
  filled_qty: num.min(0),
  filled_avg_price: num.nullable(),
  limit_price: num.nullable(),
  stop_price: num.nullable(),
  status: z.string(),
  order_class: z.string(),
  submitted_at: iso,
  filled_at: iso,
  canceled_at: iso,
  updated_at: iso,
  /** Set on bracket legs: the entry order they belong to. */
  parent_id: z.string().nullable(),
  /** Legs wait until their parent fills. */
  active: z.boolean(),
  /** Resting orders are checked against bars of sessions from this date on. */
  rest_from: z.string(),
});
export type SimOrder = z.infer<typeof SimOrderSchema>;

export const SimBookFile: StateFileDef<SimBook> = {
  name: 'sim/book.json',
  schema: z.strictObject({
    version: z.literal(1),
    created_at: z.string(),
    starting_cash: num,
    cash: num,
    next_id: z.number().int().min(1),
    positions: z.record(z.string(), z.strictObject({ qty: num, avg_entry_price: num })),
    orders: z.array(SimOrderSchema),
  }) as unknown as z.ZodType<SimBook, z.ZodTypeDef, unknown>,
  // Never used to trade: the sim broker creates its book with the configured starting cash.
  initial: () => ({ version: 1, created_at: '1970-01-01T00:00:00Z', starting_cash: 0, cash: 0, next_id: 1, positions: {}, orders: [] }),
};

/** The sim broker's whole book. */
export interface SimBook {
  version: 1;
  created_at: string;
  starting_cash: number;
  cash: number;
  next_id: number;
  positions: Record<string, { qty: number; avg_entry_price: number }>;
  orders: SimOrder[];
}
