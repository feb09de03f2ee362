// The kill switch file (SPEC section 4). `kill on` publishes a complete file with link(2), which
// is atomic and fails if the file exists, so concurrent activations keep exactly the first record.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SafetyRefusal, errnoCode, errorText } from '../errors.js';
import type { Clock } from '../ports/clock.js';
import { appendLineSync, fsyncDir } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { tradingState, type KillRecord, type TradingState } from './trading-state.js';

/** What `kill on` asks for. */
export interface KillOnRequest {
  reason: string;
  by: string;
  mode: 'halt' | 'reduce';
  trigger?: string;
  /** A halt replaces a reduce-only switch (default); the brain's triggers leave a human's switch alone. */
  escalate?: boolean;
}

/** Outcome of `kill on`. */
export interface KillOnOutcome {
  created: boolean;
  /** A REDUCING switch was raised to HALTED (never the reverse). */
  escalated: boolean;
  /** Set when only an empty switch could be written (full disk, quota, read-only temp): still HALTED. */
  degraded: string | null;
  state: TradingState;
}

/** A line of state/kill_switch_history.jsonl. */
export interface KillHistoryEntry {
  event: 'on' | 'off';
  reason: string;
  mode?: string;
  activated_at?: string;
  activated_by?: string;
  trigger?: string;
  deactivated_at?: string;
  deactivated_by?: string;
  note?: string;
  forced?: boolean;
}

/** Errors that mean "nothing more can be written here" rather than a bug. */
const NO_SPACE = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM']);

/**
 * Activate the kill switch; idempotent, never prompts, never waits on anything but the disk. A halt
 * replaces a reduce-only switch (escalation); when the record cannot be written at all, an empty
 * file (which `touch` would make, and which means HALTED) is created instead.
 */
export function activateKillSwitch(killFile: string, stateDir: string, clock: Clock, req: KillOnRequest): KillOnOutcome {
  fs.mkdirSync(stateDir, { recursive: true });
  const record: KillRecord = {
    reason: req.reason,
    activated_at: clock.now().toISOString(),
    activated_by: req.by,
    mode: req.mode,
    ...(req.trigger ? { trigger: req.trigger } : {}),
  };
  const tmp = path.join(stateDir, `.KILL_SWITCH.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  let escalated = false;
  try {
    const fd = fs.openSync(tmp, 'wx', 0o644);
    try {
      fs.writeSync(fd, `${JSON.stringify(record)}\n`);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    try {
      fs.linkSync(tmp, killFile);
      created = true;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
      if (req.mode === 'halt' && req.escalate !== false && tradingState(killFile, stateDir).state === 'REDUCING') {
        fs.renameSync(tmp, killFile);
        escalated = true;
      }
    }
  } catch (err) {
    if (!NO_SPACE.has(errnoCode(err) ?? '')) throw err;
    return emptySwitch(killFile, stateDir, `the record could not be written (${errnoCode(err)}): an empty switch was created instead`);
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(stateDir);
  return { created, escalated, degraded: null, state: tradingState(killFile, stateDir) };
}

/** Last resort: an empty KILL_SWITCH needs an inode but no data block. */
function emptySwitch(killFile: string, stateDir: string, why: string): KillOnOutcome {
  let created = false;
  try {
    fs.closeSync(fs.openSync(killFile, 'wx', 0o644));
    created = true;
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw new SafetyRefusal(`could not create ${killFile} (${errorText(err)}): trading is NOT halted`, { hint: 'free disk space or remount read-write, then `kobe kill on` again; stop the brain (`kobe brain stop`) meanwhile' });
  }
  try {
    fsyncDir(stateDir);
  } catch {
    /* the switch exists; durability of its directory entry is best effort on a failing disk */
  }
  return { created, escalated: false, degraded: why, state: tradingState(killFile, stateDir) };
}

/** Remove the kill switch file atomically; refuses when it is not a plain file. */
export function removeKillSwitch(killFile: string, stateDir: string): void {
  // A removal cut off between its rename and its delete leaves a tomb: finish that one first.
  for (const f of fs.readdirSync(stateDir)) if (f.startsWith(`${path.basename(killFile)}.removed.`)) fs.rmSync(path.join(stateDir, f), { force: true });
  let st: fs.Stats;
  try {
    st = fs.lstatSync(killFile);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw new SafetyRefusal(`cannot inspect ${killFile} (${errorText(err)}); trading stays halted`);
  }
  if (!st.isFile()) throw new SafetyRefusal(`${killFile} is not a regular file; trading stays halted`, { hint: 'inspect it and remove it by hand once you know who created it' });
  const tomb = `${killFile}.removed.${process.pid}`;
  fs.renameSync(killFile, tomb);
  fs.rmSync(tomb, { force: true });
  fsyncDir(stateDir);
}

/** Append an entry to the kill switch history under its lock. */
export async function appendKillHistory(historyFile: string, entry: KillHistoryEntry): Promise<void> {
  await withLock(historyFile, () => appendLineSync(historyFile, JSON.stringify(entry)));
}

/** Read the kill switch history; lines that do not parse are returned as problems, not dropped. */
export function readKillHistory(historyFile: string): { entries: KillHistoryEntry[]; problems: string[] } {
  let text: string;
  try {
    text = fs.readFileSync(historyFile, 'utf8');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return { entries: [], problems: [] };
    throw err;
  }
  const entries: KillHistoryEntry[] = [];
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      const e = JSON.parse(line) as KillHistoryEntry;
      if (e.event !== 'on' && e.event !== 'off') throw new Error('no event on|off');
      entries.push(e);
    } catch (err) {
      problems.push(`line ${i + 1}: ${errorText(err)}`);
    }
  });
  return { entries, problems };
}
