// StateStore (SPEC section 1): schema-validated JSON state files that are never overwritten when
// corrupt, whose errors name file and field (exit 3), and whose updates are serialised by the lock.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import fc from 'fast-check';
import { StateError } from '../../../src/core/errors.js';
import {
  DailyBudgetFile,
  HeartbeatFile,
  IdempotencyFile,
  LastReconcileFile,
  LlmUsageFile,
  PositionsFile,
  STATE_FILES,
  WeeklyBudgetFile,
  type IdempotencyRecord,
  type PositionEntry,
} from '../../../src/core/state/schemas.js';
import { StateStore } from '../../../src/core/state/store.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

let home: TempHome;
let store: StateStore;

beforeEach(() => {
  home = tempStateHome();
  store = new StateStore(home.paths);
});
afterEach(() => home.cleanup());

// --- arbitraries of valid values -------------------------------------------------------------

const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)); // JSON has no -0
const date = fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2099-12-31T23:59:59Z'), noInvalidDate: true });
const iso = fc.tuple(date, fc.boolean()).map(([d, ms]) => (ms ? d.toISOString() : d.toISOString().replace(/\.\d{3}Z$/, 'Z')));
const day = date.map((d) => d.toISOString().slice(0, 10));
const nonEmpty = fc.string({ minLength: 1, maxLength: 12, unit: 'binary' });

const positionEntry: fc.Arbitrary<PositionEntry> = fc.record({
  symbol: fc.stringMatching(/^[A-Z]{1,5}(\.[A-Z])?$/),
  qty: finite,
  avg_price: finite,
  strategy: fc.option(nonEmpty),
  entry_date: fc.option(day),
  stop: fc.option(finite),
  target: fc.option(finite),
  time_stop_bars: fc.option(fc.integer({ min: 1, max: 10_000 })),
  bars_held: fc.nat(),
  client_order_id: fc.option(fc.string({ unit: 'binary' })),
  protective_client_order_id: fc.option(fc.string({ unit: 'binary' })),
  opened_at: fc.option(iso),
  updated_at: fc.option(iso),
});
const positionsFile = fc.record({ version: fc.constant(1 as const), updated_at: fc.option(iso), positions: fc.array(positionEntry, { maxLength: 6 }), applied_fills: fc.array(fc.string({ unit: 'binary' }), { maxLength: 3 }) });

const idemRecord = (coid: string): fc.Arbitrary<IdempotencyRecord> =>
  fc.record({
    client_order_id: fc.constant(coid),
    intent: fc.record({
      session_date: day,
      symbol: fc.stringMatching(/^[A-Z]{1,5}$/),
      side: fc.constantFrom('buy' as const, 'sell' as const),
      qty: fc.double({ min: Number.MIN_VALUE, max: 1e9, noNaN: true }),
      type: fc.constantFrom('limit' as const, 'market' as const, 'stop' as const),
      time_in_force: fc.constantFrom('ioc' as const, 'day' as const, 'gtc' as const),
      limit_price: fc.option(finite),
      stop_price: fc.option(finite),
      strategy: nonEmpty,
      kind: fc.constantFrom('entry' as const, 'exit' as const, 'stop' as const, 'target' as const, 'time' as const, 'close' as const, 'manual' as const, 'protect' as const),
      target_price: fc.option(finite),
    }),
    status: fc.constantFrom('PENDING' as const, 'SUBMITTED' as const, 'REJECTED' as const, 'UNKNOWN' as const, 'FILLED' as const, 'PARTIALLY_FILLED' as const, 'CANCELED' as const, 'EXPIRED' as const),
    broker_order_id: fc.option(fc.uuid()),
    reason: fc.option(fc.string({ unit: 'binary' })),
    attempts: fc.nat({ max: 100 }),
    created_at: iso,
    updated_at: iso,
    filled_qty: fc.double({ min: 0, max: 1e9, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    filled_avg_price: fc.option(finite),
    attempt: fc.integer({ min: 1, max: 99 }),
    broker_status: fc.option(fc.constantFrom('accepted', 'new', 'pending_cancel')),
    reserved_notional: fc.double({ min: 0, max: 1e9, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
    plan: fc.option(fc.record({ stop: fc.option(finite), target: fc.option(finite), time_stop_bars: fc.option(fc.integer({ min: 1, max: 50 })), signal_price: fc.option(finite), signal_date: fc.option(day) })),
    fills: fc.array(fc.record({ key: fc.string({ minLength: 1 }), qty: fc.double({ min: Number.MIN_VALUE, max: 1e9, noNaN: true }), price: finite, at: iso, booked: fc.boolean(), leg: fc.constantFrom(null, 'stop' as const, 'target' as const) }), { maxLength: 2 }),
    unknown_since: fc.option(iso),
  });
const idempotencyFile = fc
  .uniqueArray(fc.stringMatching(/^kobe-[0-9a-z]{1,20}$/), { maxLength: 5 })
  .chain((ids) => fc.tuple(...ids.map(idemRecord)))
  .map((recs) => ({ version: 1 as const, orders: Object.fromEntries(recs.map((r) => [r.client_order_id, r])) }));

// --- helpers ---------------------------------------------------------------------------------

const validPositions = { version: 1 as const, updated_at: '2025-01-14T15:00:00Z', positions: [] };
const position = (over: Record<string, unknown> = {}) => ({
  symbol: 'AAPL',
  qty: 10,
  avg_price: 187.5,
  strategy: 'ibs_rsi',
  entry_date: '2025-01-13',
  stop: 180,
  target: null,
  time_stop_bars: 7,
  bars_held: 1,
  client_order_id: 'kobe-1',
  opened_at: '2025-01-13T15:30:00Z',
  updated_at: null,
  ...over,
});

function caught(fn: () => unknown): StateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StateError) return err;
    throw err;
  }
  throw new Error('expected a StateError');
}

async function caughtAsync(p: Promise<unknown>): Promise<StateError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StateError) return err;
    throw err;
  }
  throw new Error('expected a StateError');
}

// --- tests -----------------------------------------------------------------------------------

describe('round trips', () => {
  it('returns the initial value for a missing file without creating it', () => {
    expect(store.read(PositionsFile)).toEqual({ version: 1, updated_at: null, applied_fills: [], positions: [] });
    expect(store.read(IdempotencyFile)).toEqual({ version: 1, orders: {} });
    expect(store.exists(PositionsFile)).toBe(false);
    expect(fs.existsSync(home.paths.state('positions.json'))).toBe(false);
  });

  it('property: any valid PositionsFile written is read back equal', async () => {
    await fc.assert(
      fc.asyncProperty(positionsFile, async (value) => {
        await store.write(PositionsFile, value);
        expect(store.read(PositionsFile)).toEqual(value);
      }),
      { numRuns: 100 },
    );
  });

  it('property: any valid IdempotencyFile written is read back equal', async () => {
    await fc.assert(
      fc.asyncProperty(idempotencyFile, async (value) => {
        await store.write(IdempotencyFile, value);
        expect(store.read(IdempotencyFile)).toEqual(value);
      }),
      { numRuns: 100 },
    );
  });

  it('writes pretty JSON ending in a newline and fills defaults', async () => {
    const { bars_held: _b, client_order_id: _c, opened_at: _o, updated_at: _u, ...minimal } = position();
    await store.write(PositionsFile, { ...validPositions, positions: [minimal as PositionEntry] });
    const text = fs.readFileSync(home.paths.state('positions.json'), 'utf8');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text).toContain('\n  "positions": [');
    expect(store.read(PositionsFile).positions[0]).toMatchObject({ bars_held: 0, client_order_id: null, protective_client_order_id: null, opened_at: null, updated_at: null });
  });

  it('writes files in subdirectories of state/ (as created by kobe init)', async () => {
    fs.mkdirSync(path.join(home.paths.stateDir, 'reconcile'));
    const v = { version: 1 as const, ts: '2025-01-14T15:00:00Z', clean: true, broker: 'sim', discrepancies: [], mismatch_notional: 0, fixed: false };
    await store.write(LastReconcileFile, v);
    expect(JSON.parse(fs.readFileSync(path.join(home.paths.stateDir, 'reconcile', 'last_reconcile.json'), 'utf8'))).toEqual(v);
    expect(store.read(LastReconcileFile)).toEqual(v);
  });
});

describe('corrupt files', () => {
  const posFile = () => home.paths.state('positions.json');
  const cases: { name: string; text: string; field: string; problem: RegExp }[] = [
    { name: 'truncated JSON', text: '{"version":1,"updated_at":null,"positions":[{"symbol":"AA', field: '', problem: /^not valid JSON/ },
    { name: 'empty file', text: '', field: '', problem: /^empty file$/ },
    { name: 'whitespace only', text: '  \n', field: '', problem: /^empty file$/ },
    { name: 'wrong type in a nested field', text: JSON.stringify({ ...validPositions, positions: [position(), position({ qty: 'ten' })] }), field: 'positions.1.qty', problem: /number/i },
    { name: 'wrong type at index 0', text: JSON.stringify({ ...validPositions, positions: [position({ qty: 'ten' })] }), field: 'positions.0.qty', problem: /expected number, received string/i },
    { name: 'unknown field in an entry', text: JSON.stringify({ ...validPositions, positions: [position({ colour: 'red' })] }), field: 'positions.0.colour', problem: /^unknown field$/ },
    { name: 'unknown top-level field', text: JSON.stringify({ ...validPositions, extra: 1 }), field: 'extra', problem: /^unknown field$/ },
    { name: 'missing version', text: JSON.stringify({ updated_at: null, applied_fills: [], positions: [] }), field: 'version', problem: /1/ },
    { name: 'future version', text: JSON.stringify({ ...validPositions, version: 2 }), field: 'version', problem: /1/ },
    { name: 'bad timestamp', text: JSON.stringify({ ...validPositions, updated_at: '2025-01-14 15:00' }), field: 'updated_at', problem: /UTC ISO timestamp/ },
    { name: 'bad date', text: JSON.stringify({ ...validPositions, positions: [position({ entry_date: '13/01/2025' })] }), field: 'positions.0.entry_date', problem: /YYYY-MM-DD/ },
    { name: 'not an object', text: '[]', field: '(root)', problem: /object/i },
    { name: 'null', text: 'null', field: '(root)', problem: /object/i },
  ];

  it.each(cases)('$name: StateError naming state/positions.json and the field, exit 3', ({ text, field, problem }) => {
    fs.writeFileSync(posFile(), text);
    const err = caught(() => store.read(PositionsFile));
    expect(err.file).toBe('state/positions.json');
    expect(err.field).toBe(field);
    expect(err.exitCode).toBe(3);
    expect(err.code).toBe('STATE_INVALID');
    expect(String(err.details?.problem)).toMatch(problem);
    expect(err.message).toBe(`state/positions.json: ${field ? `field ${field}: ` : ''}${String(err.details?.problem)}`);
    expect(err.hint).toMatch(/left untouched/);
  });

  it.each(cases)('$name: write() and update() refuse and leave the bytes unchanged', async ({ text, field }) => {
    fs.writeFileSync(posFile(), text);
    const before = fs.readFileSync(posFile());
    const w = await caughtAsync(store.write(PositionsFile, validPositions));
    expect([w.file, w.field]).toEqual(['state/positions.json', field]);
    let called = false;
    const u = await caughtAsync(
      store.update(PositionsFile, (cur) => {
        called = true;
        return cur;
      }),
    );
    expect([u.file, u.field]).toEqual(['state/positions.json', field]);
    expect(called).toBe(false);
    expect(fs.readFileSync(posFile()).equals(before)).toBe(true);
    expect(fs.readdirSync(home.paths.stateDir).sort()).toEqual(['positions.json']); // no temp or lock left behind
  });

  it('names the field inside a record keyed by client_order_id', () => {
    const rec = {
      client_order_id: 'kobe-abc',
      intent: { session_date: '2025-01-14', symbol: 'AAPL', side: 'hold', qty: 1, type: 'limit', time_in_force: 'day', limit_price: 1, stop_price: null, strategy: 's', kind: 'entry' },
      status: 'PENDING',
      broker_order_id: null,
      reason: null,
      attempts: 0,
      created_at: '2025-01-14T15:00:00Z',
      updated_at: '2025-01-14T15:00:00Z',
    };
    fs.writeFileSync(home.paths.state('idempotency_store.json'), JSON.stringify({ version: 1, orders: { 'kobe-abc': rec } }));
    const err = caught(() => store.read(IdempotencyFile));
    expect([err.file, err.field]).toEqual(['state/idempotency_store.json', 'orders.kobe-abc.intent.side']);
  });

  it('reports a directory in place of a state file as unreadable', () => {
    fs.mkdirSync(posFile());
    const err = caught(() => store.read(PositionsFile));
    expect([err.file, err.field, err.details?.problem]).toEqual(['state/positions.json', '', 'cannot read (EISDIR)']);
  });

  it('refuses to write an invalid value, naming the field, and leaves the file as it was', async () => {
    await store.write(PositionsFile, validPositions);
    const before = fs.readFileSync(posFile());
    const bad = { ...validPositions, positions: [position({ qty: Number.NaN })] } as unknown as typeof validPositions;
    const err = await caughtAsync(store.write(PositionsFile, bad));
    expect([err.file, err.field]).toEqual(['state/positions.json', 'positions.0.qty']);
    expect(err.message).toMatch(/refusing to write an invalid value/);
    expect(fs.readFileSync(posFile()).equals(before)).toBe(true);
    const err2 = await caughtAsync(store.update(DailyBudgetFile, (c) => ({ ...c, entries: -1 })));
    expect([err2.file, err2.field]).toEqual(['state/daily_budget.json', 'entries']);
    expect(store.exists(DailyBudgetFile)).toBe(false);
  });
});

describe('check()', () => {
  it('returns no problems for a fresh state dir or valid files', async () => {
    expect(store.check()).toEqual([]);
    await store.write(PositionsFile, { ...validPositions, positions: [position() as PositionEntry] });
    expect(store.check()).toEqual([]);
  });

  it('lists every problem across several corrupt files, in a stable order, one per file', async () => {
    fs.writeFileSync(home.paths.state('positions.json'), JSON.stringify({ ...validPositions, positions: [position({ qty: 'ten' })] }));
    fs.writeFileSync(home.paths.state('idempotency_store.json'), '');
    fs.writeFileSync(home.paths.state('daily_budget.json'), JSON.stringify({ version: 1, date: null, notional_used: 0, entries: 0, mystery: true }));
    await store.write(WeeklyBudgetFile, { version: 1, week_start: '2025-01-13', new_exposure: 10, entries_by_day: { '2025-01-13': 1 } });
    fs.mkdirSync(path.join(home.paths.stateDir, 'reconcile'), { recursive: true });
    fs.writeFileSync(home.paths.state('reconcile/last_reconcile.json'), '{"version":1,');
    fs.writeFileSync(home.paths.state('heartbeat.json'), JSON.stringify({ ...HeartbeatFile.initial(), pid: 0 }));
    const problems = store.check();
    expect(problems.map((p) => [p.file, p.field])).toEqual([
      ['state/positions.json', 'positions.0.qty'],
      ['state/idempotency_store.json', ''],
      ['state/daily_budget.json', 'mystery'],
      ['state/heartbeat.json', 'pid'],
      ['state/reconcile/last_reconcile.json', ''],
    ]);
    expect(problems[1].problem).toBe('empty file');
    expect(problems[2].problem).toBe('unknown field');
    expect(problems[4].problem).toMatch(/^not valid JSON/);
  });

  it('covers every known state file', () => {
    for (const def of STATE_FILES) fs.mkdirSync(path.dirname(home.paths.state(def.name)), { recursive: true });
    for (const def of STATE_FILES) fs.writeFileSync(home.paths.state(def.name), '{');
    expect(store.check().map((p) => p.file)).toEqual(STATE_FILES.map((d) => `state/${d.name}`));
  });
});

describe('update()', () => {
  it('serialises 20 concurrent read-modify-writes: no increment is lost', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.update(DailyBudgetFile, async (cur) => {
          await new Promise((r) => setTimeout(r, (i * 7) % 5));
          return { ...cur, date: '2025-01-14', entries: cur.entries + 1, notional_used: cur.notional_used + 100 };
        }),
      ),
    );
    expect(store.read(DailyBudgetFile)).toEqual({ version: 1, date: '2025-01-14', notional_used: 2000, entries: 20 });
    expect(results.map((r) => r.entries).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(fs.readdirSync(home.paths.stateDir)).toEqual(['daily_budget.json']);
  });

  it('returns the written value and leaves the file alone when fn throws', async () => {
    await store.write(LlmUsageFile, { version: 1, date: '2025-01-14', tokens: 5, cost_usd: 0.5, calls: 1 });
    const before = fs.readFileSync(home.paths.state('llm_token_usage.json'));
    await expect(
      store.update(LlmUsageFile, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(fs.readFileSync(home.paths.state('llm_token_usage.json')).equals(before)).toBe(true);
    const next = await store.update(LlmUsageFile, (c) => ({ ...c, tokens: c.tokens + 10, calls: c.calls + 1 }));
    expect(next).toEqual({ version: 1, date: '2025-01-14', tokens: 15, cost_usd: 0.5, calls: 2 });
    expect(store.read(LlmUsageFile)).toEqual(next);
  });
});
