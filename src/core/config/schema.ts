// Schema of config/base.yaml: every section strict (an unknown key is an error, so a typo never
// silently falls back to a default), every field defaulted so a short file is complete.
import { z } from 'zod';

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected HH:MM (24h, ET)');
const url = z.string().url('expected a URL');
const pct = (def: number) => z.number().min(0).max(1).default(def);

export const PAPER_HOST = 'https://paper-api.alpaca.markets';
export const LIVE_HOST = 'https://api.alpaca.markets';

const window = z.strictObject({ start: hhmm, end: hhmm });

export const ConfigSchema = z.strictObject({
  version: z.literal(1).default(1),
  trading: z
    .strictObject({
      mode: z.enum(['paper', 'live']).default('paper'),
      risk_pct: z.number().default(0.01),
      max_position_pct: pct(0.1),
      max_open_positions: z.number().int().positive().default(5),
      max_order_notional: z.number().positive().default(10_000),
      max_daily_notional: z.number().positive().default(25_000),
      min_price: z.number().positive().default(5),
      max_price: z.number().positive().default(1_000),
      allow_shorts: z.boolean().default(false),
      limit_buffer: z.number().min(0).max(0.02).default(0.001),
      max_quote_age_s: z.number().positive().default(60),
      windows: z.array(window).min(1).default([
        { start: '10:00', end: '11:30' },
        { start: '14:00', end: '15:30' },
      ]),
    })
    .default({}),
  watchlist: z
    .strictObject({
      max_gap_pct: z.number().min(0).max(1).default(0.03),
      top: z.number().int().positive().default(5),
    })
    .default({}),
  exposure: z
    .strictObject({
      max_concurrent_pct: pct(0.4),
      max_new_daily_pct: pct(0.2),
      max_position_pct: pct(0.1),
      max_entries_per_day: z.number().int().positive().default(2),
    })
    .default({}),
  broker: z
    .strictObject({
      name: z.enum(['sim', 'alpaca']).default('sim'),
      timeout_ms: z.number().int().positive().default(10_000),
    })
    .default({}),
  alpaca: z
    .strictObject({
      base_url: url.default(PAPER_HOST),
      data_url: url.default('https://data.alpaca.markets'),
      // iex is free with every account; sip needs a market-data subscription (Alpaca answers 403).
      feed: z.enum(['iex', 'sip']).default('iex'),
    })
    .default({}),
  polygon: z
    .strictObject({
      base_url: url.default('https://api.polygon.io'),
      requests_per_minute: z.number().positive().default(5),
      timeout_ms: z.number().int().positive().default(15_000),
    })
    .default({}),
  sim: z
    .strictObject({
      starting_cash: z.number().positive().default(100_000),
      slippage_bps: z.number().min(0).default(5),
      partial_fills: z.boolean().default(false),
      // An order goes live (accepted -> new) this long after the POST; nothing fills before.
      fill_delay_ms: z.number().int().min(0).default(250),
      spread_bps: z.number().min(0).default(2),
      // Fault injection: orders for these symbols are accepted, then rejected when they go live.
      reject_symbols: z.array(z.string().min(1)).default([]),
    })
    .default({}),
  data: z
    .strictObject({
      universe: z.string().min(1).default('data/universe/demo.csv'),
      cap: z.number().int().positive().default(900),
      provider: z.enum(['polygon', 'alpaca']).default('polygon'),
      // Prefetch re-fetches this many sessions before the last stored bar: providers revise recent bars.
      refetch_sessions: z.number().int().min(0).max(60).default(5),
      min_dollar_volume: z.number().min(0).default(5_000_000),
    })
    .default({}),
  strategy: z
    .strictObject({
      params_file: z.string().min(1).default('config/frozen_strategy_params.json'),
      params_sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected the sha256 hex of the frozen params file'),
    }),
  kill_switch: z
    .strictObject({
      daily_loss_pct: pct(0.05),
      weekly_drawdown_pct: pct(0.1),
      critical_task_failures: z.number().int().positive().default(3),
      data_down_minutes: z.number().positive().default(30),
      broker_rejections: z.number().int().positive().default(3),
      reconcile_mismatch_usd: z.number().positive().default(1_000),
      reconcile_max_age_minutes: z.number().positive().default(60),
      // NAV anomaly guard: a rise of equity beyond either bound in one reading is not trusted for
      // peak or drawdown resets (an exchange glitch must not fake a recovery).
      nav_max_jump_pct: pct(0.25),
      nav_max_jump_usd: z.number().positive().default(50_000),
    })
    .default({}),
  drift: z
    .strictObject({
      // Policy K3: live/paper P&L diverging from the backtest by more than this fraction is a finding.
      max_pnl_divergence: z.number().positive().default(0.25),
    })
    .default({}),
  budgets: z
    .strictObject({
      llm_tokens_per_day: z.number().int().positive().default(100_000),
      llm_usd_per_day: z.number().positive().default(50),
      llm_alert_usd: z.number().positive().default(25),
    })
    .default({}),
  health: z
    .strictObject({
      host: z.string().min(1).default('127.0.0.1'),
      port: z.number().int().min(0).max(65_535).default(8081),
    })
    .default({}),
  telegram: z
    .strictObject({
      enabled: z.boolean().default(false),
      api_base: url.default('https://api.telegram.org'),
      min_interval_s: z.number().min(0).default(3),
    })
    .default({}),
  calendar: z
    .strictObject({
      fomc_dates: z.array(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'expected YYYY-MM-DD')).default([]),
    })
    .default({}),
  research: z
    .strictObject({
      // Walk-forward jobs go to `kobe worker` processes through this Redis (docs/scale-out.md).
      // The password belongs in .env (KOBE_REDIS_URL), never in this file.
      queue: z
        .string()
        .regex(/^rediss?:\/\/[^\s]+$/, 'expected redis://host:port/db or rediss://host:port/db')
        .refine((u) => !/^rediss?:\/\/[^/@]*:[^/@]*@/.test(u), 'keep the password out of config: put the URL with it in .env as KOBE_REDIS_URL')
        .optional(),
      // A job whose worker stops renewing its lock this long is run again by another worker.
      lock_seconds: z.number().int().min(1).max(3_600).default(30),
      // A queue run in which no worker takes a job this long stops (exit 4; --resume continues it).
      worker_wait_seconds: z.number().int().min(1).max(86_400).default(300),
    })
    .default({}),
});

/** The validated, normalised config. */
export type KobeConfig = z.infer<typeof ConfigSchema>;

/** Strategy parameters (SPEC section 7): all keys required, unknown keys are errors. */
export const StrategyParamsSchema = z.strictObject({
  version: z.string().min(1),
  common: z.strictObject({
    sma_period: z.number().int().positive(),
    atr_period: z.number().int().positive(),
    min_price: z.number().positive(),
    min_history_bars: z.number().int().positive(),
    feature_lag: z.union([z.literal(0), z.literal(1)]),
  }),
  ibs_rsi: z.strictObject({
    ibs_entry: z.number().min(0).max(1),
    ibs_exit: z.number().min(0).max(1),
    rsi_period: z.number().int().positive(),
    rsi_method: z.enum(['wilder', 'sma']),
    rsi_entry: z.number().min(0).max(100),
    rsi_exit: z.number().min(0).max(100),
    stop_atr_mult: z.number().positive(),
    time_stop_bars: z.number().int().positive(),
  }),
  turtle_soup: z.strictObject({
    lookback: z.number().int().positive(),
    min_bars_since_extreme: z.number().int().min(0),
    min_sweep_atr: z.number().min(0),
    stop_buffer_atr: z.number().min(0),
    r_multiple: z.number().positive(),
    time_stop_bars: z.number().int().positive(),
  }),
});

/** Frozen strategy parameters. */
export type StrategyParams = z.infer<typeof StrategyParamsSchema>;
