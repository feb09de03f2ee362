// Config loading: YAML -> zod schema (normalised defaults) -> rule checks -> strategy pin.
// Every problem is collected and reported at once with its path (changesets' config model).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ConfigError, errnoCode, errorText, type ConfigIssue } from '../errors.js';
import type { KobePaths } from '../paths.js';
import { zodIssues } from './issues.js';
import { ConfigSchema, StrategyParamsSchema, type KobeConfig, type StrategyParams } from './schema.js';

/** A loaded config with its verified strategy parameters. */
export interface LoadedConfig {
  config: KobeConfig;
  params: StrategyParams;
  /** sha256 of the frozen params file, equal to config.strategy.params_sha256. */
  pin: string;
  paramsFile: string;
}

/** sha256 hex of a file's bytes. */
export function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

function ruleIssues(c: KobeConfig): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (c.trading.risk_pct < 0.005 || c.trading.risk_pct > 0.05) out.push({ path: 'trading.risk_pct', message: `must be between 0.005 and 0.05 (0.5%-5%), got ${c.trading.risk_pct}` });
  if (c.trading.min_price >= c.trading.max_price) out.push({ path: 'trading.min_price', message: 'must be below trading.max_price' });
  c.trading.windows.forEach((w, i) => {
    if (w.start >= w.end) out.push({ path: `trading.windows.${i}`, message: `start ${w.start} must be before end ${w.end}` });
  });
  if (c.trading.mode === 'live' && c.broker.name !== 'alpaca') out.push({ path: 'broker.name', message: 'live mode needs broker.name: alpaca (the sim broker is paper only)' });
  if (c.budgets.llm_alert_usd > c.budgets.llm_usd_per_day) out.push({ path: 'budgets.llm_alert_usd', message: 'must not exceed budgets.llm_usd_per_day' });
  return out;
}

/** Parse and validate config text; throws ConfigError listing every issue. */
export async function parseConfig(text: string, file: string): Promise<KobeConfig> {
  return parseConfigText(await yamlParse(text, file), file);
}

async function yamlParse(text: string, file: string): Promise<unknown> {
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({ path: e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : '', message: e.message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '') })),
      { hint: `fix the YAML syntax in ${file}` },
    );
  }
  return doc.toJS();
}

function parseConfigText(raw: unknown, file: string): KobeConfig {
  const value = raw ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(file, [{ path: '', message: 'expected a mapping of sections' }]);
  const r = ConfigSchema.safeParse(value);
  if (!r.success) throw new ConfigError(file, zodIssues(r.error));
  const rules = ruleIssues(r.data);
  if (rules.length > 0) throw new ConfigError(file, rules);
  return r.data;
}

/** Load config/base.yaml, verify the strategy pin and the params file. */
export async function loadConfig(paths: KobePaths): Promise<LoadedConfig> {
  let text: string;
  try {
    text = fs.readFileSync(paths.config, 'utf8');
  } catch (err) {
    const missing = errnoCode(err) === 'ENOENT';
    throw new ConfigError(paths.config, [{ path: '', message: missing ? 'file not found' : `cannot read (${errorText(err)})` }], {
      hint: missing ? `not a kobe home? run \`kobe init --home ${paths.home}\` or pass --home` : undefined,
    });
  }
  const config = parseConfigText(await yamlParse(text, paths.config), paths.config);
  const paramsFile = path.resolve(paths.home, config.strategy.params_file);
  let pin: string;
  try {
    pin = sha256File(paramsFile);
  } catch (err) {
    throw new ConfigError(paramsFile, [{ path: '', message: `cannot read (${errorText(err)})` }], { hint: 'restore the frozen params file or run `kobe init --force`' });
  }
  if (pin !== config.strategy.params_sha256) {
    throw new ConfigError(paths.config, [{ path: 'strategy.params_sha256', message: `pin mismatch: config pins ${config.strategy.params_sha256} but ${config.strategy.params_file} hashes to ${pin}` }], {
      hint: 'the frozen parameters changed outside an approval; restore the file, or approve the change with `kobe approve`',
      details: { pinned: config.strategy.params_sha256, actual: pin },
    });
  }
  const params = parseParams(fs.readFileSync(paramsFile, 'utf8'), paramsFile);
  return { config, params, pin, paramsFile };
}

/** Parse and validate a strategy params file. */
export function parseParams(text: string, file: string): StrategyParams {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `not valid JSON (${errorText(err)})` }]);
  }
  const r = StrategyParamsSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(file, zodIssues(r.error));
  return r.data;
}
