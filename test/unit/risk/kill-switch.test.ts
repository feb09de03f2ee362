// Trading state and the kill switch (SPEC section 4): any content halts, JSON mode reduce reduces,
// anything unreadable halts (fail closed); `kill on` keeps the first record; history keeps bad lines.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { SafetyRefusal } from '../../../src/core/errors.js';
import { FakeClock } from '../../../src/core/ports/clock.js';
import { activateKillSwitch, appendKillHistory, readKillHistory, removeKillSwitch } from '../../../src/core/risk/kill-switch.js';
import { parseKillRecord, tradingState } from '../../../src/core/risk/trading-state.js';
import { tempStateHome, type TempHome } from '../../helpers/home.js';

let home: TempHome;
let kill: string;
let stateDir: string;
const clock = new FakeClock('2025-01-14T15:00:00Z');

beforeEach(() => {
  home = tempStateHome();
  kill = home.paths.killSwitch;
  stateDir = home.paths.stateDir;
});
afterEach(() => home.cleanup());

const state = () => tradingState(kill, stateDir);

describe('tradingState', () => {
  it('is ACTIVE when the file is absent and the state dir is readable', () => {
    expect(state()).toEqual({ state: 'ACTIVE', source: 'absent' });
  });

  it('is HALTED for an empty file (touch)', () => {
    fs.writeFileSync(kill, '');
    expect(state()).toEqual({ state: 'HALTED', source: 'empty', record: { reason: '(empty kill switch file)', mode: 'halt' } });
  });

  it('is HALTED for a whitespace-only file', () => {
    fs.writeFileSync(kill, ' \n\n');
    expect(state()).toMatchObject({ state: 'HALTED', source: 'empty' });
  });

  it('is HALTED with the text as reason for a plain-text file (echo)', () => {
    fs.writeFileSync(kill, 'broker outage, halt everything\n');
    expect(state()).toEqual({ state: 'HALTED', source: 'text', record: { reason: 'broker outage, halt everything', mode: 'halt' } });
  });

  it('shortens a very long text reason to 500 characters', () => {
    fs.writeFileSync(kill, 'x'.repeat(2000));
    const s = state();
    expect(s.state).toBe('HALTED');
    expect(s.record!.reason).toBe(`${'x'.repeat(500)}...`);
  });

  it('is REDUCING for kobe JSON with mode reduce, with every field of the record', () => {
    fs.writeFileSync(kill, JSON.stringify({ reason: 'drawdown', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'brain', mode: 'reduce', trigger: 'K2' }));
    expect(state()).toEqual({
      state: 'REDUCING',
      source: 'json',
      record: { reason: 'drawdown', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'brain', mode: 'reduce', trigger: 'K2' },
    });
  });

  it('is HALTED for JSON with mode halt, without mode, or with an unknown mode', () => {
    for (const doc of [{ reason: 'r', mode: 'halt' }, { reason: 'r' }, { reason: 'r', mode: 'REDUCE' }, { reason: 'r', mode: 'resume' }]) {
      fs.writeFileSync(kill, JSON.stringify(doc));
      expect([doc, state().state, state().source]).toEqual([doc, 'HALTED', 'json']);
    }
  });

  it('shows JSON without a reason as its text', () => {
    fs.writeFileSync(kill, '{"mode":"halt"}');
    expect(state().record!.reason).toBe('{"mode":"halt"}');
  });

  it('treats broken JSON and JSON arrays as text, still HALTED', () => {
    fs.writeFileSync(kill, '{"mode":"reduce"');
    expect(state()).toMatchObject({ state: 'HALTED', source: 'text', record: { reason: '{"mode":"reduce"' } });
    fs.writeFileSync(kill, '["reduce"]');
    expect(state()).toMatchObject({ state: 'HALTED', source: 'text' });
  });

  it('is HALTED (unreadable) when a directory sits at the KILL_SWITCH path', () => {
    fs.mkdirSync(kill);
    const s = state();
    expect(s.state).toBe('HALTED');
    expect(s.source).toBe('unreadable');
    expect(s.detail).toBe(`${kill} is a directory`);
    expect(s.record).toEqual({ reason: `fail closed: ${kill} is a directory`, mode: 'halt' });
  });

  it('is HALTED (fail closed) when the state dir is missing', () => {
    fs.rmSync(stateDir, { recursive: true });
    const s = state();
    expect(s).toMatchObject({ state: 'HALTED', source: 'unreadable' });
    expect(s.detail).toMatch(/state directory .* is not readable/);
  });

  it('is HALTED (fail closed) when the state dir is a file', () => {
    fs.rmSync(stateDir, { recursive: true });
    fs.writeFileSync(stateDir, 'not a dir');
    expect(state()).toMatchObject({ state: 'HALTED', source: 'unreadable' });
  });

  it('follows a symlink to a file and halts on a dangling one', () => {
    const target = path.join(home.dir, 'elsewhere.txt');
    fs.writeFileSync(target, 'linked reason');
    fs.symlinkSync(target, kill);
    expect(state()).toMatchObject({ state: 'HALTED', source: 'text', record: { reason: 'linked reason' } });
    fs.rmSync(target);
    // A dangling link reads as ENOENT, but the switch is there: it must not read as ACTIVE
    // (kill off refuses to remove it, so it must halt).
    expect(fs.lstatSync(kill).isSymbolicLink()).toBe(true);
    expect(state()).toMatchObject({ state: 'HALTED', source: 'unreadable' });
    expect(state().detail).toMatch(/KILL_SWITCH/);
  });
});

describe('parseKillRecord', () => {
  it('classifies content', () => {
    expect(parseKillRecord('').source).toBe('empty');
    expect(parseKillRecord('hello').record).toEqual({ reason: 'hello', mode: 'halt' });
    expect(parseKillRecord('  {"reason":"x","mode":"reduce","activated_by":7}  ').record).toEqual({ reason: 'x', mode: 'reduce', activated_at: undefined, activated_by: undefined, trigger: undefined });
  });
});

describe('activateKillSwitch', () => {
  it('writes the kobe record atomically and reports the new state', () => {
    const out = activateKillSwitch(kill, stateDir, clock, { reason: 'manual test', by: 'alice', mode: 'halt', trigger: 'K1' });
    expect(out.created).toBe(true);
    expect(out.state).toEqual({
      state: 'HALTED',
      source: 'json',
      record: { reason: 'manual test', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'alice', mode: 'halt', trigger: 'K1' },
    });
    expect(JSON.parse(fs.readFileSync(kill, 'utf8'))).toEqual({ reason: 'manual test', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'alice', mode: 'halt', trigger: 'K1' });
    expect(fs.readdirSync(stateDir)).toEqual(['KILL_SWITCH']); // no temp file left
  });

  it('omits trigger when none is given and supports reduce mode', () => {
    const out = activateKillSwitch(kill, stateDir, clock, { reason: 'r', by: 'bob', mode: 'reduce' });
    expect(out.state.state).toBe('REDUCING');
    expect(Object.keys(JSON.parse(fs.readFileSync(kill, 'utf8')))).toEqual(['reason', 'activated_at', 'activated_by', 'mode']);
  });

  it('is idempotent: a second activation keeps the first record and says created false', () => {
    activateKillSwitch(kill, stateDir, clock, { reason: 'first', by: 'alice', mode: 'reduce' });
    const firstBytes = fs.readFileSync(kill);
    const later = new FakeClock('2025-01-14T16:00:00Z');
    const second = activateKillSwitch(kill, stateDir, later, { reason: 'second', by: 'bob', mode: 'reduce' });
    expect(second.created).toBe(false);
    expect(second.state).toMatchObject({ state: 'REDUCING', record: { reason: 'first', activated_by: 'alice' } });
    expect(fs.readFileSync(kill).equals(firstBytes)).toBe(true);
    expect(fs.readdirSync(stateDir)).toEqual(['KILL_SWITCH']);
  });

  it('keeps an operator-made empty file as it is', () => {
    fs.writeFileSync(kill, '');
    const out = activateKillSwitch(kill, stateDir, clock, { reason: 'r', by: 'x', mode: 'halt' });
    expect(out).toMatchObject({ created: false, state: { state: 'HALTED', source: 'empty' } });
    expect(fs.readFileSync(kill, 'utf8')).toBe('');
  });

  it('creates a missing state dir', () => {
    fs.rmSync(stateDir, { recursive: true });
    expect(activateKillSwitch(kill, stateDir, clock, { reason: 'r', by: 'x', mode: 'halt' }).created).toBe(true);
    expect(state().state).toBe('HALTED');
  });
});

describe('removeKillSwitch', () => {
  it('removes the file so trading is ACTIVE again, leaving nothing behind', () => {
    activateKillSwitch(kill, stateDir, clock, { reason: 'r', by: 'x', mode: 'halt' });
    removeKillSwitch(kill, stateDir);
    expect(state()).toEqual({ state: 'ACTIVE', source: 'absent' });
    expect(fs.readdirSync(stateDir)).toEqual([]);
  });

  it('does nothing when the switch is already off', () => {
    expect(() => removeKillSwitch(kill, stateDir)).not.toThrow();
    expect(state().state).toBe('ACTIVE');
  });

  it('refuses (SafetyRefusal, exit 6) to remove a directory and trading stays halted', () => {
    fs.mkdirSync(kill);
    let err: unknown;
    try {
      removeKillSwitch(kill, stateDir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetyRefusal);
    expect((err as SafetyRefusal).exitCode).toBe(6);
    expect((err as SafetyRefusal).message).toBe(`${kill} is not a regular file; trading stays halted`);
    expect(fs.statSync(kill).isDirectory()).toBe(true);
    expect(state().state).toBe('HALTED');
  });

  it('refuses to remove a symlink', () => {
    const target = path.join(home.dir, 't');
    fs.writeFileSync(target, 'x');
    fs.symlinkSync(target, kill);
    expect(() => removeKillSwitch(kill, stateDir)).toThrow(SafetyRefusal);
    expect(fs.lstatSync(kill).isSymbolicLink()).toBe(true);
  });
});

describe('kill switch history', () => {
  it('returns nothing for a missing history', () => {
    expect(readKillHistory(home.paths.killHistory)).toEqual({ entries: [], problems: [] });
  });

  it('appends entries as JSON lines and reads them back in order', async () => {
    const on = { event: 'on' as const, reason: 'r', mode: 'halt', activated_at: '2025-01-14T15:00:00.000Z', activated_by: 'a' };
    const off = { event: 'off' as const, reason: 'r', deactivated_at: '2025-01-14T16:00:00.000Z', deactivated_by: 'b', note: 'ok', forced: false };
    await appendKillHistory(home.paths.killHistory, on);
    await appendKillHistory(home.paths.killHistory, off);
    expect(fs.readFileSync(home.paths.killHistory, 'utf8')).toBe(`${JSON.stringify(on)}\n${JSON.stringify(off)}\n`);
    expect(readKillHistory(home.paths.killHistory)).toEqual({ entries: [on, off], problems: [] });
  });

  it('reports bad lines as problems with their line numbers instead of dropping them', () => {
    fs.writeFileSync(
      home.paths.killHistory,
      [
        '{"event":"on","reason":"a"}',
        '{"event":"on","reas', // torn
        '',
        '{"event":"maybe","reason":"b"}',
        'garbage',
        '{"event":"off","reason":"c"}',
        '',
      ].join('\n'),
    );
    const { entries, problems } = readKillHistory(home.paths.killHistory);
    expect(entries.map((e) => e.reason)).toEqual(['a', 'c']);
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^line 2: /);
    expect(problems[1]).toBe('line 4: no event on|off');
    expect(problems[2]).toMatch(/^line 5: /);
  });
});
