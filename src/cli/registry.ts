// Top-level commands, loaded lazily: only the module of the command being run is imported, so
// `kobe --version` and `kobe kill on` do not pay for the rest.
import type { Command } from 'commander';
import type { Kit } from './kit.js';

export interface CommandModule {
  register(program: Command, kit: Kit): void;
}

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<CommandModule>;
}

export const COMMANDS: CommandEntry[] = [
  { name: 'init', summary: 'create a kobe home: config, frozen params and pin, folders, .env template', load: () => import('../commands/init.js') },
  { name: 'demo', summary: 'a narrated tour of kobe on the embedded default (temporary home)', load: () => import('../commands/demo.js') },
  { name: 'kill', summary: 'the kill switch: on, off, status, history', load: () => import('../commands/kill/index.js') },
  { name: 'verify-chain', summary: 'verify the audit hash chain (and --repair a torn tail)', load: () => import('../commands/verify-chain.js') },
  { name: 'data', summary: 'market data: bar store, synthetic seed, Polygon prefetch, CSV import, verify, list', load: () => import('../commands/data/index.js') },
  { name: 'market', summary: 'NYSE session, ET phase, holiday or early close, next open/close', load: () => import('../commands/market.js') },
  { name: 'account', summary: 'broker account: equity, cash, buying power, flags', load: () => import('../commands/account.js') },
  { name: 'positions', summary: 'broker positions joined with the ledger: strategy, stop, target, bars held, P&L', load: () => import('../commands/positions.js') },
  { name: 'orders', summary: 'broker orders and the idempotency store; orders cancel ID|--client-id|--all', load: () => import('../commands/orders/index.js') },
  { name: 'close-all', summary: 'cancel open orders and close every position (allowed while halted)', load: () => import('../commands/close-all.js') },
  { name: 'reconcile', summary: 'diff broker vs ledger and store; --fix --yes applies the plan', load: () => import('../commands/reconcile.js') },
  { name: 'status', summary: 'one screen: mode, kill switch, brain, preflight, reconcile, positions, budgets, session', load: () => import('../commands/status.js') },
  { name: 'preflight', summary: 'every check before trading: GO exit 0, NO-GO exit 5', load: () => import('../commands/preflight.js') },
  { name: 'scan', summary: "today's ranked signals (daily picks) or every historical signal", load: () => import('../commands/scan.js') },
  { name: 'watchlist', summary: 'overnight watchlist: build after the close, validate pre-market', load: () => import('../commands/watchlist.js') },
  { name: 'trade', summary: 'one paper trading cycle: due exits, then picks -> sizing -> risk gate -> orders', load: () => import('../commands/trade.js') },
  { name: 'backtest', summary: 'backtest both strategies: trade list, equity curve, summary, report.html', load: () => import('../commands/backtest.js') },
  { name: 'walk-forward', summary: 'walk-forward: train/test splits, train-window grid, stitched out-of-sample equity, wf_report.html, --propose', load: () => import('../commands/walk-forward.js') },
  { name: 'worker', summary: 'research worker: run walk-forward jobs from the Redis queue (kobe worker --queue URL [--once])', load: () => import('../commands/worker.js') },
  { name: 'drift', summary: 'live/paper trades vs the backtest: missed/extra signals, slippage, P&L divergence (K3)', load: () => import('../commands/drift.js') },
  { name: 'state', summary: 'state files: check, backup, restore', load: () => import('../commands/state/index.js') },
  { name: 'budget', summary: 'LLM token/cost budget, daily notional, weekly exposure; budget record, budget reset --llm', load: () => import('../commands/budget.js') },
  { name: 'approvals', summary: 'proposals and human decisions: approvals list [--pending]', load: () => import('../commands/approvals.js') },
  { name: 'approve', summary: 'approve a proposal (new frozen params and pin), or `approve live` on a terminal', load: () => import('../commands/approve.js') },
  { name: 'reject', summary: 'reject a pending proposal with a reason', load: () => import('../commands/reject.js') },
  { name: 'diagnose', summary: 'match state and brain telemetry against the incident playbooks; print them as kobe commands', load: () => import('../commands/diagnose.js') },
  { name: 'incident', summary: 'incident new: a pre-filled report in logs/incidents/', load: () => import('../commands/incident.js') },
  { name: 'brain', summary: 'the 24/7 brain: start [--foreground|--once|--replay FROM..TO], stop, status, health, schedule', load: () => import('../commands/brain/index.js') },
];
