// map.ts: Alpaca's numeric strings become numbers; junk or a missing required field is an error
// naming the field, never 0; offsets become UTC.
import { describe, expect, it } from '@jest/globals';
import { BrokerDataError } from '../../../src/core/broker/alpaca/errors.js';
import { toAccount, toCalendar, toClock, toOrder, toPositions, wireDecimal } from '../../../src/core/broker/alpaca/map.js';

const wireOrder = (o: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: '7b08df51-c1ac-453c-99f9-323a5f075f0d', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry', symbol: 'AAPL', side: 'buy', type: 'limit',
  time_in_force: 'ioc', qty: '10', filled_qty: '0', filled_avg_price: null, limit_price: '150.25', stop_price: null, status: 'accepted',
  order_class: '', submitted_at: '2025-01-14T16:00:00.123456789Z', filled_at: null, canceled_at: null, updated_at: '2025-01-14T11:00:00-05:00', legs: null, notional: null,
  ...o,
});

function thrown(fn: () => unknown): BrokerDataError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(BrokerDataError);
    return err as BrokerDataError;
  }
  throw new Error('expected a BrokerDataError');
}

describe('orders', () => {
  it('converts numeric strings, "" order class and offsets', () => {
    expect(toOrder(wireOrder())).toEqual({
      id: '7b08df51-c1ac-453c-99f9-323a5f075f0d', client_order_id: 'kobe-20250114-AAPL-buy-ibsrsi-entry', symbol: 'AAPL', side: 'buy', type: 'limit',
      time_in_force: 'ioc', qty: 10, filled_qty: 0, filled_avg_price: null, limit_price: 150.25, stop_price: null, status: 'accepted', order_class: 'simple',
      submitted_at: '2025-01-14T16:00:00.123Z', filled_at: null, canceled_at: null, updated_at: '2025-01-14T16:00:00.000Z', legs: [],
      notional: null, trail_price: null, trail_percent: null, replaces: null, replaced_by: null,
    });
  });

  it.each([
    ['qty', 'abc', /field qty: not a number: "abc"/],
    ['qty', ' ', /field qty: not a number/],
    ['qty', '', /field qty: not a number/],
    ['filled_qty', 'Infinity', /field filled_qty: not a number/],
    ['limit_price', '0x10', /field limit_price: not a number/],
    ['filled_avg_price', '1e3x', /field filled_avg_price: not a number/],
    ['status', 'pending_review', /field status/],
    ['submitted_at', 'yesterday', /field submitted_at: not a timestamp/],
  ])('refuses %s = %j', (field, value, message) => {
    expect(thrown(() => toOrder(wireOrder({ [field]: value }))).message).toMatch(message);
  });

  it('a missing required field is named as missing', () => {
    const w = wireOrder();
    delete w.filled_qty;
    const err = thrown(() => toOrder(w));
    expect(err.message).toMatch(/unreadable order: field filled_qty: missing/);
    expect(err.details).toMatchObject({ field: 'filled_qty', problem: 'missing' });
  });

  it('a null quantity without a notional is refused, not read as 0', () => {
    expect(thrown(() => toOrder(wireOrder({ qty: null }))).message).toMatch(/field qty/);
  });

  it('nested legs are mapped and their junk names the path', () => {
    expect(toOrder(wireOrder({ order_class: 'bracket', legs: [wireOrder({ id: 'leg-1', side: 'sell' })] })).legs.map((l) => l.id)).toEqual(['leg-1']);
    expect(thrown(() => toOrder(wireOrder({ legs: [wireOrder({ qty: 'x' })] }))).message).toMatch(/field legs\[0\]\.qty/);
  });
});

describe('account, positions, clock, calendar', () => {
  const account = { id: 'a-1', status: 'ACTIVE', currency: 'USD', cash: '1000.5', equity: '1200', buying_power: '1000.5', last_equity: '1100', trading_blocked: false, account_blocked: false };

  it('the account: deprecated PDT fields may be absent, money may not', () => {
    expect(toAccount(account)).toEqual({ ...account, cash: 1000.5, equity: 1200, buying_power: 1000.5, last_equity: 1100, pattern_day_trader: false, daytrade_count: 0 });
    const { equity: _e, ...noEquity } = account;
    expect(thrown(() => toAccount(noEquity)).message).toMatch(/field equity: missing/);
    const { trading_blocked: _t, ...noFlag } = account;
    expect(thrown(() => toAccount(noFlag)).message).toMatch(/field trading_blocked: missing/);
  });

  it('positions name the index of a bad row', () => {
    const p = { symbol: 'AAPL', qty: '5', avg_entry_price: '100', current_price: '101', market_value: '505', unrealized_pl: '5' };
    expect(toPositions([p])).toEqual([{ symbol: 'AAPL', qty: 5, avg_entry_price: 100, current_price: 101, market_value: 505, unrealized_pl: 5 }]);
    expect(thrown(() => toPositions([p, { ...p, avg_entry_price: 'n/a' }])).message).toMatch(/position list: field \[1\]\.avg_entry_price/);
  });

  it('the clock is returned in UTC', () => {
    expect(toClock({ timestamp: '2025-06-24T14:15:22-04:00', is_open: true, next_open: '2025-06-25T09:30:00-04:00', next_close: '2025-06-24T16:00:00-04:00' })).toEqual({
      timestamp: '2025-06-24T18:15:22.000Z', is_open: true, next_open: '2025-06-25T13:30:00.000Z', next_close: '2025-06-24T20:00:00.000Z',
    });
    expect(thrown(() => toClock({ timestamp: 'now', is_open: true, next_open: 'x', next_close: 'y' })).message).toMatch(/field timestamp/);
  });

  it('the calendar keeps only the asked range and checks its shapes', () => {
    const day = (date: string) => ({ date, open: '09:30', close: '16:00', session_open: '0400', session_close: '2000', settlement_date: date });
    expect(toCalendar([day('2025-01-10'), day('2025-01-13'), day('2025-01-14')], '2025-01-13', '2025-01-14')).toEqual([
      { date: '2025-01-13', open: '09:30', close: '16:00' },
      { date: '2025-01-14', open: '09:30', close: '16:00' },
    ]);
    expect(thrown(() => toCalendar([{ ...day('2025-01-13'), close: '4pm' }], '2025-01-13', '2025-01-13')).message).toMatch(/field \[0\]\.close/);
  });
});

describe('wireDecimal', () => {
  it('writes plain decimals without float noise', () => {
    expect(wireDecimal(0.1 + 0.2)).toBe('0.3');
    expect(wireDecimal(10)).toBe('10');
    expect(wireDecimal(101.25)).toBe('101.25');
  });
});
