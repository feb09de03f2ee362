// A full paper day from the binary on the fake Alpaca, with nothing but an Alpaca key (issue 12):
// init, point the home at the venue (the URLs an operator with a real account leaves alone, and
// the key in .env), bars from Alpaca's market data, a first reconcile, preflight GO, an entry
// cycle whose orders the venue accepts and fills later, protective stops resting at the venue, the
// evening refresh, the next session's strategy exit (stop cancelled, position sold), reconcile
// clean, close-all, reconcile clean, no positions. Each step runs under faketime at its ET time
// while the venue's clock follows it and its market runs.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { addSessions } from '../../src/core/market/calendar.js';
import { readTrades } from '../../src/core/trade/journal.js';
import { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import { tempDir, type RunResult } from '../helpers/cli.js';
import { FAKETIME, VenueTime, closeOn, designBars, doc, kobeAt } from '../helpers/paper-day.js';

// Signals at Monday 2025-06-09's close; entries Tuesday 2025-06-10; exits Wednesday 2025-06-11.
// June: New York is UTC-4, so 14:05Z is 10:05 ET.
const FROM = '2015-01-02';
const SIGNAL = '2025-06-09';
const ENTRY = '2025-06-10';
const EXIT = '2025-06-11';
const BARS = {
  AAPL: designBars('dip_then_exit', 150, FROM, SIGNAL, ENTRY),
  MSFT: designBars('dip_then_hold', 120, FROM, SIGNAL, ENTRY),
  XOM: designBars('quiet', 60, FROM, SIGNAL, ENTRY),
};
const SYMBOLS = Object.keys(BARS) as Array<keyof typeof BARS>;
const PICKED = ['AAPL', 'MSFT'];

const title = 'a paper day from the binary on the fake Alpaca';
const why = 'skipped: faketime not found on PATH (the binary has no clock override; install Debian\'s faketime package)';
// Jest does not print the names of a skipped suite: say it.
if (!FAKETIME) console.warn(`${title}: ${why}`);
const suite = FAKETIME ? describe : describe.skip;

suite(FAKETIME ? title : `${title} (${why})`, () => {
  let server: FakeAlpacaServer;
  let time: VenueTime;
  let home: string;
  let cleanup: () => void;

  /** Run one step at `iso`; it must exit `code` and print one JSON document. */
  async function step(name: string, iso: string, args: string[], code = 0): Promise<Record<string, any>> {
    const r: RunResult = await kobeAt(iso, [...args, '--home', home, '--json'], { server, time });
    const d = doc(name, r);
    if (r.code !== code) throw new Error(`${name}: exit ${r.code}, expected ${code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
    expect(d.ok).toBe(code === 0);
    return d;
  }
  const open = () => server.orders.filter((o) => !['filled', 'canceled', 'expired', 'replaced', 'rejected'].includes(o.status));
  const held = () => Object.fromEntries([...server.positions].map(([s, p]) => [s, p.qty]));

  beforeAll(async () => {
    time = new VenueTime(`${ENTRY}T11:00:00Z`);
    const prices = Object.fromEntries(SYMBOLS.map((s) => [s, closeOn(BARS[s], SIGNAL)]));
    server = await new FakeAlpacaServer({ cash: 100_000, prices, now: () => time.now() }).start();
    for (const s of SYMBOLS) server.setBars(s, { ohlc: BARS[s] });
    ({ dir: home, cleanup } = tempDir('kobe-paper-day-'));
  });
  afterAll(async () => {
    await server?.stop();
    cleanup?.();
  });

  it('preflight GO, entries filled later, stops resting, a strategy exit, reconcile clean, close-all: from the binary with only an Alpaca key', async () => {
    // 07:00 ET: a new home. The operator picks the Alpaca broker and Alpaca's bars, and puts the
    // key in .env; only the two URLs point at the fake (a real account keeps the defaults).
    await step('init', `${ENTRY}T11:00:00Z`, ['init']);
    const cfg = path.join(home, 'config', 'base.yaml');
    const shipped = fs.readFileSync(cfg, 'utf8');
    const mine = shipped
      .replace(/^(\s+name:) sim\b/m, '$1 alpaca')
      .replace(/^(\s+provider:) polygon\b/m, '$1 alpaca')
      .replace('base_url: https://paper-api.alpaca.markets', `base_url: ${server.baseUrl}`)
      .replace('data_url: https://data.alpaca.markets', `data_url: ${server.baseUrl}`);
    expect(mine.split('\n').filter((l, i) => l !== shipped.split('\n')[i])).toHaveLength(4);
    fs.writeFileSync(cfg, mine);
    const envFile = path.join(home, '.env');
    fs.writeFileSync(envFile, fs.readFileSync(envFile, 'utf8').replace(/^ALPACA_API_KEY_ID=$/m, `ALPACA_API_KEY_ID=${server.keyId}`).replace(/^ALPACA_API_SECRET_KEY=$/m, `ALPACA_API_SECRET_KEY=${server.secret}`));
    expect(fs.readFileSync(envFile, 'utf8')).toMatch(/^POLYGON_API_KEY=$/m);

    // 07:01 ET: ten years of bars from Alpaca through Monday's close; the universe is what was stored.
    const pre = await step('prefetch', `${ENTRY}T11:01:00Z`, ['data', 'prefetch', '--symbols', SYMBOLS.join(','), '--provider', 'alpaca']);
    expect(pre.source).toBe('alpaca');
    expect(pre.symbols.map((r: any) => [r.symbol, r.status, r.last])).toEqual(SYMBOLS.map((s) => [s, 'fetched', SIGNAL]));
    expect(pre.wrote_universe).toMatchObject({ symbols: 3, config_updated: true });

    // 07:02 ET: the first reconcile against the account (empty on both sides).
    const rec0 = await step('reconcile (first)', `${ENTRY}T11:02:00Z`, ['reconcile']);
    expect(rec0).toMatchObject({ broker: 'alpaca', clean: true, discrepancies: [] });

    // 09:50 ET, market open: GO, every blocking row passes, quotes and the broker calendar included.
    const pf = await step('preflight', `${ENTRY}T13:50:00Z`, ['preflight', '--mode', 'paper']);
    expect(pf.go).toBe(true);
    const rows = Object.fromEntries(pf.rows.map((r: any) => [r.name, r]));
    expect(pf.rows.filter((r: any) => r.status === 'fail')).toEqual([]);
    for (const name of ['keys_present', 'broker_account', 'broker_clock', 'broker_calendar', 'quotes', 'data_fresh', 'reconcile', 'open_orders', 'state_files']) expect([name, rows[name]?.status]).toEqual([name, 'ok']);
    expect(rows.quotes.detail).toMatch(/from Alpaca market data, feed iex/);
    expect(rows.broker_calendar.detail).toMatch(/agree with kobe's calendar/);
    expect(rows.data_fresh.detail).toBe(`3 symbols through ${SIGNAL}`);

    // 10:05 ET, first window: the scan of Monday picks the two dips; each limit IOC entry is
    // answered `accepted` and fills on a later tick of the venue; then each gets its stop.
    const posts = () => server.requests.filter((q) => q.method === 'POST' && q.path === '/v2/orders').length;
    const t1 = await step('trade (entries)', `${ENTRY}T14:05:00Z`, ['trade', '--once']);
    expect(t1).toMatchObject({ session: ENTRY, source: 'scan', picks: 2, exits: [] });
    expect(t1.outcomes.map((o: any) => [o.symbol, o.strategy, o.status, o.filled_qty === o.qty && o.qty > 0]).sort()).toEqual(PICKED.map((s) => [s, 'ibs_rsi', 'FILLED', true]));
    expect(t1.protection.map((p: any) => [p.symbol, p.action]).sort()).toEqual(PICKED.map((s) => [s, 'placed']));
    expect(posts()).toBe(4);
    const entries = server.orders.filter((o) => o.side === 'buy');
    expect(entries.map((o) => [o.symbol, o.type, o.time_in_force, o.status]).sort()).toEqual(PICKED.map((s) => [s, 'limit', 'ioc', 'filled']));
    const qty = Object.fromEntries(t1.outcomes.map((o: any) => [o.symbol, o.qty]));
    expect(held()).toEqual(qty);
    // The stops rest at the venue: sell stop GTC for what was filled, live (`new`) after the venue's tick.
    expect(open().map((o) => [o.symbol, o.side, o.type, o.time_in_force, o.qty, o.status]).sort()).toEqual(PICKED.map((s) => [s, 'sell', 'stop', 'gtc', qty[s], 'new']));

    // 10:10 ET: the operator looks: kobe's store and the venue agree on the resting stops.
    const ord = await step('orders --open', `${ENTRY}T14:10:00Z`, ['orders', '--open']);
    expect(ord.broker_orders.map((o: any) => [o.symbol, o.side, o.type, o.time_in_force, o.status]).sort()).toEqual(PICKED.map((s) => [s, 'sell', 'stop', 'gtc', 'new']));
    expect(ord.store.map((r: any) => [r.intent.symbol, r.intent.kind, r.status, r.broker_status]).sort()).toEqual(PICKED.map((s) => [s, 'protect', 'SUBMITTED', 'new']));
    const pos = await step('positions', `${ENTRY}T14:11:00Z`, ['positions']);
    expect(pos.positions.map((p: any) => [p.symbol, p.qty, p.strategy, p.entry_date, p.time_stop_bars, p.unknown_to_ledger])).toEqual(PICKED.map((s) => [s, qty[s], 'ibs_rsi', ENTRY, 7, false]));
    const stops = Object.fromEntries(pos.positions.map((p: any) => [p.symbol, p.stop]));
    for (const o of open()) expect([o.symbol, o.stop_price]).toEqual([o.symbol, stops[o.symbol]]);
    for (const s of PICKED) expect(stops[s]).toBeLessThan(closeOn(BARS[s as keyof typeof BARS], SIGNAL));
    expect(await step('reconcile (entries)', `${ENTRY}T14:12:00Z`, ['reconcile'])).toMatchObject({ clean: true, discrepancies: [] });

    // 20:30 ET, after the extended session: the evening refresh is incremental (the last five
    // sessions again, for revisions) and brings Tuesday's bar, from the configured provider.
    const eve = await step('prefetch (evening)', `${EXIT}T00:30:00Z`, ['data', 'prefetch', '--universe', 'data/universe/prefetched.csv']);
    expect(eve.source).toBe('alpaca');
    expect(eve.symbols.map((r: any) => [r.symbol, r.status, r.from, r.last])).toEqual(SYMBOLS.map((s) => [s, 'fetched', addSessions(SIGNAL, -5), ENTRY]));

    // Wednesday 10:05 ET: AAPL closed Tuesday at its high (IBS 1): the strategy exit cancels its
    // stop at the venue, then sells it at market. MSFT closed mid-range and holds; no new picks.
    for (const s of SYMBOLS) server.setPrice(s, closeOn(BARS[s], ENTRY));
    const t2 = await step('trade (exits)', `${EXIT}T14:05:00Z`, ['trade', '--once']);
    expect(t2).toMatchObject({ session: EXIT, picks: 0, outcomes: [] });
    expect(t2.exits.map((x: any) => [x.symbol, x.reason, x.status ?? null])).toEqual([['AAPL', 'signal', 'FILLED'], ['MSFT', null, null]]);
    expect(t2.exits[0].detail).toBe('ibs_exit on the last completed bar');
    const aaplStop = server.orders.find((o) => o.symbol === 'AAPL' && o.type === 'stop')!;
    const aaplSell = server.orders.find((o) => o.symbol === 'AAPL' && o.type === 'market')!;
    expect([aaplStop.status, aaplSell.side, aaplSell.qty, aaplSell.status]).toEqual(['canceled', 'sell', qty.AAPL, 'filled']);
    expect(Date.parse(aaplStop.canceled_at!)).toBeLessThanOrEqual(Date.parse(aaplSell.submitted_at));
    expect(held()).toEqual({ MSFT: qty.MSFT });
    expect(open().map((o) => [o.symbol, o.type, o.qty])).toEqual([['MSFT', 'stop', qty.MSFT]]);
    expect(await step('reconcile (exit)', `${EXIT}T14:10:00Z`, ['reconcile'])).toMatchObject({ clean: true, discrepancies: [] });

    // 14:00 ET: close-all cancels the remaining stop, sells MSFT; the book and the venue are empty.
    const ca = await step('close-all', `${EXIT}T18:00:00Z`, ['close-all', '--yes']);
    expect(ca.canceled_orders).toBe(1);
    expect(ca.closes.map((c: any) => [c.symbol, c.qty, c.outcome, c.filled_qty])).toEqual([['MSFT', qty.MSFT, 'FILLED', qty.MSFT]]);
    expect(held()).toEqual({});
    expect(open()).toEqual([]);
    expect(await step('reconcile (closed)', `${EXIT}T18:01:00Z`, ['reconcile'])).toMatchObject({ clean: true, discrepancies: [] });
    expect(await step('positions (closed)', `${EXIT}T18:02:00Z`, ['positions'])).toMatchObject({ positions: [], ledger_only: [] });

    // The journal has every fill and close; its P&L is the venue's cash change.
    const { trades, problems } = readTrades(path.join(home, 'logs'));
    expect(problems).toEqual([]);
    expect(trades.map((x) => [x.event, x.symbol]).sort()).toEqual([['close', 'AAPL'], ['close', 'MSFT'], ['fill', 'AAPL'], ['fill', 'MSFT']]);
    expect(trades.find((x) => x.event === 'close' && x.symbol === 'AAPL')?.reason).toBe('signal');
    const pnl = trades.filter((x) => x.event === 'close').reduce((sum, x) => sum + (x.pnl ?? NaN), 0);
    expect(pnl).toBeCloseTo(server.cash - 100_000, 2);
    expect(pnl).toBeGreaterThan(0);
    // Every request reached the venue with the key and was served; the one refusal allowed is a
    // second DELETE of a stop that finished cancelling meanwhile (close-all's retry racing the venue).
    const refused = server.requests.filter((q) => q.status >= 400);
    for (const q of refused) expect([q.method, q.status, server.orders.find((o) => q.path === `/v2/orders/${o.id}`)?.status]).toEqual(['DELETE', 422, 'canceled']);
  });
});
