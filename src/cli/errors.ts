// The one place that turns any thrown value into an exit code and an error report.
import { ExitCode, KobeError, errorText, ioError } from '../core/errors.js';
import type { Output } from './output.js';

export * from '../core/errors.js';

/** Report an error on the output contract and return its exit code. */
export function reportError(out: Output, thrown: unknown, logStack?: (stack: string) => void): number {
  const err = ioError(thrown) ?? thrown;
  if (err instanceof KobeError) {
    const error = { code: err.code, message: err.message, hint: err.hint ?? null, ...(err.details ? { details: err.details } : {}) };
    if (out.json) {
      if (!out.printed) out.result({ ...(err.result ?? {}), error }, undefined, false);
    } else {
      out.info(`${out.s.red('error:')} ${err.message}`);
      if (err.hint) out.info(`${out.s.dim('hint:')} ${err.hint}`);
    }
    if (err !== thrown && thrown instanceof Error && thrown.stack && logStack) logStack(thrown.stack);
    return err.exitCode;
  }
  const message = `unexpected failure: ${errorText(err)}`;
  if (err instanceof Error && err.stack && logStack) logStack(err.stack);
  if (out.json) {
    if (!out.printed) out.result({ error: { code: 'FAILURE', message, hint: 'details are in logs/kobe.log; this is a bug if it repeats' } }, undefined, false);
  } else {
    out.info(`${out.s.red('error:')} ${message}`);
    out.info(`${out.s.dim('hint:')} details are in logs/kobe.log; this is a bug if it repeats`);
  }
  return ExitCode.FAILURE;
}
