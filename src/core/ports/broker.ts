// The Broker port (ARCHITECTURE section 4). Both adapters (sim, alpaca) return these reports, so
// reconcile and the submit path are generic. Money and quantities are numbers here: adapters
// convert the vendor's numeric strings in their `map` and treat junk as a broker error, never 0.

export type Side = 'buy' | 'sell';
export type OrderType = 'market' | 'limit' | 'stop' | 'stop_limit' | 'trailing_stop';
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
  /** 'oco': a sell limit (take_profit) and a sell stop (stop_loss) where one fill cancels the other. */
  order_class?: 'simple' | 'bracket' | 'oto' | 'oco';
  take_profit?: { limit_price: number } | null;
  stop_loss?: { stop_price: number } | null;
}

/** What a replace may change (Alpaca's PATCH /v2/orders/{id}); the old order ends as `replaced`. */
export interface ReplaceRequest {
  qty?: number;
  limit_price?: number;
  stop_price?: number;
  time_in_force?: TimeInForce;
  /** The new order's client id (a replace makes a new order). */
  client_order_id?: string;
}

/** An order as the broker reports it. */
export interface OrderReport {
  id: string;
  client_order_id: string;
  symbol: string;
  side: Side;
  type: OrderType;
  time_in_force: TimeInForce;
  /** Null for a notional (dollar amount) order. */
  qty: number | null;
  notional: number | null;
  filled_qty: number;
  filled_avg_price: number | null;
  limit_price: number | null;
  stop_price: number | null;
  trail_price: number | null;
  trail_percent: number | null;
  status: BrokerOrderStatus;
  order_class: string;
  submitted_at: string | null;
  filled_at: string | null;
  canceled_at: string | null;
  updated_at: string | null;
  /** Set on an order that replaced another, and on the one it replaced. */
  replaces: string | null;
  replaced_by: string | null;
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
  /** Orders submitted strictly after / before these instants (UTC ISO); pages with `until`. */
  after?: string;
  until?: string;
  direction?: 'asc' | 'desc';
  symbols?: string[];
}

/** One event of the broker's order stream (Alpaca's `trade_updates`). */
export interface OrderUpdateEvent {
  /** new, fill, partial_fill, canceled, expired, rejected, replaced, pending_cancel, ... */
  event: string;
  order: OrderReport;
  /** The broker's execution id for fills, when it sends one. */
  execution_id: string | null;
  at: string | null;
}

/** A running subscription to the order stream. */
export interface OrderStream {
  close(): Promise<void>;
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
  /** Replace an open order (qty/prices); only the submit path holds a permit. */
  replaceOrder(id: string, req: ReplaceRequest, permit: SubmitPermit): Promise<OrderReport>;
  /** Follow order updates as they happen (Alpaca's trade_updates); absent where polling is the only way. */
  streamOrderUpdates?(onEvent: (e: OrderUpdateEvent) => void, onState?: (state: 'connected' | 'disconnected', detail?: string) => void): Promise<OrderStream>;
  /** Ask the broker to cancel every open order; returns the orders it acted on. */
  cancelAllOrders(): Promise<OrderReport[]>;
  clock(): Promise<ClockReport>;
  calendar(start: string, end: string): Promise<CalendarDay[]>;
}
