// logs/events.jsonl (one object per line: level, ts, event, fields; the runbooks grep and jq it) and
// logs/kobe.log (diagnostics, through pino). Writes are synchronous so an event is on disk before
// the process exits, including on the error path. Events are few and flat, and `kill on` writes one
// on the way out, so they are written directly rather than by loading pino for one line.
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../ports/clock.js';
import type { Redactor } from './redact.js';
import { makeDir } from '../util/files.js';

export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Structured event log (logs/events.jsonl). */
export interface EventLog {
  emit(event: string, fields?: Record<string, unknown>, level?: Level): void;
}

/** Diagnostics log (logs/kobe.log). */
export interface DiagLog {
  log(level: Level, msg: string, fields?: Record<string, unknown>): void;
}

type PinoLike = Record<Level, (obj: object, msg?: string) => void>;

async function makePino(file: string, clock: Clock, redactor: Redactor, messageKey: string, level: string): Promise<PinoLike> {
  const { default: pino } = await import('pino');
  makeDir(path.dirname(file));
  return pino(
    {
      level,
      base: undefined,
      messageKey,
      timestamp: () => `,"ts":"${clock.now().toISOString()}"`,
      formatters: {
        level: (label: string) => ({ level: label }),
        log: (obj: Record<string, unknown>) => redactor.value(obj),
      },
      hooks: {
        logMethod(args: unknown[], method: (...a: unknown[]) => void) {
          method.apply(this, args.map((a) => (typeof a === 'string' ? redactor.text(a) : a)));
        },
      },
    },
    pino.destination({ dest: file, sync: true, append: true, mkdir: true }),
  ) as unknown as PinoLike;
}

const bigints = (_k: string, v: unknown) => (typeof v === 'bigint' ? v.toString() : v);

/** Open the event log (the file is opened on the first event). */
export async function openEventLog(file: string, clock: Clock, redactor: Redactor): Promise<EventLog> {
  let fd: number | undefined;
  return {
    emit(event, fields = {}, level = 'info') {
      const line = JSON.stringify({ level, ts: clock.now().toISOString(), ...redactor.value({ event, ...fields }) }, bigints);
      if (fd === undefined) {
        makeDir(path.dirname(file));
        fd = fs.openSync(file, 'a');
      }
      fs.writeSync(fd, `${line}\n`);
    },
  };
}

/** Open the diagnostics log lazily. */
export async function openDiagLog(file: string, clock: Clock, redactor: Redactor, verbose: boolean): Promise<DiagLog> {
  const p = await makePino(file, clock, redactor, 'msg', verbose ? 'debug' : 'info');
  return {
    log(level, msg, fields = {}) {
      p[level](fields, msg);
    },
  };
}
