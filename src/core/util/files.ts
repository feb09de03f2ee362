// File-system helpers for paths an operator names (--home, --out, --params, import files):
// refuse what cannot work with a usage error naming the path, before reading or writing.
import fs from 'node:fs';
import path from 'node:path';
import { UsageError, errnoCode, errnoText } from '../errors.js';

/** Largest input file read into memory (CSV imports, params, earnings). */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

/**
 * mkdir -p without `recursive: true`: Node 20's recursive mkdirSync loops forever when mkdir(2)
 * answers ENOENT under an existing parent (as in /proc), and reports ENOENT for EROFS.
 */
export function makeDir(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; ) {
    try {
      fs.statSync(d);
      break;
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
    }
    missing.push(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
  }
}

function kindOf(st: fs.Stats): string {
  if (st.isFile()) return 'a file';
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Read a regular file named by the operator. Opened non-blocking so a FIFO never hangs the
 * open, then checked on the descriptor itself; anything else, or a file over `maxBytes`, is refused.
 */
export function readInputFile(file: string, label: string, maxBytes = MAX_INPUT_BYTES): string {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (err) {
    const what = errnoCode(err) === 'ENOENT' ? 'not found' : errnoText(err);
    throw new UsageError(`${label} ${file}: ${what}`, { hint: 'name an existing, readable regular file' });
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new UsageError(`${label} ${file} is ${kindOf(st)}, not a regular file; nothing was read`, { hint: 'name a regular file' });
    if (st.size > maxBytes) {
      throw new UsageError(`${label} ${file} is ${(st.size / 2 ** 20).toFixed(0)} MB, over the ${maxBytes / 2 ** 20} MB limit; nothing was read`, { hint: 'split it into smaller files' });
    }
    return fs.readFileSync(fd, 'utf8');
  } finally {
    fs.closeSync(fd);
  }
}

/** An output folder named by the operator: created if missing; a usage error when it cannot be. */
export function prepareOutDir(dir: string, label = '--out'): string {
  try {
    const st = fs.statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) throw new UsageError(`${label} ${dir} is ${kindOf(st)}, not a directory`, { hint: `${label} takes a folder (created if missing)` });
    if (!st) makeDir(dir);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${label} ${dir}: cannot create it: ${errnoText(err)}`, { hint: `${label} takes a folder on a writable file system` });
  }
  return dir;
}
