// An unreadable kill switch means HALTED. As root every file is readable, so the binary runs as
// an unprivileged user (nobody) when the suite runs as root.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { BIN, ROOT, initHome, json, kobe } from '../helpers/cli.js';

const asOther = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
// The unprivileged user must be able to run the checkout (a clone under a private dir cannot).
const canRunAsOther =
  spawnSync(process.execPath, ['-e', `require('fs').accessSync(${JSON.stringify(path.join(ROOT, 'dist', 'cli', 'main.js'))}); require('fs').accessSync(${JSON.stringify(BIN)})`], asOther).status === 0;
const maybe = canRunAsOther ? it : it.skip;

describe('fail closed', () => {
  let cleanup = () => {};
  afterEach(() => cleanup());

  maybe('a kill switch without read permission is HALTED, not ACTIVE', () => {
    const h = initHome();
    cleanup = h.cleanup;
    for (const d of [h.home, path.join(h.home, 'state')]) fs.chmodSync(d, 0o755);
    const ks = path.join(h.home, 'state', 'KILL_SWITCH');
    fs.writeFileSync(ks, '{"reason":"secret reason","mode":"reduce"}');
    fs.chmodSync(ks, 0o000);
    const r = kobe(['kill', 'status', '--home', h.home, '--json'], asOther);
    expect(r.code).toBe(0);
    expect(json(r).trading_state).toMatchObject({ state: 'HALTED', source: 'unreadable' });
    expect(json(r).trading_state.detail).toMatch(/EACCES/);
  });

  maybe('a state directory that cannot be read is HALTED', () => {
    const h = initHome();
    cleanup = h.cleanup;
    fs.chmodSync(h.home, 0o755);
    fs.chmodSync(path.join(h.home, 'state'), 0o000);
    const r = kobe(['kill', 'status', '--home', h.home, '--json'], asOther);
    expect(json(r).trading_state).toMatchObject({ state: 'HALTED', source: 'unreadable' });
    fs.chmodSync(path.join(h.home, 'state'), 0o755);
  });
});
