// .env parsing: quotes, comments, `export`, and bad lines reported by number without their value.
import fs from 'node:fs';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { loadEnv, parseDotenv } from '../../../src/core/config/env.js';
import { tempHome, type TempHome } from '../../helpers/home.js';

let home: TempHome;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('parseDotenv', () => {
  it('reads keys, quotes, comments and export prefixes', () => {
    const text = [
      '# kobe secrets',
      '',
      'ALPACA_API_KEY_ID=PKTEST123',
      'export ALPACA_API_SECRET_KEY="s3cr3t value"',
      "POLYGON_API_KEY='single # not a comment'",
      'TELEGRAM_BOT_TOKEN=123:abc # a trailing comment',
      'TELEGRAM_CHAT_ID = 42 ',
      '   # indented comment',
      'EMPTY=',
      'EMPTY_QUOTED=""',
      'HASH_INSIDE=abc#def',
      'export   SPACED=1',
      'lower_case_ok=yes',
    ].join('\n');
    expect(parseDotenv(text, '.env')).toEqual({
      ALPACA_API_KEY_ID: 'PKTEST123',
      ALPACA_API_SECRET_KEY: 's3cr3t value',
      POLYGON_API_KEY: 'single # not a comment',
      TELEGRAM_BOT_TOKEN: '123:abc',
      TELEGRAM_CHAT_ID: '42',
      EMPTY: '',
      EMPTY_QUOTED: '',
      HASH_INSIDE: 'abc#def',
      SPACED: '1',
      lower_case_ok: 'yes',
    });
  });

  it('strips the quotes of a quoted value followed by a comment', () => {
    expect(parseDotenv('POLYGON_API_KEY="abc123" # from the dashboard\nA=\'x y\'  # c\n', '.env')).toEqual({ POLYGON_API_KEY: 'abc123', A: 'x y' });
  });

  it('keeps an unbalanced quote as written', () => {
    expect(parseDotenv('A="abc\nB=\'\n', '.env')).toEqual({ A: '"abc', B: "'" });
  });

  it('handles CRLF line endings', () => {
    expect(parseDotenv('A=1\r\nB="2"\r\n', '.env')).toEqual({ A: '1', B: '2' });
  });

  it('lets a later line win', () => {
    expect(parseDotenv('A=1\nA=2\n', '.env')).toEqual({ A: '2' });
  });

  it('reports every bad line by number, without echoing its value', () => {
    const secret = 'sk-live-VERY-SECRET-9f8e7d';
    const err = configError(() => parseDotenv(`A=1\nALPACA_API_SECRET_KEY ${secret}\n\n1BAD=x\n-${secret}\n`, '/h/.env'));
    expect(err.exitCode).toBe(3);
    expect(err.file).toBe('/h/.env');
    expect(err.issues).toEqual([
      { path: 'line 2', message: 'expected KEY=VALUE' },
      { path: 'line 4', message: 'expected KEY=VALUE' },
      { path: 'line 5', message: 'expected KEY=VALUE' },
    ]);
    expect(err.message).not.toContain(secret);
    expect(JSON.stringify(err.details)).not.toContain(secret);
    expect(err.hint).toMatch(/never printed/);
  });
});

describe('loadEnv', () => {
  it('merges .env with the process environment, the environment winning unless empty', () => {
    fs.writeFileSync(home.paths.env, 'A=file\nB=file\nC=file\n');
    expect(loadEnv(home.paths.env, { A: 'proc', B: '', D: 'proc', E: undefined })).toEqual({ A: 'proc', B: 'file', C: 'file', D: 'proc' });
  });

  it('treats a missing .env as empty', () => {
    expect(loadEnv(home.paths.env, { X: '1' })).toEqual({ X: '1' });
  });

  it('rethrows parse problems and reports an unreadable .env as ConfigError', () => {
    fs.writeFileSync(home.paths.env, 'nonsense\n');
    expect(configError(() => loadEnv(home.paths.env, {})).issues).toEqual([{ path: 'line 1', message: 'expected KEY=VALUE' }]);
    fs.rmSync(home.paths.env);
    fs.mkdirSync(home.paths.env);
    const err = configError(() => loadEnv(home.paths.env, {}));
    expect(err.issues[0].message).toMatch(/^cannot read/);
  });
});
