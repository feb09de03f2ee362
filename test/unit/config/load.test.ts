// Config loading (SPEC section 1): strict schema, every issue at once with its dotted path, rule
// checks, and the sha256 pin of the frozen strategy parameters.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it, expect, beforeEach, afterEach } from '@jest/globals';
import { ConfigError } from '../../../src/core/errors.js';
import { createHome } from '../../../src/core/home.js';
import { loadConfig, parseConfig, parseParams, sha256File } from '../../../src/core/config/load.js';
import { shippedConfigDir } from '../../../src/core/config/shipped.js';
import { tempHome, type TempHome } from '../../helpers/home.js';

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const PIN_LINE = /params_sha256: ([0-9a-f]{64})/;

let home: TempHome;
beforeEach(() => {
  home = tempHome();
});
afterEach(() => home.cleanup());

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** Minimal valid config text with a given pin plus extra YAML. */
const minimal = (extra = '', pin = 'a'.repeat(64)) => `strategy:\n  params_sha256: ${pin}\n${extra}`;

describe('shipped config', () => {
  it('pins the sha256 of the shipped frozen_strategy_params.json', () => {
    const dir = shippedConfigDir();
    const base = fs.readFileSync(path.join(dir, 'base.yaml'), 'utf8');
    const params = fs.readFileSync(path.join(dir, 'frozen_strategy_params.json'));
    expect(base.match(PIN_LINE)![1]).toBe(sha256(params));
  });

  it('parses to exactly the schema defaults, plus its pin', async () => {
    const base = fs.readFileSync(path.join(shippedConfigDir(), 'base.yaml'), 'utf8');
    const pin = base.match(PIN_LINE)![1];
    expect(await parseConfig(base, 'base.yaml')).toEqual(await parseConfig(minimal('', pin), 'min.yaml'));
  });

  it('ships params that validate', () => {
    const file = path.join(shippedConfigDir(), 'frozen_strategy_params.json');
    const p = parseParams(fs.readFileSync(file, 'utf8'), file);
    expect(p.common.feature_lag === 0 || p.common.feature_lag === 1).toBe(true);
  });
});

describe('loadConfig on a home made by createHome', () => {
  it('loads, and the pin is the sha256 of the params file', async () => {
    const init = await createHome(home.paths, '20250114T150000Z', false);
    const loaded = await loadConfig(home.paths);
    expect(loaded.pin).toBe(sha256File(home.paths.frozenParams));
    expect(loaded.pin).toBe(init.pin);
    expect(loaded.config.strategy.params_sha256).toBe(loaded.pin);
    expect(loaded.paramsFile).toBe(home.paths.frozenParams);
    expect(loaded.config.trading.mode).toBe('paper');
    expect(loaded.config.broker.name).toBe('sim');
    expect(loaded.config.alpaca.base_url).toBe('https://paper-api.alpaca.markets');
    expect(loaded.params).toEqual(JSON.parse(fs.readFileSync(home.paths.frozenParams, 'utf8')));
    expect(fs.statSync(home.paths.env).mode & 0o777).toBe(0o600);
  });

  it('reports a pin mismatch after the params file is edited, naming both hashes', async () => {
    const init = await createHome(home.paths, '20250114T150000Z', false);
    const params = JSON.parse(fs.readFileSync(home.paths.frozenParams, 'utf8'));
    params.ibs_rsi.rsi_entry = 42;
    fs.writeFileSync(home.paths.frozenParams, `${JSON.stringify(params, null, 2)}\n`);
    const actual = sha256File(home.paths.frozenParams);
    const err = await configError(loadConfig(home.paths));
    expect(err.exitCode).toBe(3);
    expect(err.code).toBe('CONFIG_INVALID');
    expect(err.file).toBe(home.paths.config);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].path).toBe('strategy.params_sha256');
    expect(err.message).toContain(init.pin);
    expect(err.message).toContain(actual);
    expect(err.details).toMatchObject({ pinned: init.pin, actual });
  });

  it('detects a one-byte change (trailing newline) in the params file', async () => {
    await createHome(home.paths, '20250114T150000Z', false);
    fs.appendFileSync(home.paths.frozenParams, '\n');
    await expect(loadConfig(home.paths)).rejects.toBeInstanceOf(ConfigError);
  });

  it('reports a missing config file with an init hint, and a missing params file', async () => {
    const err = await configError(loadConfig(home.paths));
    expect(err.issues).toEqual([{ path: '', message: 'file not found' }]);
    expect(err.hint).toMatch(/kobe init --home/);
    await createHome(home.paths, '20250114T150000Z', false);
    fs.rmSync(home.paths.frozenParams);
    const err2 = await configError(loadConfig(home.paths));
    expect(err2.file).toBe(home.paths.frozenParams);
    expect(err2.issues[0].message).toMatch(/^cannot read/);
  });

  it('validates the params file after the pin matches', async () => {
    await createHome(home.paths, '20250114T150000Z', false);
    const params = JSON.parse(fs.readFileSync(home.paths.frozenParams, 'utf8'));
    params.common.feature_lag = 2;
    params.turtle_soup.lookbak = 20;
    const text = JSON.stringify(params);
    fs.writeFileSync(home.paths.frozenParams, text);
    fs.writeFileSync(home.paths.config, fs.readFileSync(home.paths.config, 'utf8').replace(PIN_LINE, `params_sha256: ${sha256(text)}`));
    const err = await configError(loadConfig(home.paths));
    expect(err.file).toBe(home.paths.frozenParams);
    expect(err.issues.map((i) => i.path).sort()).toEqual(['common.feature_lag', 'turtle_soup.lookbak']);
  });
});

describe('parseConfig', () => {
  it('fills defaults for a minimal file', async () => {
    const c = await parseConfig(minimal(), 'c.yaml');
    expect(c.trading.risk_pct).toBe(0.01);
    expect(c.trading.windows).toEqual([
      { start: '10:00', end: '11:30' },
      { start: '14:00', end: '15:30' },
    ]);
    expect(c.health).toEqual({ host: '127.0.0.1', port: 8081 });
  });

  it('reports malformed YAML as ConfigError (exit 3) with its line number', async () => {
    const err = await configError(parseConfig('trading:\n  mode: paper\n  risk_pct: [0.01\nbroker:\n  name: sim\n', 'c.yaml'));
    expect(err.exitCode).toBe(3);
    expect(err.issues).toHaveLength(1);
    expect(err.issues[0].path).toMatch(/^line 4, column \d+$/);
    expect(err.hint).toMatch(/YAML syntax/);
  });

  it.each([
    ['duplicate key', 'trading:\n  mode: paper\n  mode: live\n', 3],
    ['tab indentation', 'trading:\n\tmode: paper\n', 2],
  ])('reports %s with its line', async (_n, text, line) => {
    const err = await configError(parseConfig(text, 'c.yaml'));
    expect(err.issues[0].path).toMatch(new RegExp(`^line ${line}, column \\d+$`));
  });

  it('reports wrong types and unknown keys in several sections in ONE error, each with its dotted path', async () => {
    const text = minimal(
      [
        'trading:',
        '  risk_pct: "high"',
        '  windows: [{ start: "25:00", end: "11:00" }]',
        'broker:',
        '  nmae: sim',
        'health:',
        '  port: 70000',
        'telegram:',
        '  enabled: "yes"',
        'calendar:',
        '  fomc_dates: ["2025-1-29"]',
        'extra_section: 1',
        '',
      ].join('\n'),
    ).replace('strategy:\n', 'strategy:\n  params_fiel: x\n');
    const err = await configError(parseConfig(text, 'c.yaml'));
    const paths = err.issues.map((i) => i.path).sort();
    expect(paths).toEqual(['broker.nmae', 'calendar.fomc_dates.0', 'extra_section', 'health.port', 'strategy.params_fiel', 'telegram.enabled', 'trading.risk_pct', 'trading.windows.0.start'].sort());
    expect(err.issues.find((i) => i.path === 'broker.nmae')!.message).toBe('unknown key');
    expect(err.issues.find((i) => i.path === 'trading.risk_pct')!.message).toMatch(/expected number/i);
    for (const p of paths) expect(err.message).toContain(`  ${p}: `);
    expect(err.details).toMatchObject({ file: 'c.yaml', issues: err.issues });
  });

  it('requires the strategy pin', async () => {
    const err = await configError(parseConfig('version: 1\n', 'c.yaml'));
    expect(err.issues.map((i) => i.path)).toEqual(['strategy']);
    const err2 = await configError(parseConfig(minimal('', 'ABC'), 'c.yaml'));
    expect(err2.issues.map((i) => i.path)).toEqual(['strategy.params_sha256']);
  });

  it('rejects a top level that is not a mapping', async () => {
    for (const text of ['- a\n- b\n', '42\n', '"s"\n']) {
      const err = await configError(parseConfig(text, 'c.yaml'));
      expect(err.issues).toEqual([{ path: '', message: 'expected a mapping of sections' }]);
    }
  });

  it('applies the rule checks: risk_pct range, live needs alpaca, price order, windows, LLM alert', async () => {
    const err = await configError(parseConfig(minimal('trading:\n  risk_pct: 0.2\n  mode: live\n  min_price: 50\n  max_price: 10\n  windows: [{ start: "11:00", end: "10:00" }]\nbudgets:\n  llm_alert_usd: 60\n'), 'c.yaml'));
    expect(err.exitCode).toBe(3);
    expect(err.issues.map((i) => i.path)).toEqual(['trading.risk_pct', 'trading.min_price', 'trading.windows.0', 'broker.name', 'budgets.llm_alert_usd']);
    expect(err.issues[0].message).toBe('must be between 0.005 and 0.05 (0.5%-5%), got 0.2');
    expect(err.issues[3].message).toMatch(/live mode needs broker.name: alpaca/);
  });

  it('accepts the risk_pct bounds and live mode with alpaca', async () => {
    for (const r of [0.005, 0.05]) expect((await parseConfig(minimal(`trading:\n  risk_pct: ${r}\n`), 'c.yaml')).trading.risk_pct).toBe(r);
    for (const r of [0.0049, 0.0501]) expect((await configError(parseConfig(minimal(`trading:\n  risk_pct: ${r}\n`), 'c.yaml'))).issues[0].path).toBe('trading.risk_pct');
    const c = await parseConfig(minimal('trading:\n  mode: live\nbroker:\n  name: alpaca\n'), 'c.yaml');
    expect([c.trading.mode, c.broker.name]).toEqual(['live', 'alpaca']);
  });
});
