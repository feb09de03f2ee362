// Creating a kobe home (SPEC section 1). Secrets and state are never overwritten, even with
// --force: --force only rewrites the shipped config files, keeping the old ones beside them.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SafetyRefusal, UsageError, errnoText } from './errors.js';
import type { KobePaths } from './paths.js';
import { makeDir } from './util/files.js';
import { ENV_TEMPLATE, shippedConfigDir } from './config/shipped.js';
import { atomicWrite } from './state/atomic.js';

export const HOME_DIRS = [
  'config', 'state', 'state/sim', 'state/approvals', 'state/reconcile', 'state/preflight', 'state/autonomous',
  'logs', 'logs/incidents', 'logs/state', 'data', 'data/cache', 'data/universe', 'data/snapshots', 'reports',
];

/** What `init` did. */
export interface InitOutcome {
  home: string;
  pin: string;
  written: string[];
  kept: string[];
  backups: string[];
}

/** True when `home` already holds a kobe home. */
export function isKobeHome(paths: KobePaths): boolean {
  return fs.existsSync(paths.config) || fs.existsSync(paths.stateDir);
}

/** A new home goes into a missing or empty directory: never scatter folders among someone's files. */
function assertInitTarget(home: string, force: boolean): void {
  let entries: string[];
  try {
    const st = fs.statSync(home, { throwIfNoEntry: false });
    if (!st) return;
    if (!st.isDirectory()) throw new UsageError(`--home ${home} is a file, not a directory; nothing was changed`, { hint: 'name a new or empty directory' });
    entries = fs.readdirSync(home);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`--home ${home} cannot be used: ${errnoText(err)}; nothing was changed`, { hint: 'name a new or empty directory on a writable file system' });
  }
  if (entries.length === 0 || force) return;
  const shown = entries.sort().slice(0, 5).join(', ');
  throw new SafetyRefusal(`${home} is not empty and not a kobe home (${shown}${entries.length > 5 ? `, ... ${entries.length} entries` : ''}); nothing was changed`, {
    hint: 'init into a new or empty directory, or add --force to create the home among those files',
  });
}

/** Create (or with force, refresh the config of) a kobe home. */
export async function createHome(paths: KobePaths, stamp: string, force: boolean): Promise<InitOutcome> {
  if (isKobeHome(paths) && !force) {
    throw new SafetyRefusal(`${paths.home} is already a kobe home; nothing was changed`, { hint: 'use --force to rewrite config/ (state, logs, data and .env are kept)' });
  }
  assertInitTarget(paths.home, force);
  const written: string[] = [];
  const kept: string[] = [];
  const backups: string[] = [];
  for (const d of HOME_DIRS) makeDir(path.join(paths.home, d));
  const shipped = shippedConfigDir();
  const params = fs.readFileSync(path.join(shipped, 'frozen_strategy_params.json'));
  const pin = createHash('sha256').update(params).digest('hex');
  const base = fs.readFileSync(path.join(shipped, 'base.yaml'), 'utf8').replace(/params_sha256: [0-9a-f]{64}/, `params_sha256: ${pin}`);
  for (const [file, data] of [[paths.frozenParams, params], [paths.config, base]] as const) {
    if (fs.existsSync(file)) {
      const bak = `${file}.bak-${stamp}`;
      fs.copyFileSync(file, bak);
      backups.push(path.relative(paths.home, bak));
    }
    await atomicWrite(file, data);
    written.push(path.relative(paths.home, file));
  }
  if (fs.existsSync(paths.env)) {
    kept.push('.env');
  } else {
    await atomicWrite(paths.env, ENV_TEMPLATE, 0o600);
    written.push('.env');
  }
  fs.chmodSync(paths.env, 0o600);
  return { home: paths.home, pin, written, kept, backups };
}
