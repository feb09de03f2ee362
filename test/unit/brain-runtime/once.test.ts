// `kobe brain start --once` from cron: its exit code says when the start-up reconcile or a task
// failed, and it never manages exits on a book that did not reconcile.
import { afterEach, describe, expect, it } from '@jest/globals';
import { runBrainStart } from '../../../src/commands/brain/start.js';
import { CheckFailed } from '../../../src/core/errors.js';
import { PositionsFile } from '../../../src/core/state/schemas.js';
import { seededHome } from './helpers.js';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('brain --once', () => {
  it('a dirty start-up reconcile: exit 5, exits skipped, nothing sold', async () => {
    const h = await seededHome({ now: '2025-01-14T15:40:00Z' });
    cleanup = h.cleanup;
    // A ghost in the ledger (the broker holds nothing): the book is not reconciled.
    await (await h.ctx.state()).write(PositionsFile, { version: 1, updated_at: null, positions: [{ symbol: 'XAA0', qty: 10, avg_price: 50, strategy: 'ibs_rsi', entry_date: '2025-01-02', stop: 1, target: null, time_stop_bars: 1, bars_held: 0, client_order_id: null, opened_at: null, updated_at: null }] });
    const err = await runBrainStart(h.ctx, { foreground: true, once: true }).catch((e) => e);
    expect(err).toBeInstanceOf(CheckFailed);
    expect(err.exitCode).toBe(5);
    expect(err.message).toMatch(/reconcile not clean/);
    const startup = (err.result as { startup: { reconciled: boolean; exits: string } }).startup;
    expect(startup.reconciled).toBe(false);
    expect(startup.exits).toMatch(/^skipped: the book is not reconciled/);
    expect((await (await h.ctx.broker()).listOrders({ status: 'all' }))).toEqual([]);
  }, 60_000);
});

describe('a corrupt heartbeat', () => {
  it('stops the brain at start (exit 3, naming the file) and is left as it is', async () => {
    const fs = await import('node:fs');
    const h = await seededHome({ now: '2025-01-14T15:40:00Z' });
    cleanup = h.cleanup;
    const file = h.ctx.paths.state('heartbeat.json');
    fs.writeFileSync(file, '{"version":1,"ts":"yesterday"}');
    const err = await runBrainStart(h.ctx, { foreground: true, once: true }).catch((e) => e);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('heartbeat.json');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"version":1,"ts":"yesterday"}');
  }, 60_000);
});
