// Preflight rows about the market as the venue sees it: its calendar against kobe's NYSE calendar
// (a disagreement means kobe would trade, or time stops would count, on the wrong sessions), and a
// fresh quote during market hours (entries and exits refuse stale quotes, so a quote source that
// is down or lagging would silently stop all trading).
import path from 'node:path';
import { loadUniverse } from '../data/universe.js';
import { closeTimeEt, holidayName, isTradingDay, nextSession, sessionCloseUtc, sessionOpenUtc, sessionsBetween } from '../market/calendar.js';
import { etDate, formatEt } from '../market/time.js';
import type { PreflightInput } from './input.js';
import type { CheckVerdict, PreflightCheck } from './run.js';

/** Sessions compared: today (when it is one) and the next ones, six in all. */
const CALENDAR_SESSIONS = 6;

const hhmmEt = (iso: string) => formatEt(new Date(iso)).slice(0, 16) + ' ET';

/** kobe's own next open and next close at `now`, as the broker clock reports them. */
export function kobeNextOpenClose(now: Date): { next_open: string; next_close: string } {
  const d = etDate(now);
  const open = isTradingDay(d) && now < sessionOpenUtc(d) ? d : nextSession(d);
  const close = isTradingDay(d) && now < sessionCloseUtc(d) ? d : nextSession(d);
  return { next_open: sessionOpenUtc(open).toISOString(), next_close: sessionCloseUtc(close).toISOString() };
}

/** Every disagreement between the broker's calendar and clock and kobe's, each naming both values. */
async function calendarDisagreements(i: PreflightInput): Promise<{ problems: string[]; from: string; to: string }> {
  const b = await i.broker();
  const today = etDate(i.now);
  const first = isTradingDay(today) ? today : nextSession(today);
  const ours = [first];
  while (ours.length < CALENDAR_SESSIONS) ours.push(nextSession(ours[ours.length - 1]));
  const to = ours[ours.length - 1];
  const [theirs, clock] = await Promise.all([b.calendar(today, to), b.clock()]);
  const problems: string[] = [];
  const byDate = new Map(theirs.map((d) => [d.date, d]));
  for (const date of sessionsBetween(today, to)) {
    const t = byDate.get(date);
    const close = closeTimeEt(date);
    if (!t) {
      problems.push(`${date}: broker has no session, kobe 09:30-${close}`);
      continue;
    }
    if (t.open !== '09:30') problems.push(`${date} open: broker ${t.open}, kobe 09:30`);
    if (t.close !== close) problems.push(`${date} close: broker ${t.close}, kobe ${close}`);
  }
  for (const t of theirs) if (!isTradingDay(t.date)) problems.push(`${t.date}: broker has a session ${t.open}-${t.close}, kobe none (${holidayName(t.date) ?? 'weekend'})`);
  const mine = kobeNextOpenClose(i.now);
  for (const k of ['next_open', 'next_close'] as const) {
    if (Date.parse(clock[k]) !== Date.parse(mine[k])) problems.push(`${k}: broker ${hhmmEt(clock[k])}, kobe ${hhmmEt(mine[k])}`);
  }
  return { problems, from: today, to };
}

type Check = PreflightCheck<PreflightInput>;
const skip = (detail: string): CheckVerdict => ({ status: 'skip', detail });

export const MARKET_CHECKS: Check[] = [
  {
    name: 'broker_calendar', blocking: true, hint: 'do not trade until they agree: check the exchange\'s holiday and early-close notices against kobe\'s calendar (`kobe market`) and the broker\'s',
    async run(i) {
      const { problems, from, to } = await calendarDisagreements(i);
      if (problems.length) return { status: 'fail', detail: `calendar disagreement: ${problems.join('; ')}` };
      return { status: 'ok', detail: `${CALENDAR_SESSIONS} sessions ${from}..${to}, next open and next close agree with kobe's calendar` };
    },
  },
  {
    name: 'quotes', blocking: true, hint: 'alpaca: check alpaca.data_url, alpaca.feed and the keys; sim: the bar store (`kobe data seed` or `kobe data prefetch`)',
    async run(i) {
      const d = etDate(i.now);
      if (!isTradingDay(d)) return skip(`market closed (${d} is not a session: ${holidayName(d) ?? 'weekend'}); quotes are checked during market hours`);
      if (i.now < sessionOpenUtc(d) || i.now >= sessionCloseUtc(d)) return skip(`market closed at ${formatEt(i.now)} (session 09:30-${closeTimeEt(d)} ET); quotes are checked during market hours`);
      const c = (await i.config()).config;
      const symbol = loadUniverse(path.resolve(i.paths.home, c.data.universe), c.data.cap).symbols[0];
      if (!symbol) return { status: 'fail', detail: `the universe ${c.data.universe} is empty: no symbol to quote` };
      const source = c.broker.name === 'alpaca' ? `Alpaca market data, feed ${c.alpaca.feed}` : 'the sim\'s quotes';
      const q = await (await i.quotes()).latestQuote(symbol);
      if (!q) return { status: 'fail', detail: `no quote for ${symbol} from ${source}` };
      const age = Math.max(0, (i.now.getTime() - Date.parse(q.ts)) / 1000);
      const limit = c.trading.max_quote_age_s;
      if (!(age <= limit)) return { status: 'fail', detail: `${symbol} quote from ${source} is ${Math.round(age)} s old (observed ${q.ts}; limit trading.max_quote_age_s ${limit} s)` };
      return { status: 'ok', detail: `${symbol} ${q.bid}/${q.ask} from ${source}, ${Math.round(age)} s old (limit ${limit} s)` };
    },
  },
];
