// The low-severity items of the safety issue: bad paths, hangs, signals and input bounds each
// end with the documented exit code, one clear line and a hint, and one JSON document with --json.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { initHome, json, kobe, kobeAsync, tempDir } from '../helpers/cli.js';

let home: string;
let cleanupHome: () => void;
let scratch: string;
let cleanupScratch: () => void;

beforeAll(() => {
  ({ home, cleanup: cleanupHome } = initHome());
  ({ dir: scratch, cleanup: cleanupScratch } = tempDir());
  expect(kobe(['data', 'seed', '--symbols', '20', '--years', '3', '--home', home]).code).toBe(0);
}, 60_000);
afterAll(() => {
  cleanupHome();
  cleanupScratch();
});

/** A --json run: the exit code and the error of its one JSON document. */
function fails(args: string[], code: number): { message: string; hint: string | null; code: string } {
  const r = kobe([...args, '--json']);
  expect({ code: r.code, stderr: r.stderr }).toEqual({ code, stderr: expect.not.stringMatching(/\n\s+at |npm run build/) });
  const doc = json(r);
  expect(doc.ok).toBe(false);
  expect(doc.error.hint).toBeTruthy();
  return doc.error;
}

describe('1. paths that are not what they should be: exit 2 or 3, never 1', () => {
  it('a directory as --params (backtest, walk-forward, scan) is a usage error naming it', () => {
    const dir = path.join(scratch, 'params-dir');
    fs.mkdirSync(dir);
    for (const cmd of [['backtest'], ['walk-forward'], ['scan', '--history', '--start', '2024-01-02', '--end', '2024-02-01']]) {
      expect(fails([...cmd, '--params', dir, '--home', home], 2).message).toMatch(/params-dir is a directory, not a regular file/);
    }
  });

  it('a file as --out is a usage error; an earnings "file" that is a directory too', () => {
    const file = path.join(scratch, 'out-file');
    fs.writeFileSync(file, 'x');
    expect(fails(['backtest', '--out', file, '--home', home], 2).message).toMatch(/out-file is a file, not a directory/);
    expect(fails(['walk-forward', '--out', file, '--home', home], 2).message).toMatch(/out-file is a file, not a directory/);
    expect(fails(['data', 'earnings', 'import', scratch, '--home', home], 2).message).toMatch(/is a directory, not a regular file/);
  });

  it('--home: a file, a directory that is no kobe home, a name over 255 bytes', () => {
    const file = path.join(home, 'config', 'base.yaml');
    expect(fails(['status', '--home', file], 2).message).toMatch(/is a file, not a directory/);
    expect(fails(['status', '--home', scratch], 2).message).toMatch(/is not a kobe home/);
    const long = path.join(scratch, 'a'.repeat(300));
    expect(fails(['status', '--home', long], 2).message).toMatch(/ENAMETOOLONG/);
    const init = fails(['init', '--home', long], 2);
    expect(init.message).toMatch(/ENAMETOOLONG/);
    expect(init.message).toMatch(/nothing was changed/);
  });

  it('an impossible --replay date is a usage error', () => {
    expect(fails(['brain', 'start', '--foreground', '--replay', '2025-02-30..2025-03-03', '--home', home], 2).message).toMatch(/--replay: invalid date "2025-02-30"/);
  });

  it('stdout on a full disk: one line on stderr, exit 3, no stack and no "npm run build"', () => {
    const fd = fs.openSync('/dev/full', 'w');
    try {
      for (const args of [['--version'], ['status', '--home', home, '--json']]) {
        const r = kobe(args, { stdio: ['ignore', fd, 'pipe'] });
        expect(r.code).toBe(3);
        expect(r.stderr).toMatch(/ENOSPC/);
        expect(r.stderr).not.toMatch(/\n\s+at |npm run build/);
      }
    } finally {
      fs.closeSync(fd);
    }
  });

  const canMount = spawnSync('unshare', ['-m', 'true']).status === 0;
  (canMount ? it : it.skip)('a read-only home: exit 3 naming the path and EROFS, --json one document', () => {
    const ro = path.join(scratch, 'ro-home');
    fs.cpSync(home, ro, { recursive: true });
    fs.rmSync(path.join(ro, 'data', 'snapshots'), { recursive: true, force: true });
    const bin = path.join(process.cwd(), 'bin', 'kobe');
    for (const cmd of ['state backup', 'reconcile', 'budget record --tokens 5 --model gpt-4o']) {
      const script = `mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && exec "${process.execPath}" "${bin}" ${cmd} --home "$1" --json`;
      const r = spawnSync('unshare', ['-m', 'sh', '-c', script, 'sh', ro], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });
      expect({ cmd, code: r.status }).toEqual({ cmd, code: 3 });
      const doc = JSON.parse(r.stdout);
      expect(doc.error.code).toBe('IO_ERROR');
      expect(doc.error.message).toMatch(new RegExp(`cannot \\w+ ${ro}/\\S+: EROFS \\(read-only file system\\)`));
      expect(doc.error.hint).toMatch(/read-write/);
    }
  });
});

describe('2. hangs and aborts', () => {
  it('--out under /proc fails fast with exit 2 naming the path', () => {
    const started = Date.now();
    const err = fails(['backtest', '--out', '/proc/nope', '--home', home], 2);
    expect(err.message).toMatch(/--out \/proc\/nope: cannot create it/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('data import refuses a FIFO named x.csv (alone or in a directory) and /dev/zero, exit 2', () => {
    const dir = path.join(scratch, 'fifo-dir');
    fs.mkdirSync(dir);
    expect(spawnSync('mkfifo', [path.join(dir, 'x.csv')]).status).toBe(0);
    expect(fails(['data', 'import', path.join(dir, 'x.csv'), '--home', home], 2).message).toMatch(/x\.csv is not a regular file \(a FIFO\)/);
    expect(fails(['data', 'import', dir, '--home', home], 2).message).toMatch(/x\.csv is not a regular file \(a FIFO\)/);
    expect(fails(['data', 'import', '/dev/zero', '--home', home], 2).message).toMatch(/\/dev\/zero is not a regular file \(a character device\)/);
  });

  it('data import refuses a file over 512 MB up front, with its size', () => {
    const big = path.join(scratch, 'big.csv');
    fs.writeFileSync(big, 'date,open,high,low,close,volume\n');
    fs.truncateSync(big, 600 * 2 ** 20); // sparse: nothing is written
    const started = Date.now();
    expect(fails(['data', 'import', big, '--home', home], 2).message).toMatch(/big\.csv is 600 MB, over the 512 MB limit/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  async function terminated(args: string[], after: number): Promise<void> {
    const { child, done } = kobeAsync(args);
    await new Promise((r) => setTimeout(r, after));
    const sent = Date.now();
    child.kill('SIGTERM');
    const r = await done;
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 143, stderr: expect.stringMatching(/interrupted by SIGTERM/) });
    expect(Date.now() - sent).toBeLessThan(10_000);
  }

  it('backtest honours SIGTERM within 10 s (exit 143)', async () => {
    const { home: big, cleanup } = initHome();
    try {
      expect(kobe(['data', 'seed', '--home', big]).code).toBe(0);
      await terminated(['backtest', '--check-lookahead', '--home', big], 1500);
    } finally {
      cleanup();
    }
  }, 30_000);

  it('data import honours SIGTERM within 10 s (exit 143)', async () => {
    const dir = path.join(scratch, 'many');
    fs.mkdirSync(dir);
    const rows = Array.from({ length: 2500 }, (_, i) => `${new Date(Date.UTC(2000, 0, 3) + i * 86_400_000).toISOString().slice(0, 10)},10,11,9,10.5,1000`).join('\n');
    for (let i = 0; i < 1500; i++) fs.writeFileSync(path.join(dir, `S${i}.csv`), `date,open,high,low,close,volume\n${rows}\n`);
    await terminated(['data', 'import', dir, '--home', home], 700);
  }, 30_000);
});

describe('3. input validation', () => {
  it('budget record bounds --tokens', () => {
    expect(fails(['budget', 'record', '--tokens', '99999999999999999999', '--model', 'gpt-4o', '--home', home], 2).message).toMatch(/--tokens 99999999999999999999 is over/);
    expect(fails(['budget', 'record', '--tokens', '1000000001', '--model', 'gpt-4o', '--home', home], 2).message).toMatch(/is over/);
  });

  it('orders --client-id "" is a usage error, not a list of everything', () => {
    expect(fails(['orders', '--client-id', '', '--home', home], 2).message).toBe('--client-id must not be empty');
  });

  it('--json alone is a usage error document; --json --version prints the version as JSON', () => {
    const none = kobe(['--json']);
    expect(none.code).toBe(2);
    expect(json(none).error).toMatchObject({ code: 'USAGE', message: 'no command given' });
    for (const args of [['--json', '--version'], ['-V', '--json']]) {
      const v = kobe(args);
      expect(v.code).toBe(0);
      expect(json(v).version).toMatch(/^\d+\.\d+\.\d+/);
    }
    expect(kobe(['--version']).stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('kill off refuses while the last reconcile is stamped in the future', () => {
    const { home: h, cleanup } = initHome();
    try {
      const file = path.join(h, 'state', 'reconcile', 'last_reconcile.json');
      const rec = JSON.parse(fs.readFileSync(file, 'utf8'));
      fs.writeFileSync(file, JSON.stringify({ ...rec, ts: new Date(Date.now() + 3 * 3_600_000).toISOString() }));
      expect(kobe(['kill', 'on', '--reason', 'test', '--home', h]).code).toBe(0);
      expect(fails(['kill', 'off', '--yes', '--home', h], 6).message).toMatch(/reconcile timestamp is in the future/);
    } finally {
      cleanup();
    }
  });

  it('init refuses a non-empty directory that is no kobe home (exit 6, naming entries) unless --force', () => {
    const dir = path.join(scratch, 'busy');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'mine');
    fs.mkdirSync(path.join(dir, 'photos'));
    const err = fails(['init', '--home', dir], 6);
    expect(err.message).toMatch(/is not empty and not a kobe home \(notes\.txt, photos\)/);
    expect(fs.readdirSync(dir).sort()).toEqual(['notes.txt', 'photos']);
    expect(kobe(['init', '--home', dir, '--force']).code).toBe(0);
    const empty = path.join(scratch, 'empty');
    fs.mkdirSync(empty);
    expect(kobe(['init', '--home', empty]).code).toBe(0);
    expect(kobe(['init', '--home', path.join(scratch, 'missing', 'deeper')]).code).toBe(0);
  });
});
