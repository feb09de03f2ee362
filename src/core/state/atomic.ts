import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';
import { makeDir } from '../util/files.js';

const made = new Set<string>();
let relaxed = false;

/**
 * Replays only: writes stay atomic (temp file and rename) but skip fsync. A replay is a simulation
 * over past sessions in a paper sim home; an interrupted replay is re-run, not resumed.
 */
export function relaxDurabilityForReplay(): void {
  relaxed = true;
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
 * Replace `file` with `data` atomically: temp file, fsync, rename, fsync of the directory.
 * Synchronous on purpose: state files are small, and the async variant's thread-pool round trips
 * cost more than the write itself on every order.
 */
export async function atomicWrite(file: string, data: string | Buffer, mode?: number): Promise<void> {
  ensureDir(path.dirname(file));
  writeFileAtomic.sync(file, data, { fsync: !relaxed, ...(mode === undefined ? {} : { mode }) });
  fsyncDir(path.dirname(file));
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
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}
