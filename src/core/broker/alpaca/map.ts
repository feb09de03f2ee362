// Alpaca's wire JSON -> the Broker port's reports, under zod. The API sends money and quantities as
// numeric strings ("qty":"10"); they are converted here with a strict decimal grammar. The SDK's
// `values.toNumber` is not used: it maps "" to undefined but " " to 0 and accepts "Infinity" and
// "0x10". A missing or unparseable required field is a BrokerDataError naming the field, never 0.
// Timestamps arrive with offsets ("2025-01-14T16:00:00-05:00") and leave as UTC ISO strings.
import { z } from 'zod';
import type { AccountReport, BrokerOrderStatus, CalendarDay, ClockReport, OrderReport, OrderUpdateEvent, PositionReport } from '../../ports/broker.js';
import type { Quote } from '../../ports/quotes.js';
import { BrokerDataError } from './errors.js';

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

/** A numeric string (or a JSON number) as a finite number; anything else is an issue, never 0. */
const decimal = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const n = typeof v === 'number' ? v : DECIMAL.test(v) ? Number(v) : NaN;
  if (!Number.isFinite(n)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a number: ${JSON.stringify(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return n;
});
const optDecimal = decimal.nullable().optional().transform((v) => v ?? null);

const instant = z.string().transform((v, ctx) => {
  const t = Date.parse(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || Number.isNaN(t)) {
    ctx.addIssue({ code: z.ZodIssueCode.custom, message: `not a timestamp: ${JSON.stringify(v).slice(0, 40)}` });
    return z.NEVER;
  }
  return new Date(t).toISOString();
});
const optInstant = instant.nullable().optional().transform((v) => v ?? null);

const STATUSES = ['new', 'accepted', 'pending_new', 'accepted_for_bidding', 'partially_filled', 'filled', 'done_for_day', 'canceled', 'expired', 'replaced', 'pending_cancel', 'pending_replace', 'stopped', 'rejected', 'suspended', 'calculated', 'held'] as const satisfies readonly BrokerOrderStatus[];

interface WireOrderOut extends Omit<OrderReport, 'legs'> {
  legs: WireOrderOut[];
}

const OrderWire: z.ZodType<WireOrderOut, z.ZodTypeDef, unknown> = z.lazy(() =>
  z
    .object({
      id: z.string().min(1),
      client_order_id: z.string().min(1),
      symbol: z.string().min(1),
      side: z.enum(['buy', 'sell']),
      type: z.enum(['market', 'limit', 'stop', 'stop_limit', 'trailing_stop']),
      time_in_force: z.enum(['day', 'gtc', 'ioc', 'fok', 'opg', 'cls']),
      // A notional (dollar) order has qty null and notional set; one of the two must be there.
      qty: optDecimal,
      notional: optDecimal,
      filled_qty: decimal,
      filled_avg_price: optDecimal,
      limit_price: optDecimal,
      stop_price: optDecimal,
      trail_price: optDecimal,
      trail_percent: optDecimal,
      status: z.enum(STATUSES),
      // Alpaca sends "" for a simple order.
      order_class: z.string().nullable().optional().transform((v) => (v ? v : 'simple')),
      submitted_at: optInstant,
      filled_at: optInstant,
      canceled_at: optInstant,
      updated_at: optInstant,
      replaces: z.string().min(1).nullable().optional().transform((v) => v ?? null),
      replaced_by: z.string().min(1).nullable().optional().transform((v) => v ?? null),
      legs: z.array(OrderWire).nullable().optional().transform((v) => v ?? []),
    })
    .superRefine((o, ctx) => {
      if (o.qty === null && o.notional === null) ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['qty'], message: 'neither qty nor notional is set' });
    }),
);

const PositionWire = z.object({
  symbol: z.string().min(1),
  qty: decimal,
  avg_entry_price: decimal,
  current_price: optDecimal,
  market_value: optDecimal,
  unrealized_pl: optDecimal,
});

const AccountWire = z.object({
  id: z.string().min(1),
  status: z.string().min(1),
  currency: z.string().min(1),
  cash: decimal,
  equity: decimal,
  buying_power: decimal,
  last_equity: decimal,
  trading_blocked: z.boolean(),
  account_blocked: z.boolean(),
  // Deprecated by Alpaca (sunset 2026-07-06): absent is "no PDT flag", junk is still an error.
  pattern_day_trader: z.boolean().optional().default(false),
  daytrade_count: z.number().int().min(0).optional().default(0),
});

const ClockWire = z.object({ timestamp: instant, is_open: z.boolean(), next_open: instant, next_close: instant });

const CalendarWire = z.object({
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD'),
  open: z.string().regex(/^\d{2}:\d{2}$/, 'expected HH:MM'),
  close: z.string().regex(/^\d{2}:\d{2}$/, 'expected HH:MM'),
});

const CancelResultWire = z.object({ id: z.string().min(1), status: z.number().int(), body: z.unknown().optional() });

/** One per-order result of DELETE /v2/orders (HTTP 207). */
export interface CancelResult {
  id: string;
  status: number;
  body?: unknown;
}

function parse<T>(schema: z.ZodType<T, z.ZodTypeDef, unknown>, raw: unknown, what: string): T {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const field = issue.path.reduce<string>((acc, p) => (typeof p === 'number' ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '') || '(root)';
  const problem = valueAt(raw, issue.path) === undefined ? 'missing' : issue.message;
  return fail(what, field, problem);
}

function valueAt(raw: unknown, path: ReadonlyArray<string | number>): unknown {
  let v = raw;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

function fail(what: string, field: string, problem: string): never {
  throw new BrokerDataError(`Alpaca sent an unreadable ${what}: field ${field}: ${problem}`, {
    hint: 'nothing was assumed from it (a missing or junk value is never read as 0); retry, and report it if it persists',
    details: { what, field, problem },
  });
}

/** An order from the wire; throws BrokerDataError naming the first bad field. */
export function toOrder(raw: unknown): OrderReport {
  return parse(OrderWire, raw, 'order');
}

const UpdateWire = z.object({
  event: z.string().min(1),
  order: OrderWire,
  execution_id: z.string().min(1).nullable().optional().transform((v) => v ?? null),
  timestamp: optInstant,
});

/** One `trade_updates` event's data from the stream; throws BrokerDataError naming the first bad field. */
export function toOrderUpdate(raw: unknown): OrderUpdateEvent {
  const u = parse(UpdateWire, raw, 'order update');
  return { event: u.event, order: u.order, execution_id: u.execution_id, at: u.timestamp };
}

/** A list of orders from the wire. */
export function toOrders(raw: unknown): OrderReport[] {
  return parse(z.array(OrderWire), raw, 'order list');
}

/** Open positions from the wire. */
export function toPositions(raw: unknown): PositionReport[] {
  return parse(z.array(PositionWire), raw, 'position list');
}

/** The account from the wire. */
export function toAccount(raw: unknown): AccountReport {
  return parse(AccountWire, raw, 'account');
}

/** The market clock from the wire, as UTC ISO instants. */
export function toClock(raw: unknown): ClockReport {
  return parse(ClockWire, raw, 'clock');
}

/** Calendar sessions from the wire, limited to [start, end] whatever the server's reading of them. */
export function toCalendar(raw: unknown, start: string, end: string): CalendarDay[] {
  return parse(z.array(CalendarWire), raw, 'calendar').filter((d) => d.date >= start && d.date <= end);
}

/** The per-order results of a cancel-all. */
export function toCancelResults(raw: unknown): CancelResult[] {
  return parse(z.array(CancelResultWire), raw, 'cancel-all result');
}

/** A number for the wire: a plain decimal string without float noise (0.1 + 0.2 -> "0.3"). */
export function wireDecimal(n: number): string {
  return String(Number(n.toFixed(6)));
}

// Market data sends prices as JSON numbers. 0 (or no field) means "no active bid/ask" (spec); a
// string, a negative or a non-finite value is junk.
const quotePrice = z.union([z.number().nonnegative().finite(), z.null()]).optional();
const QuoteWire = z.object({ bp: quotePrice, ap: quotePrice, t: instant });
const LatestQuotesWire = z.object({ quotes: z.record(z.string(), z.unknown()).nullable().optional() });

/**
 * The quote for `symbol` from GET /v2/stocks/quotes/latest: null when Alpaca has no usable
 * two-sided quote (symbol absent, bid or ask 0 or missing, crossed); junk is a BrokerDataError.
 */
export function toQuote(raw: unknown, symbol: string): Quote | null {
  const body = parse(LatestQuotesWire, raw, 'latest quotes answer');
  const entry = body.quotes?.[symbol];
  if (entry === undefined || entry === null) return null;
  const q = parse(QuoteWire, entry, `quote for ${symbol}`);
  const bid = q.bp ?? 0;
  const ask = q.ap ?? 0;
  if (!(bid > 0) || !(ask > 0) || bid > ask) return null;
  return { symbol, bid, ask, ts: q.t };
}
