// createHome (SPEC section 1): the layout, the pin, and never overwriting secrets or state.
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { SafetyRefusal } from '../../src/core/errors.js';
import { HOME_DIRS, createHome, isKobeHome } from '../../src/core/home.js';
import { sha256File } from '../../src/core/config/load.js';
import { tempHome, type TempHome } from '../helpers/home.js';

let home: TempHome;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

describe('createHome', () => {
  it('creates every directory, the config with its pin and a 0600 .env', async () => {
    expect(isKobeHome(home.paths)).toBe(false);
    const out = await createHome(home.paths, '20250114T150000Z', false);
    for (const d of HOME_DIRS) expect(fs.statSync(path.join(home.dir, d)).isDirectory()).toBe(true);
    expect(out.written).toEqual(['config/frozen_strategy_params.json', 'config/base.yaml', '.env']);
    expect(out.pin).toBe(sha256File(home.paths.frozenParams));
    expect(fs.readFileSync(home.paths.config, 'utf8')).toContain(`params_sha256: ${out.pin}`);
    expect(fs.statSync(home.paths.env).mode & 0o777).toBe(0o600);
    expect(isKobeHome(home.paths)).toBe(true);
  });

  it('refuses an existing home without force and changes nothing', async () => {
    await createHome(home.paths, '20250114T150000Z', false);
    fs.writeFileSync(home.paths.config, 'edited: true\n');
    await expect(createHome(home.paths, '20250114T160000Z', false)).rejects.toMatchObject({ exitCode: 6 });
    await expect(createHome(home.paths, '20250114T160000Z', false)).rejects.toBeInstanceOf(SafetyRefusal);
    expect(fs.readFileSync(home.paths.config, 'utf8')).toBe('edited: true\n');
  });

  it('with force rewrites config (keeping backups) but never .env or state', async () => {
    await createHome(home.paths, '20250114T150000Z', false);
    fs.writeFileSync(home.paths.env, 'ALPACA_API_KEY_ID=mine\n', { mode: 0o644 });
    fs.writeFileSync(home.paths.config, 'edited: true\n');
    fs.writeFileSync(home.paths.killSwitch, 'halt');
    const out = await createHome(home.paths, '20250114T160000Z', true);
    expect(out.kept).toEqual(['.env']);
    expect(out.backups).toEqual(['config/frozen_strategy_params.json.bak-20250114T160000Z', 'config/base.yaml.bak-20250114T160000Z']);
    expect(fs.readFileSync(`${home.paths.config}.bak-20250114T160000Z`, 'utf8')).toBe('edited: true\n');
    expect(fs.readFileSync(home.paths.env, 'utf8')).toBe('ALPACA_API_KEY_ID=mine\n');
    expect(fs.statSync(home.paths.env).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(home.paths.killSwitch, 'utf8')).toBe('halt');
  });
});
