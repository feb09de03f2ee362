// The Broker port (ARCHITECTURE section 4). Both adapters (sim, alpaca) return these reports, so
// reconcile and the submit path are generic. Money and quantities are numbers here: adapters
// convert the vendor's numeric strings in their `map` and treat junk as a broker error, never 0.

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit';
export type TimeInForce = 'day' | 'gtc' | 'ioc' | 'fok' | 'opg' | 'cls';

/** Alpaca's order statuses; the sim broker uses the same words. */
export type BrokerOrderStatus =
  | 'new' | 'accepted' | 'pending_new' | 'accepted_for_bidding' | 'partially_filled' | 'filled'
  | 'done_for_day' | 'canceled' | 'expired' | 'replaced' | 'pending_cancel' | 'pending_replace'
  | 'stopped' | 'rejected' | 'suspended' | 'calculated' | 'held';

/** Statuses after which an order can no longer change. */
export const TERMINAL_STATUSES: ReadonlySet<BrokerOrderStatus> = new Set(['filled', 'canceled', 'expired', 'replaced', 'rejected', 'done_for_day', 'stopped', 'suspended']);

/** True when an order can no longer fill or be cancelled. */
export function isTerminal(status: BrokerOrderStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

/** An order as sent to a broker (only the submit path builds these). */
export interface OrderRequest {
  client_order_id: string;
  symbol: string;
  side: Side;
  qty: number;
  type: OrderType;
  time_in_force: TimeInForce;
  limit_price?: number | null;
  stop_price?: number | null;
  order_class?: 'simple' | 'bracket' | 'oto' | 'oco';
  take_profit?: { limit_price: number } | null;
  stop_loss?: { stop_price: number } | null;
}

/** An order as the broker reports it. */
export interface OrderReport {
  id: string;
  client_order_id: string;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  qty: number;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  status: BrokerOrderStatus;
  order_class: string;
  submitted_at: string | null;
  filled_at: string | null;
  canceled_at: string | null;
  updated_at: string | null;
  legs: OrderReport[];
}

/** A position as the broker reports it. */
export interface PositionReport {
  symbol: string;
  qty: number;
  avg_entry_price: number;
  current_price: number | null;
  market_value: number | null;
  unrealized_pl: number | null;
}

/** The account as the broker reports it. */
export interface AccountReport {
  id: string;
  status: string;
  currency: string;
  cash: number;
  equity: number;
  buying_power: number;
  last_equity: number;
  pattern_day_trader: boolean;
  trading_blocked: boolean;
  account_blocked: boolean;
  daytrade_count: number;
}

/** The broker's market clock. */
export interface ClockReport {
  timestamp: string;
  is_open: boolean;
  next_open: string;
  next_close: string;
}

/** One session of the broker's calendar. */
export interface CalendarDay {
  date: string;
  open: string;
  close: string;
}

/** Which orders to list. */
export interface ListOrdersQuery {
  status: 'open' | 'closed' | 'all';
  limit?: number;
  after?: string;
  symbols?: string[];
}

/**
 * Proof that the caller is the submit path. Only src/core/oms/submit.ts can make one, so no other
 * code can place an order (test/unit/oms/choke-point.test.ts checks the source tree too).
 */
export interface SubmitPermit {
  readonly __submitPermit: unique symbol;
}

/** A broker: account, positions, orders, clock and calendar. */
export interface Broker {
  readonly name: 'sim' | 'alpaca';
  /** Where orders go: 'sim', or the resolved REST host. */
  readonly host: string;
  account(): Promise<AccountReport>;
  positions(): Promise<PositionReport[]>;
  /** Place an order; only the submit path holds a permit. */
  submitOrder(req: OrderRequest, permit: SubmitPermit): Promise<OrderReport>;
  getOrder(id: string): Promise<OrderReport | null>;
  getOrderByClientId(clientOrderId: string): Promise<OrderReport | null>;
  listOrders(q: ListOrdersQuery): Promise<OrderReport[]>;
  cancelOrder(id: string): Promise<void>;
  /** Ask the broker to cancel every open order; returns the orders it acted on. */
  cancelAllOrders(): Promise<OrderReport[]>;
  clock(): Promise<ClockReport>;
  calendar(start: string, end: string): Promise<CalendarDay[]>;
}
