// Snapshots of state/ under data/snapshots/<UTC stamp>/ (SPEC section 1). A restore never
// brings back an old kill switch, audit chain or kill history (those only ever move forward), never
// rolls back the sim broker's own books (a broker is not restored), and never forgets an order: the
// idempotency store is merged, so today's orders, and the budgets derived from them, survive.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SafetyRefusal, StateError, UsageError, errorText } from '../errors.js';
import type { KobePaths } from '../paths.js';
import { atomicWrite } from './atomic.js';
import { withLock } from './lock.js';
import { flushStateFiles } from './store.js';
import { makeDir } from '../util/files.js';

const NEVER_RESTORED = new Set(['KILL_SWITCH', 'hash_chain.jsonl', 'hash_chain.head.json', 'kill_switch_history.jsonl', 'sim/book.json']);
const ORDERS = 'idempotency_store.json';
const STAMP = /^\d{8}T\d{6}(\d{3})?Z$/;

/** A file inside a snapshot with its hash. */
export interface SnapshotFile {
  path: string;
  sha256: string;
  bytes: number;
}

export interface SnapshotInfo {
  stamp: string;
  dir: string;
  files: SnapshotFile[];
}

function walk(dir: string, rel = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.name.endsWith('.lock') || e.name.endsWith('.takeover') || e.name.includes('.tmp') || e.name.startsWith('.')) continue;
    if (e.isDirectory()) out.push(...walk(dir, r));
    else if (e.isFile()) out.push(r);
  }
  return out.sort();
}

function sha(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** UTC stamp for a snapshot folder name. */
export function snapshotStamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.(\d{3})Z$/, '$1Z');
}

/** Copy state/ into data/snapshots/<stamp>/ with a manifest of hashes. */
export async function backupState(paths: KobePaths, now: Date): Promise<SnapshotInfo> {
  // A scratch replay's state lives in memory: the snapshot copies what the replay holds.
  flushStateFiles();
  const stamp = snapshotStamp(now);
  const dir = path.join(paths.snapshotsDir, stamp);
  if (fs.existsSync(dir)) throw new SafetyRefusal(`snapshot ${stamp} already exists`, { hint: 'wait a second and retry' });
  makeDir(dir);
  const files: SnapshotFile[] = [];
  for (const rel of fs.existsSync(paths.stateDir) ? walk(paths.stateDir) : []) {
    const src = path.join(paths.stateDir, rel);
    // The chain is copied under its lock so a concurrent append never leaves a torn copy.
    const buf = rel === 'hash_chain.jsonl' ? await withLock(src, () => fs.readFileSync(src)) : fs.readFileSync(src);
    makeDir(path.dirname(path.join(dir, rel)));
    fs.writeFileSync(path.join(dir, rel), buf);
    files.push({ path: rel, sha256: sha(buf), bytes: buf.length });
  }
  await atomicWrite(path.join(dir, 'MANIFEST.json'), `${JSON.stringify({ version: 1, stamp, created_at: now.toISOString(), files }, null, 2)}\n`);
  return { stamp, dir, files };
}

/** List snapshots, newest first. */
export function listSnapshots(paths: KobePaths): string[] {
  if (!fs.existsSync(paths.snapshotsDir)) return [];
  return fs.readdirSync(paths.snapshotsDir).filter((n) => STAMP.test(n)).sort().reverse();
}

/** Load a snapshot and check every file against its manifest. */
export function readSnapshot(paths: KobePaths, stamp: string): SnapshotInfo {
  if (!STAMP.test(stamp)) throw new UsageError(`"${stamp}" is not a snapshot stamp (like 20250114T150000123Z)`, { hint: 'list them with `kobe state backup --list`' });
  const dir = path.join(paths.snapshotsDir, stamp);
  const manifestFile = path.join(dir, 'MANIFEST.json');
  if (!fs.existsSync(manifestFile)) throw new UsageError(`no snapshot ${stamp} in ${paths.snapshotsDir}`, { hint: 'list them with `kobe state backup --list`' });
  let files: SnapshotFile[];
  try {
    files = (JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as { files: SnapshotFile[] }).files;
    if (!Array.isArray(files)) throw new Error('files is not a list');
  } catch (err) {
    throw new StateError(manifestFile, 'files', `unreadable manifest (${errorText(err)})`);
  }
  for (const f of files) {
    const p = path.join(dir, f.path);
    if (!fs.existsSync(p) || sha(fs.readFileSync(p)) !== f.sha256) throw new StateError(p, '', 'does not match the snapshot manifest (changed or missing); refusing to restore from it');
  }
  return { stamp, dir, files };
}

/** Files a restore would write (everything but the forward-only ones). */
export function restorable(info: SnapshotInfo): SnapshotFile[] {
  return info.files.filter((f) => !NEVER_RESTORED.has(f.path));
}

/** Write the snapshot's restorable files back into state/, each atomically under its lock. */
export async function restoreFiles(paths: KobePaths, info: SnapshotInfo): Promise<string[]> {
  const written: string[] = [];
  for (const f of restorable(info)) {
    const dest = path.join(paths.stateDir, f.path);
    let buf: Buffer | string = fs.readFileSync(path.join(info.dir, f.path));
    if (f.path === ORDERS) buf = mergeOrders(buf, dest);
    await withLock(dest, () => atomicWrite(dest, buf));
    written.push(f.path);
  }
  return written;
}

/** The snapshot's order records plus every current one (current wins: it knows the later outcome). */
function mergeOrders(snapshot: Buffer, currentFile: string): Buffer | string {
  let current: { orders?: Record<string, unknown> } | null = null;
  try {
    current = JSON.parse(fs.readFileSync(currentFile, 'utf8')) as { orders?: Record<string, unknown> };
  } catch {
    // A missing or unreadable current store is what a restore repairs: the snapshot's stands.
    return snapshot;
  }
  const old = JSON.parse(snapshot.toString('utf8')) as { version: number; orders: Record<string, unknown> };
  if (!current?.orders || typeof current.orders !== 'object') return snapshot;
  return `${JSON.stringify({ ...old, orders: { ...old.orders, ...current.orders } }, null, 2)}\n`;
}
