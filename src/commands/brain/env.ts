// What the brain's tasks share: the task context (bars cut at the last completed session), the
// config, the alert sender, counters, and the run state the loop and the triggers read.
import path from 'node:path';
import type { KobeContext } from '../../cli/context.js';
import type { KobeConfig, StrategyParams } from '../../core/config/schema.js';
import type { EventLog } from '../../core/log/logger.js';
import type { Clock } from '../../core/ports/clock.js';
import { CompletedBarStore } from '../../core/brain/bars-view.js';
import type { Alerts } from '../../core/ports/alerts.js';
import type { TaskResult } from '../../core/brain/loop.js';
import type { BrainMetrics } from '../../core/brain/metrics.js';
import type { Task } from '../../core/brain/schedule.js';
import type { KeptPool } from '../../core/walkforward/pool.js';

/** Why the brain sends no entries, and since when. */
export interface Refusal {
  reason: string;
  since: string;
  by: 'reconcile' | 'preflight';
}

/** Mutable state of one brain run, read by the loop, the triggers and /health. */
export interface BrainRun {
  tradingRefused: Refusal | null;
  /** Today's preflight verdict (ET date). */
  preflight: { date: string; go: boolean; detail: string } | null;
  /** K5: since when the data provider fails (UTC ISO), null while it works. */
  dataDownSince: string | null;
  /** K7: consecutive broker rejections of the brain's orders. */
  brokerRejections: number;
  /** K2: consecutive failures of critical tasks. */
  criticalFailures: number;
  lastExitScanTs: string | null;
  lastExitTriggerTs: string | null;
  /** Spot prices seen by the last exit scan, for diagnostics. */
  prices: Record<string, number>;
}

/** Everything a task needs. */
export interface BrainEnv {
  ctx: KobeContext;
  config: KobeConfig;
  params: StrategyParams;
  clock: Clock;
  events: EventLog;
  alerts: Alerts;
  metrics: BrainMetrics;
  bars: CompletedBarStore;
  run: BrainRun;
  replay: boolean;
  /** The nightly walk-forward's worker thread, kept from night to night (closed with the brain). */
  researchPool: KeptPool;
}

/** One task implementation. */
export type TaskFn = (env: BrainEnv, task: Task) => Promise<TaskResult>;

/** A new, empty run state. */
export function newRun(): BrainRun {
  return { tradingRefused: null, preflight: null, dataDownSince: null, brokerRejections: 0, criticalFailures: 0, lastExitScanTs: null, lastExitTriggerTs: null, prices: {} };
}

/** A context whose strategy side (scan, exits, reconcile's ATR stop) sees only completed sessions. */
export function withCompletedBars(base: KobeContext, bars: CompletedBarStore): KobeContext {
  return {
    ...base,
    bars: async () => bars,
    tradeDeps: async (o) => ({ ...(await base.tradeDeps(o)), bars }),
    reconcileDeps: async () => ({ ...(await base.reconcileDeps()), bars }),
  };
}

/** The completed-bars view of a home's bar store on `clock`. */
export function completedBars(base: KobeContext, clock: Clock): CompletedBarStore {
  return new CompletedBarStore(path.join(base.paths.dataDir, 'cache'), clock, base.paths.home);
}

export type { TaskResult };

/** A task that did its job. */
export const ok = (detail: string, data?: Record<string, unknown>): TaskResult => ({ status: 'ok', detail, data });
/** A task that did not run, and why. */
export const skipped = (detail: string): TaskResult => ({ status: 'skipped', detail });
/** A task that ran and did not do its job. */
export const failed = (detail: string, data?: Record<string, unknown>): TaskResult => ({ status: 'failed', detail, data });
