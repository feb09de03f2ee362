// Log rotation (Saturday): logs/events.jsonl and logs/kobe.log move to logs/archive/ with a UTC
// stamp when they are large or their first line is old. Rename, never copy-and-truncate: a
// rename loses no line, and each kobe command opens the file afresh; the brain reopens its own
// loggers after rotating. logs/trades.jsonl is the trade journal and is never rotated.
import fs from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../errors.js';
import { fsyncDir } from '../state/atomic.js';

/** Files that rotate; anything else under logs/ is left alone. */
export const ROTATED_LOGS = ['events.jsonl', 'kobe.log'] as const;

/** When a log rotates. */
export interface RotationPolicy {
  maxBytes: number;
  maxAgeDays: number;
}

/** Default: 10 MiB or a week. */
export const DEFAULT_ROTATION: RotationPolicy = { maxBytes: 10 * 1024 * 1024, maxAgeDays: 7 };

/** What happened to one log. */
export interface RotationRow {
  file: string;
  bytes: number;
  rotated_to: string | null;
  reason: string;
}

function firstTs(file: string): string | null {
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(4096);
    const n = fs.readSync(fd, buf, 0, buf.length, 0);
    const line = buf.toString('utf8', 0, n).split('\n')[0];
    const m = /"ts":"([^"]+)"/.exec(line);
    return m ? m[1] : null;
  } finally {
    fs.closeSync(fd);
  }
}

/** Rotate the logs of `logsDir` that meet the policy at `now`. */
export function rotateLogs(logsDir: string, now: Date, policy: RotationPolicy = DEFAULT_ROTATION): RotationRow[] {
  const archive = path.join(logsDir, 'archive');
  const stamp = now.toISOString().replace(/\.\d+Z$/, 'Z').replace(/[-:]/g, '');
  const rows: RotationRow[] = [];
  for (const name of ROTATED_LOGS) {
    const file = path.join(logsDir, name);
    let bytes: number;
    try {
      bytes = fs.statSync(file).size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') {
        rows.push({ file: name, bytes: 0, rotated_to: null, reason: 'absent' });
        continue;
      }
      throw err;
    }
    const ts = bytes > 0 ? firstTs(file) : null;
    const ageDays = ts ? (now.getTime() - Date.parse(ts)) / 86_400_000 : 0;
    const why = bytes >= policy.maxBytes ? `${bytes} bytes >= ${policy.maxBytes}` : bytes > 0 && ageDays >= policy.maxAgeDays ? `first line ${ageDays.toFixed(1)} days old >= ${policy.maxAgeDays}` : null;
    if (!why) {
      rows.push({ file: name, bytes, rotated_to: null, reason: bytes === 0 ? 'empty' : `kept: ${bytes} bytes, first line ${ageDays.toFixed(1)} days old` });
      continue;
    }
    fs.mkdirSync(archive, { recursive: true });
    const ext = path.extname(name);
    let target = path.join(archive, `${path.basename(name, ext)}-${stamp}${ext}`);
    for (let k = 2; fs.existsSync(target); k++) target = path.join(archive, `${path.basename(name, ext)}-${stamp}-${k}${ext}`);
    fs.renameSync(file, target);
    rows.push({ file: name, bytes, rotated_to: path.relative(logsDir, target), reason: why });
  }
  fsyncDir(logsDir);
  fsyncDir(archive);
  return rows;
}
