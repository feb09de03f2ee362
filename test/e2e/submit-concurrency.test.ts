// The same intent from 10 processes at once, 10 times each: exactly one broker order.
import { afterEach, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { syncOrders } from '../../src/core/oms/sync.js';
import { IdempotencyFile, PositionsFile } from '../../src/core/state/schemas.js';
import type { TestContext } from '../helpers/context.js';
import { ROOT } from '../helpers/cli.js';
import { IN_WINDOW, simWorld } from '../helpers/sim.js';

const SUBMITTER = path.join(ROOT, 'test', 'e2e', 'fixtures', 'submitter.mjs');
let t: TestContext;
afterEach(() => t?.cleanup());

function run(home: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [SUBMITTER, home, IN_WINDOW, '10'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('idempotent submit across processes', () => {
  it('10 processes x 10 submits of one intent: one broker order, one store record', async () => {
    t = await simWorld();
    const results = await Promise.all(Array.from({ length: 10 }, () => run(t.home)));
    for (const r of results) expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    const outs = results.flatMap((r) => JSON.parse(r.out) as Array<{ status: string; reused: boolean; id: string | null }>);
    expect(outs).toHaveLength(100);
    expect(outs.filter((o) => !o.reused)).toHaveLength(1);
    const broker = await t.ctx.broker();
    const orders = await broker.listOrders({ status: 'all' });
    expect(orders).toHaveLength(1);
    expect(new Set(outs.map((o) => o.id).filter(Boolean))).toEqual(new Set([orders[0].id]));
    // The async sim accepted it; once its fill is due, one sync books exactly one position.
    t.clock.advance(1_000);
    await syncOrders(await t.ctx.submitDeps());
    const rec = Object.values((await t.ctx.state()).read(IdempotencyFile).orders);
    expect(rec).toHaveLength(1);
    expect(rec[0]).toMatchObject({ status: 'FILLED', filled_qty: 10 });
    expect((await t.ctx.state()).read(PositionsFile).positions.map((p) => [p.symbol, p.qty])).toEqual([['AAPL', 10]]);
  }, 120_000);
});
