/** Exit codes of the machine contract (ARCHITECTURE.md section 3). */
export const ExitCode = {
  OK: 0,
  FAILURE: 1,
  USAGE: 2,
  INVALID: 3,
  CONNECTIVITY: 4,
  CHECK_FAILED: 5,
  REFUSED: 6,
  SIGINT: 130,
  SIGTERM: 143,
} as const;

/** A failure the CLI knows how to report: exit code, one-line message, and the next command to run. */
export class KobeError extends Error {
  readonly exitCode: number = ExitCode.FAILURE;
  readonly code: string = 'FAILURE';
  hint?: string;
  /** Structured facts for --json consumers (never secrets). */
  details?: Record<string, unknown>;
  constructor(message: string, opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.details = opts.details;
  }
}

/** Bad flags or arguments. */
export class UsageError extends KobeError {
  override readonly exitCode = ExitCode.USAGE;
  override readonly code = 'USAGE';
}

/** One problem of a config file, with its dotted path. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/** Invalid config: every issue at once, each with its path. */
export class ConfigError extends KobeError {
  override readonly exitCode = ExitCode.INVALID;
  override readonly code = 'CONFIG_INVALID';
  readonly file: string;
  readonly issues: ConfigIssue[];
  constructor(file: string, issues: ConfigIssue[], opts: { hint?: string; details?: Record<string, unknown> } = {}) {
    const lines = issues.map((i) => `  ${i.path || '(root)'}: ${i.message}`).join('\n');
    super(`invalid config ${file}:\n${lines}`, { hint: opts.hint ?? `fix ${file} and run \`kobe preflight\``, details: { file, issues, ...opts.details } });
    this.file = file;
    this.issues = issues;
  }
}

/** A state file that cannot be read, parsed or validated; never overwritten. */
export class StateError extends KobeError {
  override readonly exitCode = ExitCode.INVALID;
  override readonly code = 'STATE_INVALID';
  readonly file: string;
  readonly field: string;
  constructor(file: string, field: string, problem: string, opts: { hint?: string; cause?: unknown } = {}) {
    super(`${file}: ${field ? `field ${field}: ` : ''}${problem}`, {
      hint: opts.hint ?? `the file was left untouched; inspect it, then \`kobe state check\` or \`kobe state restore <stamp> --yes\``,
      details: { file, field, problem },
      cause: opts.cause,
    });
    this.file = file;
    this.field = field;
  }
}

/** A provider or broker that cannot be reached. */
export class ConnectivityError extends KobeError {
  override readonly exitCode = ExitCode.CONNECTIVITY;
  override readonly code = 'CONNECTIVITY';
}

/** Credentials refused or missing. */
export class AuthError extends KobeError {
  override readonly exitCode = ExitCode.CONNECTIVITY;
  override readonly code = 'AUTH';
}

/** A check ran and found problems; carries the report so it is still printed. */
export class CheckFailed extends KobeError {
  override readonly exitCode = ExitCode.CHECK_FAILED;
  override readonly code = 'CHECK_FAILED';
  readonly result?: object;
  constructor(message: string, opts: { hint?: string; result?: object; details?: Record<string, unknown> } = {}) {
    super(message, opts);
    this.result = opts.result;
  }
}

/** The data provider refused history beyond the account's plan (or a feed it does not include):
 *  the key works and the provider is up, so this is neither AuthError nor ConnectivityError. */
export class PlanLimitError extends KobeError {
  override readonly exitCode = ExitCode.CHECK_FAILED;
  override readonly code = 'PLAN_LIMIT';
}

/** Refused for safety: kill switch, live gate, missing --yes, a held lock. */
export class SafetyRefusal extends KobeError {
  override readonly exitCode = ExitCode.REFUSED;
  override readonly code = 'REFUSED';
}

/** A broker failure that is safe to retry (reads only). */
export class TransientBrokerError extends KobeError {
  override readonly exitCode = ExitCode.FAILURE;
  override readonly code = 'BROKER_TRANSIENT';
}

/** The broker refused an order. */
export class OrderRejected extends KobeError {
  override readonly exitCode = ExitCode.FAILURE;
  override readonly code = 'ORDER_REJECTED';
}

/** Interrupted by a signal. */
export class Interrupted extends KobeError {
  override readonly code = 'INTERRUPTED';
  override readonly exitCode: number;
  constructor(signal: 'SIGINT' | 'SIGTERM') {
    super(`interrupted by ${signal}`);
    this.exitCode = signal === 'SIGINT' ? ExitCode.SIGINT : ExitCode.SIGTERM;
  }
}

/** Short text of any thrown value, for messages. */
export function errorText(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Node's errno code of a thrown value, if any. */
export function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String((err as { code: unknown }).code) : undefined;
}
