// How the fake Alpaca writes things on the wire (trading-api.json): money and quantities as numeric
// strings, order timestamps in UTC with microseconds, clock times with New York offsets, and the
// {code, message} error envelope.
import { etOffsetMinutes } from '../../../src/core/market/time.js';
import type { FakeOrder } from './book.js';

export const CODES: Record<number, [number, string]> = {
  400: [40010000, 'invalid request'], 401: [40110000, 'request is not authorized'], 403: [40310000, 'forbidden'], 404: [40410000, 'not found'],
  422: [40010001, 'invalid input'], 429: [42910000, 'rate limit exceeded'], 500: [50010000, 'internal server error'], 503: [50310000, 'service unavailable'],
};

/** A number as Alpaca writes it ("10", "100.25"), or null. */
export const money = (n: number | null): string | null => (n === null ? null : String(Math.round(n * 1e9) / 1e9));

/** An order timestamp as Alpaca writes it: UTC with microseconds. */
export const stamp = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');

const pad = (n: number) => String(Math.floor(n)).padStart(2, '0');

/** An instant with New York's offset, as Alpaca writes clock times ("...T11:00:00-05:00"). */
export function isoEt(d: Date): string {
  const off = etOffsetMinutes(d);
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  return `${local}${off < 0 ? '-' : '+'}${pad(Math.abs(off) / 60)}:${pad(Math.abs(off) % 60)}`;
}

/** An order on the wire; `legs` are the wire forms of its legs (null when not nested). */
export function orderWire(o: FakeOrder, legs: object[] | null): object {
  return {
    id: o.id, client_order_id: o.client_order_id, created_at: o.created_at, updated_at: o.updated_at, submitted_at: o.submitted_at,
    filled_at: o.filled_at, expired_at: o.expired_at, canceled_at: o.canceled_at, failed_at: o.failed_at, replaced_at: o.replaced_at,
    replaced_by: o.replaced_by, replaces: o.replaces, asset_id: 'b0b6dd9d-8b9b-48a9-ba46-b9d54906e415', symbol: o.symbol, asset_class: 'us_equity',
    notional: money(o.notional), qty: money(o.qty), filled_qty: money(o.filled_qty), filled_avg_price: money(o.filled_avg_price),
    order_class: o.order_class === 'simple' ? '' : o.order_class, order_type: o.type, type: o.type, side: o.side, time_in_force: o.time_in_force,
    limit_price: money(o.limit_price), stop_price: money(o.stop_price), status: o.status, extended_hours: false, legs,
    trail_percent: money(o.trail_percent), trail_price: money(o.trail_price), hwm: money(o.hwm),
    position_intent: o.side === 'buy' ? 'buy_to_open' : 'sell_to_close', expires_at: null,
  };
}

/** A position on the wire. */
export function positionWire(symbol: string, p: { qty: number; avg: number }, px: number): object {
  return {
    asset_id: '904837e3-3b76-47ec-b432-046db621571b', symbol, exchange: 'NASDAQ', asset_class: 'us_equity', asset_marginable: false,
    qty: money(p.qty), qty_available: money(p.qty), side: 'long', avg_entry_price: money(p.avg), market_value: money(p.qty * px),
    cost_basis: money(p.qty * p.avg), unrealized_pl: money((px - p.avg) * p.qty), unrealized_plpc: money((px - p.avg) / p.avg),
    unrealized_intraday_pl: '0', unrealized_intraday_plpc: '0', current_price: money(px), lastday_price: money(px), change_today: '0',
  };
}

/** The account on the wire. */
export function accountWire(a: { cash: number; equity: number; lastEquity: number; longValue: number; buyingPower: number }): object {
  return {
    id: 'f3e0f8c2-6a44-4a7c-9b7e-000000000001', account_number: 'PA3FAKE0001', status: 'ACTIVE', crypto_status: 'INACTIVE', currency: 'USD',
    cash: money(a.cash), portfolio_value: money(a.equity), equity: money(a.equity), last_equity: money(a.lastEquity), long_market_value: money(a.longValue),
    short_market_value: '0', buying_power: money(a.buyingPower), regt_buying_power: money(a.buyingPower), multiplier: '1',
    pattern_day_trader: false, trading_blocked: false, transfers_blocked: false, account_blocked: false, trade_suspended_by_user: false,
    shorting_enabled: false, daytrade_count: 0, created_at: '2024-01-02T15:04:05.123456Z',
  };
}
