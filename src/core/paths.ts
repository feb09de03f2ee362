import path from 'node:path';

/** Every path of a kobe home (SPEC section 1), derived from the home directory alone. */
export interface KobePaths {
  home: string;
  configDir: string;
  config: string;
  frozenParams: string;
  env: string;
  stateDir: string;
  killSwitch: string;
  killHistory: string;
  chain: string;
  chainHead: string;
  logsDir: string;
  events: string;
  kobeLog: string;
  dataDir: string;
  snapshotsDir: string;
  reportsDir: string;
  /** Path of a file under state/, by its name relative to state/. */
  state(name: string): string;
}

/** Layout of the kobe home at `home`. */
export function kobePaths(home: string): KobePaths {
  const h = path.resolve(home);
  const stateDir = path.join(h, 'state');
  const logsDir = path.join(h, 'logs');
  const dataDir = path.join(h, 'data');
  return {
    home: h,
    configDir: path.join(h, 'config'),
    config: path.join(h, 'config', 'base.yaml'),
    frozenParams: path.join(h, 'config', 'frozen_strategy_params.json'),
    env: path.join(h, '.env'),
    stateDir,
    killSwitch: path.join(stateDir, 'KILL_SWITCH'),
    killHistory: path.join(stateDir, 'kill_switch_history.jsonl'),
    chain: path.join(stateDir, 'hash_chain.jsonl'),
    chainHead: path.join(stateDir, 'hash_chain.head.json'),
    logsDir,
    events: path.join(logsDir, 'events.jsonl'),
    kobeLog: path.join(logsDir, 'kobe.log'),
    dataDir,
    snapshotsDir: path.join(dataDir, 'snapshots'),
    reportsDir: path.join(h, 'reports'),
    state: (name: string) => path.join(stateDir, name),
  };
}

/** Path shown to humans: relative to the home when inside it. */
export function displayPath(paths: KobePaths, p: string): string {
  const rel = path.relative(paths.home, p);
  return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : p;
}
