// `kill on` and `kill off` alert the operator from the binary itself (no brain running): Telegram
// when keys and config enable it. A .env whose Telegram lines are empty sends nothing; an alert that
// cannot be delivered is a warning, never a failed halt.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { initHome, json, kobeAsync } from '../helpers/cli.js';
import { FakeTelegramServer } from '../fakes/telegram-server.js';

let server: FakeTelegramServer;
let home: string;
let cleanup: () => void;

beforeAll(async () => {
  server = await new FakeTelegramServer().start();
});
afterAll(async () => server.stop());
afterEach(() => {
  cleanup?.();
  server.messages.length = 0;
  server.requests.length = 0;
  server.scenario = {};
});

function telegramHome(env: string, enabled = true): void {
  ({ home, cleanup } = initHome());
  const cfg = path.join(home, 'config', 'base.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('enabled: false\n  api_base: https://api.telegram.org', `enabled: ${enabled}\n  api_base: ${server.baseUrl}`));
  const file = path.join(home, '.env');
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('TELEGRAM_BOT_TOKEN=\nTELEGRAM_CHAT_ID=\n', env), { mode: 0o600 });
}

const run = async (args: string[]) => kobeAsync([...args, '--json', '--home', home]).done;

describe('kill on/off alerts from the binary', () => {
  it('with a token, a chat id and telegram enabled: one message on, one off', async () => {
    telegramHome(`TELEGRAM_BOT_TOKEN=${server.token}\nTELEGRAM_CHAT_ID=42\n`);
    const on = await run(['kill', 'on', '--reason', 'broker outage']);
    expect(on.code).toBe(0);
    expect(json(on).warnings).toEqual([]);
    expect(server.messages.map((m) => [m.chat_id, m.text.split('\n')[0]])).toEqual([['42', expect.stringMatching(/^kobe KILL SWITCH ON: kill switch ON \(HALTED\) by .+: broker outage$/)]]);
    const off = await run(['kill', 'off', '--yes', '--force', '--note', 'broker back']);
    expect(off.code).toBe(0);
    expect(server.messages.map((m) => m.text.split('\n')[0])).toEqual([expect.anything(), expect.stringMatching(/broker back/)]);
    expect(server.requests.every((r) => r.tokenOk)).toBe(true);
  });

  it('empty Telegram lines in .env: no request, no warning', async () => {
    telegramHome('TELEGRAM_BOT_TOKEN=\nTELEGRAM_CHAT_ID=42\n');
    const on = await run(['kill', 'on', '--reason', 'x']);
    expect(on.code).toBe(0);
    expect(json(on).warnings).toEqual([]);
    expect(server.requests).toEqual([]);
  });

  it('an alert the fake refuses is a warning on a halt that happened', async () => {
    telegramHome(`TELEGRAM_BOT_TOKEN=${server.token}\nTELEGRAM_CHAT_ID=42\n`);
    server.scenario = { fail: { status: 500, requests: Infinity } };
    const on = await run(['kill', 'on', '--reason', 'x']);
    expect(on.code).toBe(0);
    expect(json(on).warnings).toEqual([expect.stringMatching(/Telegram alert could not be delivered/)]);
    expect(fs.existsSync(path.join(home, 'state', 'KILL_SWITCH'))).toBe(true);
  });
});
