// The Telegram alert sender against a local fake of the Bot API: delivery, rate limiting that
// coalesces, failures logged and never thrown, the token never in the logs, and a send() that
// returns at once however slow Telegram is.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createAlerts, type AlertsOptions } from '../../../src/core/alerts/index.js';
import { MAX_ATTEMPTS } from '../../../src/core/alerts/telegram.js';
import type { DiagLog, Level } from '../../../src/core/log/logger.js';
import { FakeTelegramServer } from '../../fakes/telegram-server.js';

interface Entry {
  level: Level;
  msg: string;
  fields?: Record<string, unknown>;
}

let server: FakeTelegramServer;
let logged: Entry[];
let t: number;
let sleeps: number[];
const log: DiagLog = { log: (level, msg, fields) => void logged.push({ level, msg, fields }) };

beforeEach(async () => {
  server = await new FakeTelegramServer().start();
  logged = [];
  t = 0;
  sleeps = [];
});
afterEach(async () => server.stop());

/** A sender on the fake server; pacing runs on a fake clock whose sleep returns at once. */
const make = (o: Partial<AlertsOptions> = {}) =>
  createAlerts({
    enabled: true, apiBase: server.baseUrl, token: server.token, chatId: '42', minIntervalS: 3, log,
    now: () => t, sleep: async (ms) => void (sleeps.push(ms), (t += ms)), ...o,
  });
const msgs = (level?: Level) => logged.filter((e) => !level || e.level === level).map((e) => e.msg);

describe('Telegram alerts', () => {
  it('delivers one alert as one sendMessage with chat_id and text', async () => {
    const a = make();
    a.send('trade_executed', 'bought 10 AAPL at 187.20', { strategy: 'ibs_rsi', qty: 10 });
    await a.flush(5_000);
    expect(server.messages).toEqual([{ chat_id: '42', text: 'kobe trade executed: bought 10 AAPL at 187.20\nstrategy: ibs_rsi\nqty: 10', message_id: 1 }]);
    expect(server.requests).toEqual([{ path: '/bot<token>/sendMessage', tokenOk: true, status: 200 }]);
    expect(a.stats()).toEqual({ sent: 1, failed: 0, coalesced: 0, dropped: 0, queued: 0 });
    expect(msgs('warn')).toEqual([]);
  });

  it('sends at most one message per min_interval_s and coalesces the rest into a counted summary', async () => {
    const a = make();
    a.send('kill_switch_on', 'K7 3 consecutive broker rejections');
    a.send('error', 'order rejected: insufficient buying power');
    a.send('position_closed', 'MSFT closed at the stop');
    a.send('high_drawdown', 'drawdown 6.1%');
    await a.flush(5_000);
    expect(server.messages.map((m) => m.text.split('\n')[0])).toEqual(['kobe KILL SWITCH ON: K7 3 consecutive broker rejections', 'kobe: 3 alert(s) (rate limited: one message per 3 s)']);
    expect(server.messages[1].text).toContain('1. kobe ERROR: order rejected: insufficient buying power');
    expect(server.messages[1].text).toContain('2. kobe position closed: MSFT closed at the stop');
    expect(server.messages[1].text).toContain('3. kobe HIGH DRAWDOWN: drawdown 6.1%');
    expect(sleeps).toEqual([3_000]);
    expect(a.stats()).toMatchObject({ sent: 2, coalesced: 3, failed: 0 });
    expect(logged.find((e) => e.msg === 'alerts coalesced into one message')?.fields).toMatchObject({ alerts: 3 });
  });

  it('a full queue drops the oldest alerts, counts them and says so in the next message', async () => {
    server.scenario = { delayMs: 100 };
    const a = make({ maxQueue: 2 });
    for (const s of ['A', 'B', 'C', 'D', 'E']) a.send('error', `alert ${s}`);
    await a.flush(5_000);
    expect(server.messages).toHaveLength(2);
    expect(server.messages[1].text).toMatch(/alert D[\s\S]*alert E[\s\S]*2 older alert\(s\) were dropped/);
    expect(server.messages[1].text).not.toMatch(/alert [BC]/);
    expect(a.stats()).toMatchObject({ sent: 2, dropped: 2 });
    expect(msgs('warn')).toContain('alert queue full: oldest alerts dropped');
  });

  it('a refused token (401) is logged, not retried, not thrown', async () => {
    const a = make({ token: '999:wrong-token-value' });
    expect(() => a.send('error', 'x')).not.toThrow();
    await a.flush(5_000);
    expect(server.requests).toHaveLength(1);
    expect(logged.find((e) => e.msg === 'alert not delivered')?.fields).toMatchObject({ status: 401, error_code: 401, description: 'Unauthorized', will_retry: false });
    expect(msgs('error')).toEqual(['alert given up']);
    expect(a.stats()).toMatchObject({ sent: 0, failed: 1 });
  });

  it(`server errors are retried up to ${MAX_ATTEMPTS} attempts, then given up and logged`, async () => {
    server.scenario = { fail: { status: 500, requests: Infinity } };
    const a = make();
    a.send('error', 'x');
    await a.flush(5_000);
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 500]);
    expect(logged.filter((e) => e.msg === 'alert not delivered').map((e) => e.fields?.attempt)).toEqual([1, 2, 3]);
    expect(a.stats()).toMatchObject({ sent: 0, failed: 1 });
  });

  it('429 waits parameters.retry_after before the retry, which is delivered', async () => {
    server.scenario = { fail: { status: 429, requests: 1, retryAfterS: 7 } };
    const a = make();
    a.send('kill_switch_on', 'K1');
    await a.flush(5_000);
    expect(logged.find((e) => e.msg === 'alert not delivered')?.fields).toMatchObject({ status: 429, retry_after: 7, will_retry: true });
    expect(sleeps).toEqual([7_000]);
    expect(server.messages.map((m) => m.text)).toEqual(['kobe KILL SWITCH ON: K1']);
    expect(a.stats()).toMatchObject({ sent: 1, failed: 0 });
  });

  it('never writes the token to the log: the URL is logged with it replaced', async () => {
    server.scenario = { fail: { status: 500, requests: Infinity } };
    const a = make();
    a.send('error', 'x');
    await a.flush(5_000);
    const closed = make({ apiBase: 'http://127.0.0.1:1' });
    closed.send('error', 'y');
    await closed.flush(5_000);
    const text = JSON.stringify(logged);
    expect(logged.length).toBeGreaterThan(3);
    expect(text).not.toContain(server.token);
    expect(text).not.toContain('TEST-token');
    expect(logged.find((e) => e.msg === 'alert not delivered')?.fields?.url).toBe(`${server.baseUrl}/bot[redacted]/sendMessage`);
    expect(logged.some((e) => /ECONNREFUSED|fetch failed/.test(String(e.fields?.error)))).toBe(true);
  });

  it('send() returns at once while Telegram is slow; a slow answer times out and is logged; flush is bounded', async () => {
    server.scenario = { delayMs: 1_500 };
    const a = make({ timeoutMs: 300, now: undefined, sleep: async () => undefined });
    const t0 = performance.now();
    a.send('error', 'slow one');
    const took = performance.now() - t0;
    expect(took).toBeLessThan(50);
    expect(server.requests).toHaveLength(0);
    const f0 = performance.now();
    await a.flush(100);
    expect(performance.now() - f0).toBeLessThan(1_000);
    expect(msgs('warn')).toContain('alerts not flushed in time');
    await a.flush(10_000);
    expect(logged.find((e) => e.msg === 'alert not delivered')?.fields).toMatchObject({ error: 'no answer within 300 ms' });
    expect(server.messages).toEqual([]);
  });

  it('disabled: a no-op that logs "alerts disabled" once, with the reason, and makes no request', async () => {
    const calls: string[] = [];
    const fetchImpl = (async (u: string) => void calls.push(u)) as unknown as typeof fetch;
    const cases: Array<[Partial<AlertsOptions>, string]> = [
      [{ enabled: false }, 'telegram.enabled is false'],
      [{ token: undefined }, 'TELEGRAM_BOT_TOKEN is not set'],
      [{ chatId: '' }, 'TELEGRAM_CHAT_ID is not set'],
    ];
    for (const [o, reason] of cases) {
      logged = [];
      const a = make({ ...o, fetchImpl });
      a.send('error', 'one');
      a.send('kill_switch_on', 'two');
      await a.flush(1_000);
      expect(logged).toEqual([{ level: 'info', msg: 'alerts disabled', fields: { reason, first_kind: 'error' } }]);
    }
    expect(calls).toEqual([]);
    expect(server.requests).toEqual([]);
  });
});
