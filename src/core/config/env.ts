import fs from 'node:fs';
import { ConfigError, errnoCode, errorText } from '../errors.js';

/** Parse dotenv text: KEY=VALUE lines, # comments, optional quotes, `export ` prefix. */
export function parseDotenv(text: string, file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const issues: { path: string; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) {
      issues.push({ path: `line ${i + 1}`, message: 'expected KEY=VALUE' });
      return;
    }
    let v = m[2];
    // A quoted value keeps everything inside its quotes; a comment may follow the closing quote.
    const quoted = /^(["'])(.*)\1(?:\s+#.*)?$/.exec(v);
    if (quoted) v = quoted[2];
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]] = v;
  });
  if (issues.length > 0) throw new ConfigError(file, issues, { hint: `fix ${file} (values are never printed)` });
  return out;
}

/** Environment for the run: `.env` values, overridden by the process environment. */
export function loadEnv(envFile: string, processEnv: Record<string, string | undefined>): Record<string, string | undefined> {
  let fileVars: Record<string, string> = {};
  try {
    fileVars = parseDotenv(fs.readFileSync(envFile, 'utf8'), envFile);
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    if (errnoCode(err) !== 'ENOENT') throw new ConfigError(envFile, [{ path: '', message: `cannot read (${errorText(err)})` }]);
  }
  const merged: Record<string, string | undefined> = { ...fileVars };
  for (const [k, v] of Object.entries(processEnv)) if (v !== undefined && v !== '') merged[k] = v;
  return merged;
}
