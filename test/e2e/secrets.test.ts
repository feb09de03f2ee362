// A canary secret in .env never appears in stdout, stderr, logs, events, state or the chain, also
// when the broker answers errors that echo the request headers back.
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { FakeAlpacaServer } from '../fakes/alpaca-server.js';
import { cliEnv, initHome, kobeAsync } from '../helpers/cli.js';

const KEY = 'PKCANARYKEYID7777';
const SECRET = 'CANARY-SECRET-9c1f0e77';
const POLY = 'CANARY-POLYGON-5a5a5a';

function allFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? allFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

let server: FakeAlpacaServer;
let home: string;
let cleanup: () => void;
beforeEach(async () => {
  server = await new FakeAlpacaServer({ keyId: KEY, secret: SECRET }).start();
  ({ home, cleanup } = initHome());
  const cfg = path.join(home, 'config', 'base.yaml');
  fs.writeFileSync(cfg, fs.readFileSync(cfg, 'utf8').replace('name: sim', 'name: alpaca').replace('base_url: https://paper-api.alpaca.markets', `base_url: ${server.baseUrl}`));
  fs.writeFileSync(path.join(home, '.env'), `ALPACA_API_KEY_ID=${KEY}\nALPACA_API_SECRET_KEY="${SECRET}"\nPOLYGON_API_KEY=${POLY}\n`, { mode: 0o600 });
});
afterEach(async () => {
  await server.stop();
  cleanup();
});

describe('secrets stay secret', () => {
  it('no command output, log, event, state file or chain block contains the canary', async () => {
    const outputs: string[] = [];
    const run = async (args: string[]) => {
      const r = await kobeAsync([...args, '--home', home], cliEnv()).done;
      outputs.push(r.stdout, r.stderr);
      return r;
    };
    expect((await run(['account', '--json'])).code).toBe(0);
    server.fail({ status: 401, times: 5, path: '/v2/account', echoHeaders: 'message' });
    const refused = await run(['account', '--verbose']);
    expect(refused.code).toBe(4);
    server.fail({ status: 500, times: 20, echoHeaders: 'field' });
    await run(['positions', '--json']);
    await run(['orders', '--json']);
    await run(['reconcile', '--json']);
    server.fail({ status: 403, times: 5, echoHeaders: 'message' });
    await run(['preflight', '--json']);
    await run(['status']);
    await run(['kill', 'on', '--reason', 'canary test']);
    // The test itself must be able to see a leak: the server did receive the secrets.
    expect(server.requests.some((r) => r.headers['apca-api-secret-key'] === SECRET)).toBe(true);
    const files = allFiles(home).filter((f) => !f.endsWith('.env'));
    expect(files.some((f) => f.endsWith('events.jsonl'))).toBe(true);
    const haystack = [...outputs, ...files.map((f) => fs.readFileSync(f, 'latin1'))].join('\n');
    for (const canary of [KEY, SECRET, POLY]) expect(haystack.includes(canary)).toBe(false);
  }, 120_000);
});
