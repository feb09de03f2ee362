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
}

/** Outcome of `kill on`. */
export interface KillOnOutcome {
  created: boolean;
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

/** Activate the kill switch; idempotent, never prompts, never waits on anything but the disk. */
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
  const fd = fs.openSync(tmp, 'wx', 0o644);
  let created = false;
  try {
    fs.writeSync(fd, `${JSON.stringify(record)}\n`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    try {
      fs.linkSync(tmp, killFile);
      created = true;
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
  fsyncDir(stateDir);
  return { created, state: tradingState(killFile, stateDir) };
}

/** Remove the kill switch file atomically; refuses when it is not a plain file. */
export function removeKillSwitch(killFile: string, stateDir: string): void {
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
