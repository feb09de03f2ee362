// The simulated broker's own books (state/sim/book.json): separate from kobe's ledger, so that
// reconciling against the sim compares two independent records, as with a real broker.
import { z } from 'zod';
import type { StateFileDef } from '../../state/file-def.js';

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
  /** Set on legs (bracket exits, the stop of an OCO): the order they belong to. */
  parent_id: z.string().nullable(),
  /** Bracket legs wait until their parent fills. */
  active: z.boolean(),
  /** Version 1 books: resting orders were checked against sessions from this date on. */
  rest_from: z.string().optional(),
  /** When the order goes live (submitted_at + fill delay); null in version 1 books (= submitted_at). */
  live_at: iso.default(null),
  /** The session path has been matched up to this instant (or matching resumes here after a partial fill). */
  checked_to: iso.default(null),
  replaces: z.string().nullable().default(null),
  replaced_by: z.string().nullable().default(null),
  /** A requested cancel takes effect here (pending_cancel until then; the order can still fill). */
  cancel_at: iso.default(null),
});
export type SimOrder = z.infer<typeof SimOrderSchema>;

export const SimBookFile: StateFileDef<SimBook, unknown> = {
  name: 'sim/book.json',
  schema: z.strictObject({
    // Version 2 added live_at/checked_to/replaces/replaced_by with defaults: a version 1 book loads.
    version: z.union([z.literal(1), z.literal(2)]).transform((): 2 => 2),
    created_at: z.string(),
    starting_cash: num,
    cash: num,
    next_id: z.number().int().min(1),
    positions: z.record(z.string(), z.strictObject({ qty: num, avg_entry_price: num })),
    orders: z.array(SimOrderSchema),
  }) as unknown as z.ZodType<SimBook, z.ZodTypeDef, unknown>,
  // Never used to trade: the sim broker creates its book with the configured starting cash.
  initial: () => ({ version: 2, created_at: '1970-01-01T00:00:00Z', starting_cash: 0, cash: 0, next_id: 1, positions: {}, orders: [] }),
};

/** The sim broker's whole book. */
export interface SimBook {
  version: 2;
  created_at: string;
  starting_cash: number;
  cash: number;
  next_id: number;
  positions: Record<string, { qty: number; avg_entry_price: number }>;
  orders: SimOrder[];
}
