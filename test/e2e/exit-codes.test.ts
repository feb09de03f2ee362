// One test per row of the exit-code table (ARCHITECTURE.md section 3), against the built binary.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, cliEnv, initHome, json, kobe, kobeAsync, tempDir } from '../helpers/cli.js';
import { COMMANDS } from '../../src/cli/registry.js';

const STACK = /\n\s+at .+\(.*:\d+:\d+\)/;

describe('exit codes from the binary', () => {
  let home: string;
  let cleanup: () => void;
  beforeEach(() => {
    ({ home, cleanup } = initHome());
  });
  afterEach(() => cleanup());

  it('0: --version prints the package version', () => {
    const r = kobe(['--version']);
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
  });

  it('0: kill status on a fresh home is ACTIVE', () => {
    const r = kobe(['kill', 'status', '--home', home, '--json']);
    expect(r.code).toBe(0);
    expect(json(r)).toMatchObject({ ok: true, trading_state: { state: 'ACTIVE', source: 'absent' } });
  });

  it('0: help <cmd> shows an example, for every command', () => {
    for (const cmd of COMMANDS.map((c) => c.name)) {
      const r = kobe(['help', cmd]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Example/);
      expect(r.stdout).toContain(`kobe ${cmd}`);
    }
  });

  it('3 (not 1): a file-system error names the path and errno; the stack goes to the log', () => {
    fs.rmSync(path.join(home, 'state', 'hash_chain.jsonl'));
    fs.mkdirSync(path.join(home, 'state', 'hash_chain.jsonl'));
    const r = kobe(['verify-chain', '--home', home]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/^error: cannot read.*: EISDIR \(is a directory\)$/m);
    expect(r.stderr).not.toMatch(STACK);
    expect(fs.readFileSync(path.join(home, 'logs', 'kobe.log'), 'utf8')).toMatch(/"stack"/);
  });

  it('2: unknown flag, unknown command, bad argument, missing home; --json keeps the contract', () => {
    const cases = [['--bogus'], ['frobnicate'], ['kill', 'history', '--limit', 'ten', '--home', home], ['kill', 'status', '--home', path.join(home, 'nope')], ['kill', 'on', '--home', home]];
    for (const args of cases) {
      const r = kobe(args);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(/^error: /m);
      expect(r.stderr).toMatch(/^hint: /m);
      expect(r.stderr).not.toMatch(STACK);
      const j = kobe([...args, '--json']);
      expect(j.code).toBe(2);
      expect(json(j)).toMatchObject({ ok: false, error: { code: 'USAGE' } });
    }
  });

  it('3: malformed config lists every problem with its path', () => {
    fs.writeFileSync(path.join(home, 'config', 'base.yaml'), fs.readFileSync(path.join(home, 'config', 'base.yaml'), 'utf8').replace('mode: paper', 'mode: sideways').replace('risk_pct: 0.01', 'risk_pct: "lots"').replace('broker:\n', 'broker:\n  nmae: sim\n'));
    fs.writeFileSync(path.join(home, 'state', 'KILL_SWITCH'), '');
    const r = kobe(['kill', 'off', '--yes', '--home', home, '--json']);
    expect(r.code).toBe(3);
    const err = json(r).error;
    expect(err.code).toBe('CONFIG_INVALID');
    const paths = err.details.issues.map((i: { path: string }) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['trading.mode', 'trading.risk_pct', 'broker.nmae']));
    expect(fs.existsSync(path.join(home, 'state', 'KILL_SWITCH'))).toBe(true);
  });

  it('3: bad YAML names the line', () => {
    fs.writeFileSync(path.join(home, 'config', 'base.yaml'), 'trading:\n  mode: paper\n   bad: [\n');
    fs.writeFileSync(path.join(home, 'state', 'KILL_SWITCH'), '');
    const r = kobe(['kill', 'off', '--yes', '--home', home]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/base\.yaml/);
    expect(r.stderr).toMatch(/line \d+/);
  });

  it('3: a config pin mismatch shows both hashes', () => {
    const f = path.join(home, 'config', 'frozen_strategy_params.json');
    fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('"rsi_entry": 5.0', '"rsi_entry": 6.0'));
    fs.writeFileSync(path.join(home, 'state', 'KILL_SWITCH'), '');
    const r = kobe(['kill', 'off', '--yes', '--home', home, '--json']);
    expect(r.code).toBe(3);
    const e = json(r).error;
    expect(e.message).toMatch(/pin mismatch/);
    expect(e.details.pinned).toMatch(/^[0-9a-f]{64}$/);
    expect(e.details.actual).toMatch(/^[0-9a-f]{64}$/);
    expect(e.details.pinned).not.toBe(e.details.actual);
  });

  it('3: a corrupt state file is named with its field and left untouched', () => {
    const f = path.join(home, 'state', 'idempotency_store.json');
    const bad = '{"version":1,"orders":{"x":{"client_order_id":"x"';
    fs.writeFileSync(f, bad);
    const r = kobe(['state', 'check', '--home', home]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/state\/idempotency_store\.json/);
    expect(fs.readFileSync(f, 'utf8')).toBe(bad);
    const wrongType = '{"version":1,"updated_at":null,"positions":[{"symbol":"AAPL","qty":"ten"}]}';
    fs.writeFileSync(path.join(home, 'state', 'positions.json'), wrongType);
    const j = json(kobe(['state', 'check', '--home', home, '--json']));
    expect(j.ok).toBe(false);
    expect(j.problems).toEqual(expect.arrayContaining([expect.objectContaining({ file: 'state/positions.json', field: 'positions.0.qty' })]));
  });

  it('5: a tampered chain is reported broken at its block; a torn tail distinctly', () => {
    kobe(['kill', 'on', '--reason', 'a', '--home', home]);
    const chain = path.join(home, 'state', 'hash_chain.jsonl');
    const text = fs.readFileSync(chain, 'utf8');
    fs.writeFileSync(chain, text.replace('"reason":"a"', '"reason":"b"'));
    const broken = kobe(['verify-chain', '--home', home, '--json']);
    expect(broken.code).toBe(5);
    expect(json(broken)).toMatchObject({ ok: false, status: 'broken', brokenAt: 2, error: { code: 'CHECK_FAILED' } });
    fs.writeFileSync(chain, `${text}{"payload":{"ty`);
    const torn = kobe(['verify-chain', '--home', home, '--json']);
    expect(torn.code).toBe(5);
    expect(json(torn)).toMatchObject({ status: 'torn_tail', blocks: 2 });
    const repaired = kobe(['verify-chain', '--repair', '--home', home, '--json']);
    expect(repaired.code).toBe(0);
    expect(json(repaired)).toMatchObject({ ok: true, status: 'intact', blocks: 3 });
  });

  it('6: refusals: existing home, kill off without --yes off a TTY, restore while active', () => {
    const again = kobe(['init', '--home', home]);
    expect(again.code).toBe(6);
    expect(again.stderr).toMatch(/already a kobe home/);
    kobe(['kill', 'on', '--reason', 'x', '--home', home]);
    const off = kobe(['kill', 'off', '--force', '--home', home]);
    expect(off.code).toBe(6);
    expect(off.stderr).toMatch(/--yes/);
    expect(json(kobe(['kill', 'status', '--home', home, '--json'])).trading_state.state).toBe('HALTED');
    kobe(['kill', 'off', '--force', '--yes', '--home', home]);
    const backup = json(kobe(['state', 'backup', '--home', home, '--json']));
    const restore = kobe(['state', 'restore', backup.stamp, '--yes', '--home', home]);
    expect(restore.code).toBe(6);
    expect(restore.stderr).toMatch(/kill on/);
  });

  it.each([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as const)('%s while waiting on a lock exits %i, never 0', async (signal, code) => {
    const lockDir = path.join(home, 'state', 'kill_switch_history.jsonl.lock');
    fs.mkdirSync(lockDir);
    fs.writeFileSync(path.join(lockDir, 'owner'), String(process.pid));
    const { child, done } = kobeAsync(['kill', 'on', '--reason', 'x', '--home', home], cliEnv());
    await new Promise((r) => setTimeout(r, 1200));
    child.kill(signal);
    const r = await done;
    expect(r.code).toBe(code);
    expect(fs.existsSync(path.join(home, 'state', 'KILL_SWITCH'))).toBe(true);
  });
});

describe('output contract', () => {
  it('no colour codes when piped or with NO_COLOR, even with FORCE_COLOR', () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = kobe(['init', '--home', dir], { env: cliEnv({ FORCE_COLOR: '1' }) });
      expect(r.code).toBe(0);
      expect(r.stdout + r.stderr).not.toMatch(/\x1b\[/);
      const n = kobe(['kill', 'on', '--reason', 'x', '--home', dir], { env: cliEnv({ NO_COLOR: '1' }) });
      expect(n.stdout + n.stderr).not.toMatch(/\x1b\[/);
    } finally {
      cleanup();
    }
  });

  it('--json prints exactly one document on stdout and the home is never created by mistake', () => {
    const { dir, cleanup } = tempDir();
    try {
      const r = kobe(['kill', 'on', '--reason', 'x', '--home', path.join(dir, 'missing'), '--json']);
      expect(r.code).toBe(2);
      expect(() => JSON.parse(r.stdout)).not.toThrow();
      expect(fs.existsSync(path.join(dir, 'missing'))).toBe(false);
    } finally {
      cleanup();
    }
  });

  it('the demo runs end to end from the binary', () => {
    const r = kobe(['demo', '--json']);
    expect(r.code).toBe(0);
    const j = json(r);
    expect(j.steps.length).toBeGreaterThanOrEqual(10);
    expect(fs.existsSync(j.home)).toBe(false);
  });
});
