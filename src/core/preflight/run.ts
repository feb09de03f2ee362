// Preflight (SPEC section 8): every check runs concurrently with its own timeout; a check that
// throws or hangs is a `fail` row, never a crash and never a silent pass. GO only when no
// blocking row fails.
import { errorText } from '../errors.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

/** One row of the preflight table. */
export interface PreflightRow {
  name: string;
  status: CheckStatus;
  blocking: boolean;
  detail: string;
  /** The kobe command that fixes it. */
  hint: string;
  ms: number;
}

/** What a check returns. */
export interface CheckVerdict {
  status: CheckStatus;
  detail: string;
  hint?: string;
  /** Overrides the check's blocking flag for this verdict (e.g. stale data only blocks on weekdays). */
  blocking?: boolean;
}

/** A named check. */
export interface PreflightCheck<I> {
  name: string;
  blocking: boolean;
  timeoutMs?: number;
  hint: string;
  run(input: I): Promise<CheckVerdict>;
}

/** Run every check concurrently; rows come back in the checks' order. */
export async function runChecks<I>(checks: ReadonlyArray<PreflightCheck<I>>, input: I, defaultTimeoutMs: number): Promise<PreflightRow[]> {
  return Promise.all(
    checks.map(async (c) => {
      const t0 = performance.now();
      const limit = c.timeoutMs ?? defaultTimeoutMs;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<CheckVerdict>((resolve) => {
        timer = setTimeout(() => resolve({ status: 'fail', detail: `timed out after ${limit} ms` }), limit);
      });
      let v: CheckVerdict;
      try {
        v = await Promise.race([c.run(input), timeout]);
      } catch (err) {
        v = { status: 'fail', detail: `check failed: ${errorText(err)}` };
      } finally {
        clearTimeout(timer);
      }
      return { name: c.name, status: v.status, blocking: v.blocking ?? c.blocking, detail: v.detail, hint: v.status === 'ok' || v.status === 'skip' ? '' : v.hint ?? c.hint, ms: Math.round(performance.now() - t0) };
    }),
  );
}

/** GO when no blocking row failed. */
export function isGo(rows: readonly PreflightRow[]): boolean {
  return !rows.some((r) => r.blocking && r.status === 'fail');
}
