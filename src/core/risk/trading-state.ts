// Trading state (SPEC section 4): the kill switch file decides it, read fresh on every order.
// Anything that cannot be read for certain means HALTED: failing closed is the only safe answer.
import { escapeControl } from '../text.js';
import fs from 'node:fs';
import { errnoCode, errorText } from '../errors.js';

export type TradingStateName = 'ACTIVE' | 'REDUCING' | 'HALTED';

/** The kill switch record as kobe writes it; files made by touch/echo are shown as their text. */
export interface KillRecord {
  reason: string;
  activated_at?: string;
  activated_by?: string;
  mode: 'halt' | 'reduce';
  trigger?: string;
}

/** Current trading state and why. */
export interface TradingState {
  state: TradingStateName;
  /** Present when the switch is on (or could not be read). */
  record?: KillRecord;
  /** How the file was found: absent, kobe JSON, plain text, empty, or unreadable. */
  source: 'absent' | 'json' | 'text' | 'empty' | 'unreadable';
  detail?: string;
}

/** Parse kill switch file content; plain text and empty files are valid and halt. */
export function parseKillRecord(text: string): { record: KillRecord; source: TradingState['source'] } {
  const trimmed = text.trim();
  if (trimmed === '') return { record: { reason: '(empty kill switch file)', mode: 'halt' }, source: 'empty' };
  if (trimmed.startsWith('{')) {
    try {
      const o = JSON.parse(trimmed) as Record<string, unknown>;
      if (o && typeof o === 'object' && !Array.isArray(o)) {
        const str = (k: string) => (typeof o[k] === 'string' ? escapeControl(o[k] as string) : undefined);
        return {
          record: {
            reason: str('reason') ?? escapeControl(trimmed),
            activated_at: str('activated_at'),
            activated_by: str('activated_by'),
            mode: o.mode === 'reduce' ? 'reduce' : 'halt',
            trigger: str('trigger'),
          },
          source: 'json',
        };
      }
    } catch {
      /* not JSON after all: shown as text */
    }
  }
  const shown = escapeControl(trimmed);
  return { record: { reason: shown.length > 500 ? `${shown.slice(0, 500)}...` : shown, mode: 'halt' }, source: 'text' };
}

/** Read the trading state from the kill switch file at `killFile` (inside `stateDir`). */
export function tradingState(killFile: string, stateDir: string): TradingState {
  let text: string;
  try {
    text = fs.readFileSync(killFile, 'utf8');
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'ENOENT') {
      // A dangling symlink reads as ENOENT, but something is at the path: it halts.
      let entry = false;
      try {
        fs.lstatSync(killFile);
        entry = true;
      } catch {
        /* truly absent */
      }
      if (entry) return unreadable(`${killFile} exists but its target cannot be read (dangling symlink)`);
      try {
        fs.accessSync(stateDir, fs.constants.R_OK | fs.constants.X_OK);
        if (!fs.statSync(stateDir).isDirectory()) throw new Error('not a directory');
      } catch (dirErr) {
        return unreadable(`state directory ${stateDir} is not readable (${errorText(dirErr)})`);
      }
      return { state: 'ACTIVE', source: 'absent' };
    }
    if (code === 'EISDIR') return unreadable(`${killFile} is a directory`);
    return unreadable(`${killFile} cannot be read (${code ?? errorText(err)})`);
  }
  const { record, source } = parseKillRecord(text);
  return { state: record.mode === 'reduce' ? 'REDUCING' : 'HALTED', record, source };
}

function unreadable(detail: string): TradingState {
  return { state: 'HALTED', source: 'unreadable', detail, record: { reason: `fail closed: ${detail}`, mode: 'halt' } };
}
