// Redactor: secret values are scrubbed from any string, secret-named fields are censored.
import { describe, it, expect } from '@jest/globals';
import { CENSOR, Redactor, SECRET_ENV_KEYS } from '../../../src/core/log/redact.js';

const SECRET = 'PKAB12CD34EF56GH78IJ';
const TOKEN = '123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11';

function redactor(): Redactor {
  const r = new Redactor();
  r.addFromEnv({ ALPACA_API_KEY_ID: SECRET, TELEGRAM_BOT_TOKEN: TOKEN, POLYGON_API_KEY: 'abc', TELEGRAM_CHAT_ID: '', UNRELATED: 'notasecret' });
  return r;
}

describe('Redactor.text', () => {
  it('scrubs a secret value embedded in a longer string, every occurrence', () => {
    const r = redactor();
    expect(r.text(`request failed: header APCA-API-KEY-ID=${SECRET}; retry with ${SECRET}!`)).toBe(`request failed: header APCA-API-KEY-ID=${CENSOR}; retry with ${CENSOR}!`);
    expect(r.text(`https://api.telegram.org/bot${TOKEN}/sendMessage`)).toBe(`https://api.telegram.org/bot${CENSOR}/sendMessage`);
  });

  it('leaves strings without secrets, non-secret env values and too-short values alone', () => {
    const r = redactor();
    expect(r.text('nothing to see')).toBe('nothing to see');
    expect(r.text('notasecret abc')).toBe('notasecret abc');
  });

  it('scrubs the longer of two overlapping secrets first', () => {
    const r = new Redactor();
    r.addFromEnv({ ALPACA_API_KEY_ID: 'abcd', ALPACA_API_SECRET_KEY: 'abcdefgh' });
    expect(r.text('x abcdefgh y abcd')).toBe(`x ${CENSOR} y ${CENSOR}`);
    expect(r.text('abcdefgh')).not.toContain('efgh');
  });

  it('knows every secret env key of the spec', () => {
    expect([...SECRET_ENV_KEYS].sort()).toEqual(['ALPACA_API_KEY_ID', 'ALPACA_API_SECRET_KEY', 'KOBE_REDIS_URL', 'POLYGON_API_KEY', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID']);
  });

  it("scrubs KOBE_REDIS_URL and its password alone (decoded too), and values added later", () => {
    const r = new Redactor();
    r.addFromEnv({ KOBE_REDIS_URL: 'redis://kobe:s3cr%40t-pw@10.0.0.5:6379/2' });
    r.add('flag-password');
    expect(r.text('url redis://kobe:s3cr%40t-pw@10.0.0.5:6379/2 pw s3cr@t-pw and flag-password')).toBe(`url ${CENSOR} pw ${CENSOR} and ${CENSOR}`);
    const open = new Redactor();
    open.addFromEnv({ KOBE_REDIS_URL: 'redis://127.0.0.1:6379/0' });
    expect(open.text('on redis://127.0.0.1:6379/0')).toBe('on redis://127.0.0.1:6379/0');
  });
});

describe('Redactor.value', () => {
  it('censors secret-named keys and scrubs values anywhere in a deep copy', () => {
    const r = redactor();
    const input = {
      event: 'broker_error',
      apiKey: 'whatever-value',
      api_key: 'x1',
      'APCA-API-SECRET-KEY': 'y2',
      Authorization: 'Bearer zzz',
      password: 'hunter2',
      bot_token: 'tok',
      tokens: 1234,
      token_count: 5,
      emptySecret: '',
      nested: { detail: `echoed ${SECRET}`, list: [`a ${TOKEN}`, { secret_thing: 'q' }] },
    };
    const out = r.value(input);
    expect(out).toEqual({
      event: 'broker_error',
      apiKey: CENSOR,
      api_key: CENSOR,
      'APCA-API-SECRET-KEY': CENSOR,
      Authorization: CENSOR,
      password: CENSOR,
      bot_token: CENSOR,
      tokens: 1234,
      token_count: 5,
      emptySecret: '',
      nested: { detail: `echoed ${CENSOR}`, list: [`a ${CENSOR}`, { secret_thing: CENSOR }] },
    });
    expect(input.apiKey).toBe('whatever-value'); // the input is not modified
  });

  it('turns Errors into {name, message} with the message scrubbed', () => {
    const r = redactor();
    expect(r.value({ err: new TypeError(`bad key ${SECRET}`) })).toEqual({ err: { name: 'TypeError', message: `bad key ${CENSOR}` } });
  });

  it('never passes a secret through however deep it is nested', () => {
    const r = redactor();
    let deep: Record<string, unknown> = { leak: `x ${SECRET}`, password: 'p' };
    for (let i = 0; i < 15; i++) deep = { d: deep };
    const text = JSON.stringify(r.value(deep));
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('"password":"p"');
  });

  it('survives a cyclic value', () => {
    const r = redactor();
    const a: Record<string, unknown> = { s: SECRET };
    a.self = a;
    const out = r.value(a) as Record<string, unknown>;
    expect(out.s).toBe(CENSOR);
    expect(JSON.stringify(out)).not.toContain(SECRET);
  });

  it('passes primitives through', () => {
    const r = redactor();
    expect([r.value(1), r.value(null), r.value(true), r.value(undefined)]).toEqual([1, null, true, undefined]);
  });
});
