import path from 'node:path';
import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import { intFlag } from '../../cli/flags.js';
import type { Output } from '../../cli/output.js';
import { generateMarket, MAX_SYNTHETIC_SYMBOLS, type Market, type MarketFault } from '../../core/data/synthetic/market.js';
import { universeCsv } from '../../core/data/universe.js';
import { isTradingDay, sessionsBetween } from '../../core/market/calendar.js';
import { etDate } from '../../core/market/time.js';
import { lastCompletedSession } from '../../core/market/sessions.js';
import { displayPath } from '../../core/paths.js';
import { atomicWrite } from '../../core/state/atomic.js';

/** Validated flags of `kobe data seed`. */
export interface DataSeedOptions {
  symbols: number;
  years: number;
  seed: number;
  withFaults: boolean;
}

/** What was seeded; the --json document. */
export interface DataSeedResult {
  synthetic: true;
  symbols: number;
  years: number;
  seed: number;
  sessions: number;
  bars: number;
  first: string;
  last: string;
  /** Stock splits in the market (the bars are pre-adjusted; the index records them). */
  splits: number;
  with_faults: boolean;
  /** Injected bad rows, one of each kind `data verify` checks (empty without --with-faults). */
  faults: MarketFault[];
  /** Absolute path of the universe file listing the symbols in order. */
  universe: string;
  /** The same path as shown to humans (relative to the home). */
  universe_display: string;
  /** Synthetic symbols of an earlier, larger seed still in the store (not in the universe file). */
  other_synthetic: number;
}

const MAX_YEARS = 30;
const EXAMPLE = 'kobe data seed --symbols 100 --years 10 --seed 42';


/** Validate the flags: symbols 1..5000, years 1..30, seed any non-negative integer (0 is a fine seed). */
export function parseDataSeed(raw: Record<string, unknown>): DataSeedOptions {
  return {
    symbols: intFlag('--symbols', raw.symbols, 1, MAX_SYNTHETIC_SYMBOLS, EXAMPLE) ?? 100,
    years: intFlag('--years', raw.years, 1, MAX_YEARS, EXAMPLE) ?? 10,
    seed: intFlag('--seed', raw.seed, 0, Number.MAX_SAFE_INTEGER, EXAMPLE) ?? 42,
    withFaults: !!raw.withFaults,
  };
}

/** Wire `data seed` into the `data` command group. */
export function registerDataSeed(data: Command, kit: Kit): void {
  data
    .command('seed')
    .description("write a deterministic SYNTHETIC market (real NYSE sessions through today: today's bar is the sim's market) and data/universe/demo.csv")
    .option('--symbols <n>', 'number of symbols (1-5000, default 100)')
    .option('--years <y>', 'years of history up to the last completed session (1-30, default 10)')
    .option('--seed <s>', 'random seed: the same seed on the same day gives the same bars (default 42)')
    .option('--with-faults', 'also inject one bad row of every kind `kobe data verify` catches, each on its own symbol')
    .addHelpText('after', '\nExample:\n  kobe data seed\n  kobe data seed --symbols 900 --years 10 --seed 7\n  kobe data seed --with-faults && kobe data verify')
    .action(kit.action(parseDataSeed, runDataSeed, renderDataSeed));
}

/** `years` before an ISO date, same month and day (Feb 29 falls back to Feb 28). */
function yearsBefore(iso: string, years: number): string {
  const y = String(Number(iso.slice(0, 4)) - years).padStart(4, '0');
  const md = iso.slice(5) === '02-29' ? '02-28' : iso.slice(5);
  return `${y}-${md}`;
}

/**
 * Generate the market on the sessions through today (the last close when today is not a session),
 * store it, write the universe, record it. Today's bar is the embedded sim's market for the day (its
 * quotes and fills follow that bar's path); strategies only ever see completed sessions.
 */
export async function runDataSeed(ctx: KobeContext, opts: DataSeedOptions): Promise<DataSeedResult> {
  ctx.requireHome();
  const today = etDate(ctx.clock.now());
  const last = isTradingDay(today) ? today : lastCompletedSession(ctx.clock.now());
  const sessions = sessionsBetween(yearsBefore(last, opts.years), last);
  const universe = path.join(ctx.paths.dataDir, 'universe', 'demo.csv');
  const sp = await ctx.out.spinner(`generating a SYNTHETIC market: ${opts.symbols} symbols x ${sessions.length} sessions (seed ${opts.seed})`);
  const write = async (market: Market): Promise<number> => {
    sp.update(`writing ${market.series.length} SYNTHETIC series to the bar store`);
    const store = await ctx.bars();
    const ours = new Set(market.series.map((s) => s.symbol));
    const others = store.list().filter((e) => e.source === 'synthetic' && !ours.has(e.symbol)).length;
    await store.writeMany(market.series.map((series) => ({ series, meta: { source: 'synthetic' as const, splits: market.meta.get(series.symbol)!.splits } })));
    await atomicWrite(universe, universeCsv(market.series.map((s) => s.symbol)));
    sp.succeed(`SYNTHETIC market written: ${market.series.length} series to ${displayPath(ctx.paths, store.dir)}, universe ${displayPath(ctx.paths, universe)}`);
    return others;
  };
  let market: Market;
  let otherSynthetic: number;
  try {
    market = generateMarket({ symbols: opts.symbols, sessions, seed: opts.seed, withFaults: opts.withFaults });
    otherSynthetic = await write(market);
  } catch (err) {
    sp.fail('seeding failed');
    throw err;
  }
  let splits = 0;
  for (const m of market.meta.values()) splits += m.splits.length;
  const result: DataSeedResult = {
    synthetic: true,
    symbols: opts.symbols,
    years: opts.years,
    seed: opts.seed,
    sessions: sessions.length,
    bars: market.series.reduce((n, s) => n + s.length, 0),
    first: sessions[0],
    last,
    splits,
    with_faults: opts.withFaults,
    faults: market.faults,
    universe,
    universe_display: displayPath(ctx.paths, universe),
    other_synthetic: otherSynthetic,
  };
  const record = { synthetic: true, symbols: result.symbols, years: result.years, seed: result.seed, sessions: result.sessions, bars: result.bars, first: result.first, last, splits, faults: market.faults.map((f) => `${f.kind}:${f.symbol}:${f.date}`) };
  await (await ctx.audit()).append('data_seeded', record);
  (await ctx.events()).emit('data_seeded', record);
  return result;
}

/** The human summary: result lines on stdout, the SYNTHETIC warning on stderr. */
export function renderDataSeed(out: Output, r: DataSeedResult): void {
  out.line(`SYNTHETIC market  seed ${r.seed}, ${r.symbols} symbols x ${r.sessions} NYSE sessions (${r.first} .. ${r.last})`);
  out.line(`bars              ${r.bars}`);
  out.line(`splits            ${r.splits} (bars pre-adjusted; splits recorded in the index)`);
  out.line(`universe          ${r.universe_display}`);
  if (r.faults.length) {
    out.line(`faults            ${r.faults.length} injected on purpose; \`kobe data verify\` should report each:`);
    void out.table(['kind', 'symbol', 'date', 'detail'], r.faults.map((f) => [f.kind, f.symbol, f.date, f.detail]));
  }
  if (r.other_synthetic) out.warn(`${r.other_synthetic} synthetic symbol(s) of an earlier seed stay in the bar store; they are not in ${r.universe_display}`);
  out.info('SYNTHETIC data: generated by `kobe data seed`, not market prices; never trade on it');
}
