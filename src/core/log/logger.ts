// Two pino streams: logs/events.jsonl (one object per line: ts, level, event; the runbooks grep
// and jq it) and logs/kobe.log (diagnostics). Writes are synchronous so an event is on disk before
// the process exits, including on the error path.
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

/** Open the event log lazily (pino is loaded on first use). */
export async function openEventLog(file: string, clock: Clock, redactor: Redactor): Promise<EventLog> {
  const p = await makePino(file, clock, redactor, 'msg', 'debug');
  return {
    emit(event, fields = {}, level = 'info') {
      p[level]({ event, ...fields });
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
