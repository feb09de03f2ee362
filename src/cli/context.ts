// KobeContext: everything a command needs, each part built on first use so a fast command
// (kobe kill on) never pays for config, zod or pino it does not touch.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AuditChain } from '../core/audit/chain.js';
import type { LoadedConfig } from '../core/config/load.js';
import { AuthError, UsageError, errnoCode, errnoText } from '../core/errors.js';
import type { DiagLog, EventLog } from '../core/log/logger.js';
import { Redactor } from '../core/log/redact.js';
import { kobePaths, type KobePaths } from '../core/paths.js';
import { SystemClock, type Clock } from '../core/ports/clock.js';
import { tradingState, type TradingState } from '../core/risk/trading-state.js';
import type { StateStore } from '../core/state/store.js';
import type { BarStore } from '../core/data/store.js';
import type { Broker } from '../core/ports/broker.js';
import type { SubmitDeps } from '../core/oms/submit.js';
import type { ReconcileDeps } from '../core/reconcile/apply.js';
import type { Quotes } from '../core/ports/quotes.js';
import type { TradeCycleDeps } from '../core/trade/cycle.js';
import type { PolygonMarketData } from '../core/data/polygon/index.js';
import type { BarProvider, MarketData } from '../core/ports/market-data.js';
import { Output, type Streams } from './output.js';

/** What the shell knows before a command runs. */
export interface ContextOptions {
  home?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
  streams?: Streams;
  env?: Record<string, string | undefined>;
  clock?: Clock;
  cwd?: string;
}

/** Everything a command needs; heavy parts are built lazily and memoised. */
export interface KobeContext {
  out: Output;
  paths: KobePaths;
  clock: Clock;
  /** Process environment (for `.env` + environment use `secrets()`). */
  env: Record<string, string | undefined>;
  redactor: Redactor;
  /** Who runs this command (for records: activated_by, approver defaults). */
  user: string;
  config(): Promise<LoadedConfig>;
  state(): Promise<StateStore>;
  /** The local bar store (data/cache). */
  bars(): Promise<BarStore>;
  /** The Polygon market-data adapter (config polygon.*, POLYGON_API_KEY); AuthError without a key. */
  polygon(): Promise<PolygonMarketData>;
  /** Daily bars from `provider` (default config data.provider); AuthError without its keys. */
  marketData(provider?: BarProvider): Promise<MarketData>;
  /** The configured broker (sim by default), host checked against the mode. */
  broker(): Promise<Broker>;
  /** Everything the single submit path needs. */
  submitDeps(opts?: { ignoreWindow?: boolean; allowClosingWhileHalted?: boolean }): Promise<SubmitDeps>;
  /** Everything reconcile needs. */
  reconcileDeps(): Promise<ReconcileDeps>;
  /** Latest quotes for entries and exits: Alpaca market data for the alpaca broker; the sim is its own market. */
  quotes(): Promise<Quotes>;
  /** Everything a trade cycle and the exit manager need. */
  tradeDeps(opts?: { ignoreWindow?: boolean }): Promise<TradeCycleDeps>;
  audit(): Promise<AuditChain>;
  events(): Promise<EventLog>;
  log(): Promise<DiagLog>;
  /** `.env` merged with the environment; secret values registered for redaction. */
  secrets(): Promise<Record<string, string | undefined>>;
  /** Trading state, read fresh from the kill switch file on every call. */
  tradingState(): TradingState;
  /** Fail with a usage error unless the home is a kobe home. */
  requireHome(): void;
}

/** Waiting for the broker: a real sleep, or moving a simulated clock (demo, replay, tests). */
export function omsWait(clock: Clock): (ms: number) => Promise<void> {
  const sim = clock as Clock & { advance?: (ms: number) => void };
  if (typeof sim.advance === 'function') return async (ms) => sim.advance!(ms);
  return (ms) => new Promise((r) => setTimeout(r, ms));
}

function memo<T>(fn: () => Promise<T>): () => Promise<T> {
  let p: Promise<T> | undefined;
  return () => (p ??= fn());
}

/** Resolve the kobe home: --home, else KOBE_HOME, else the current directory. */
export function resolveHome(opts: ContextOptions): string {
  const env = opts.env ?? process.env;
  return path.resolve(opts.cwd ?? process.cwd(), opts.home ?? env.KOBE_HOME ?? '.');
}

/** Build a context. Tests pass streams, env and a FakeClock. */
export async function createContext(opts: ContextOptions = {}): Promise<KobeContext> {
  const env = opts.env ?? process.env;
  const streams = opts.streams ?? { stdout: process.stdout, stderr: process.stderr, get stdin() { return process.stdin; } };
  const out = await Output.create(streams, { json: !!opts.json, color: opts.color !== false, verbose: !!opts.verbose, env });
  const redactor = new Redactor();
  redactor.addFromEnv(env);
  out.redactor = redactor;
  const paths = kobePaths(resolveHome(opts));
  const clock = opts.clock ?? new SystemClock();
  let user = env.KOBE_USER ?? env.USER ?? '';
  if (!user) {
    try {
      user = os.userInfo().username;
    } catch {
      user = 'unknown';
    }
  }
  const ctx: KobeContext = {
    out,
    paths,
    clock,
    env,
    redactor,
    user,
    config: memo(async () => {
      const { loadConfig } = await import('../core/config/load.js');
      ctx.requireHome();
      return loadConfig(paths);
    }),
    state: memo(async () => {
      const { StateStore } = await import('../core/state/store.js');
      return new StateStore(paths);
    }),
    bars: memo(async () => {
      const { BarStore } = await import('../core/data/store.js');
      return new BarStore(path.join(paths.dataDir, 'cache'), () => clock.now(), paths.home);
    }),
    polygon: memo(async () => {
      const { createPolygonMarketData } = await import('../core/data/polygon/index.js');
      const { config } = await ctx.config();
      const apiKey = (await ctx.secrets()).POLYGON_API_KEY;
      if (!apiKey) throw new AuthError('POLYGON_API_KEY is not set (data.provider is polygon)', { hint: `set POLYGON_API_KEY in ${paths.env}, or take bars from Alpaca with your Alpaca key: data.provider: alpaca in config/base.yaml (or --provider alpaca)` });
      const p = config.polygon;
      return createPolygonMarketData({ baseUrl: p.base_url, apiKey, requestsPerMinute: p.requests_per_minute, timeoutMs: p.timeout_ms });
    }),
    marketData: async (provider) => {
      const { config } = await ctx.config();
      if ((provider ?? config.data.provider) === 'polygon') return ctx.polygon();
      const { alpacaDataAccess } = await import('../core/broker/alpaca/index.js');
      const { createAlpacaMarketData } = await import('../core/data/alpaca/index.js');
      return createAlpacaMarketData(alpacaDataAccess({ config, secrets: await ctx.secrets(), clock }));
    },
    broker: memo(async () => {
      const { createBroker } = await import('../core/broker/index.js');
      const { config } = await ctx.config();
      return createBroker({ config, secrets: await ctx.secrets(), store: await ctx.state(), bars: await ctx.bars(), clock });
    }),
    submitDeps: async (o = {}) => {
      const { missingLiveGates } = await import('../core/risk/live-gates.js');
      const { config, pin } = await ctx.config();
      const broker = await ctx.broker();
      const store = await ctx.state();
      return {
        broker, store, config, clock, audit: await ctx.audit(), events: await ctx.events(),
        tradingState: () => ctx.tradingState(),
        missingLiveGates: async () => missingLiveGates({ config, pin, processEnv: env, store, approvalsDir: paths.state('approvals'), brokerHost: broker.host, now: clock.now() }),
        ignoreWindow: o.ignoreWindow && config.trading.mode === 'paper',
        locksDir: paths.state('locks'),
        logsDir: paths.logsDir,
        wait: omsWait(clock),
        allowClosingWhileHalted: o.allowClosingWhileHalted,
      };
    },
    quotes: memo(async () => {
      const { config } = await ctx.config();
      if (config.broker.name === 'alpaca') {
        const { createAlpacaQuotes } = await import('../core/broker/alpaca/index.js');
        return createAlpacaQuotes({ config, secrets: await ctx.secrets(), clock });
      }
      const broker = (await ctx.broker()) as Broker & Partial<Quotes>;
      if (typeof broker.latestQuote === 'function') return broker as Broker & Quotes;
      throw new UsageError(`the ${broker.name} broker has no quote source configured`);
    }),
    tradeDeps: async (o = {}) => {
      const { config, params } = await ctx.config();
      // Trading decides on completed sessions only: a bar of today in the store (a seeded sim day,
      // or a provider's partial bar) is the sim's market, never a strategy's input.
      const { CompletedBarStore } = await import('../core/brain/bars-view.js');
      const completed = new CompletedBarStore(path.join(paths.dataDir, 'cache'), clock, paths.home);
      return {
        submit: await ctx.submitDeps({ ignoreWindow: o.ignoreWindow }), quotes: await ctx.quotes(), store: await ctx.state(), bars: completed, config, params,
        events: await ctx.events(), home: paths.home, logsDir: paths.logsDir, dataDir: paths.dataDir,
      };
    },
    reconcileDeps: async () => {
      const { params } = await ctx.config();
      const { ensureProtection } = await import('../core/oms/protect.js');
      const oms = await ctx.submitDeps();
      return { broker: await ctx.broker(), store: await ctx.state(), bars: await ctx.bars(), params, clock, audit: await ctx.audit(), events: await ctx.events(), reportsDir: paths.reportsDir, oms, protect: () => ensureProtection(oms) };
    },
    audit: memo(async () => {
      const { AuditChain } = await import('../core/audit/chain.js');
      return new AuditChain(paths.chain, paths.chainHead, clock);
    }),
    events: memo(async () => {
      const { openEventLog } = await import('../core/log/logger.js');
      return openEventLog(paths.events, clock, redactor);
    }),
    log: memo(async () => {
      const { openDiagLog } = await import('../core/log/logger.js');
      return openDiagLog(paths.kobeLog, clock, redactor, !!opts.verbose);
    }),
    secrets: memo(async () => {
      const { loadEnv } = await import('../core/config/env.js');
      const merged = loadEnv(paths.env, env);
      redactor.addFromEnv(merged);
      return merged;
    }),
    tradingState: () => tradingState(paths.killSwitch, paths.stateDir),
    requireHome: () => {
      let st: fs.Stats | undefined;
      let problem = 'does not exist';
      try {
        st = fs.statSync(paths.home);
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') problem = `cannot be used: ${errnoText(err)}`;
      }
      const hint = problem.includes('ENAMETOOLONG') ? 'use a shorter path: each name at most 255 bytes' : `create one with \`kobe init --home ${paths.home}\`, or point --home / KOBE_HOME at an existing one`;
      if (!st) throw new UsageError(`kobe home ${paths.home} ${problem}`, { hint });
      if (!st.isDirectory()) throw new UsageError(`kobe home ${paths.home} is a file, not a directory`, { hint });
      if (!fs.existsSync(paths.config) && !fs.existsSync(paths.stateDir)) throw new UsageError(`${paths.home} is not a kobe home (no config/base.yaml or state/)`, { hint });
    },
  };
  return ctx;
}
