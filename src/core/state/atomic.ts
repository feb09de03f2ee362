import fs from 'node:fs';
import path from 'node:path';
import { makeDir } from '../util/files.js';

const made = new Set<string>();
let relaxed = false;
let tmpSeq = 0;

/** A temp file beside `file`, unique in this process. */
const tmpOf = (file: string) => `${file}.${process.pid}.${(tmpSeq++).toString(36)}.tmp`;

/**
 * Replays only: writes stay atomic (temp file and rename) but skip fsync. A replay is a simulation
 * over past sessions in a paper sim home; an interrupted replay is re-run, not resumed.
 */
export function relaxDurabilityForReplay(): void {
  relaxed = true;
}

let inPlace = false;

/**
 * Replays in a scratch home only: files are rewritten in place, without the temp file and rename.
 * Nobody else reads a scratch home, and an interrupted replay there is thrown away with it, so the
 * torn file a rename guards against can never be read.
 */
export function writeInPlaceForScratch(): void {
  relaxed = true;
  inPlace = true;
}

/** mkdir -p, once per directory per process (the directories of a home do not go away under us). */
export function ensureDir(dir: string): void {
  if (made.has(dir)) return;
  makeDir(dir);
  made.add(dir);
}

/** fsync a directory so a rename or create inside it survives a power cut. */
export function fsyncDir(dir: string): void {
  if (relaxed) return;
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Replace `file` with `data` atomically: temp file beside it, fsync, rename, fsync of the directory.
 * An existing file keeps its mode unless `mode` is given. Synchronous on purpose: state files are
 * small, and the async variant's thread-pool round trips cost more than the write itself.
 */
export async function atomicWrite(file: string, data: string | Buffer, mode?: number): Promise<void> {
  const dir = path.dirname(file);
  ensureDir(dir);
  let keep = mode;
  if (keep === undefined) {
    try {
      keep = fs.statSync(file).mode & 0o7777;
    } catch {
      /* a new file: the default mode under the umask */
    }
  }
  if (inPlace) return fs.writeFileSync(file, data, keep === undefined ? undefined : { mode: keep });
  const tmp = tmpOf(file);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'wx', keep ?? 0o666);
    if (keep !== undefined) fs.fchmodSync(fd, keep);
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    if (!relaxed) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  fsyncDir(dir);
}

/**
 * atomicWrite for many files at once (the bar store): the same steps on the thread pool, so writers
 * overlap their fsyncs; the caller fsyncs the directory once after the batch.
 */
export async function atomicWriteFile(file: string, data: Buffer): Promise<void> {
  const tmp = tmpOf(file);
  try {
    const h = await fs.promises.open(tmp, 'wx');
    try {
      await h.writeFile(data);
      if (!relaxed) await h.sync();
    } finally {
      await h.close();
    }
    await fs.promises.rename(tmp, file);
  } catch (err) {
    await fs.promises.rm(tmp, { force: true });
    throw err;
  }
}

/** Append one line to a journal file and fsync it (callers hold the file's lock). */
export function appendLineSync(file: string, line: string): void {
  ensureDir(path.dirname(file));
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    if (!relaxed) fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Replace an advisory file (telemetry, rewritten every cycle) atomically but without fsync: a
 * reader never sees a partial file; a power cut may lose the last rewrite, which the next cycle
 * redoes. Never for orders, the ledger, budgets or the chain.
 */
export function atomicReplace(file: string, data: string): void {
  ensureDir(path.dirname(file));
  if (inPlace) return fs.writeFileSync(file, data);
  const tmp = tmpOf(file);
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
