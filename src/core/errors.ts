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
  /** The command's result, still printed with the error (a check's report, a cycle's outcomes). */
  readonly result?: object;
  constructor(message: string, opts: { hint?: string; details?: Record<string, unknown>; cause?: unknown; result?: object } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.hint = opts.hint;
    this.details = opts.details;
    this.result = opts.result;
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
  constructor(message: string, opts: { hint?: string; result?: object; details?: Record<string, unknown> } = {}) {
    super(message, opts);
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

const ERRNO_TEXT: Record<string, string> = {
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ENAMETOOLONG: 'name too long, over 255 bytes',
  ENOENT: 'no such file or directory',
  EEXIST: 'already exists',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
  ELOOP: 'too many levels of symbolic links',
  EBUSY: 'resource busy',
  ENOTEMPTY: 'directory not empty',
  EXDEV: 'cross-device link',
};

const ERRNO_HINT: Record<string, string> = {
  EROFS: 'remount the file system read-write or point --home at a writable kobe home, then rerun',
  ENOSPC: 'free disk space (`df -h`) and rerun; state files are replaced atomically, so the old ones are intact',
  EDQUOT: 'free space within your quota and rerun',
  EACCES: 'check ownership and permissions (`ls -l`); run kobe as the owner of the kobe home',
  EPERM: 'check ownership and permissions (`ls -l`); run kobe as the owner of the kobe home',
  ENAMETOOLONG: 'use a shorter path: each name at most 255 bytes',
};

/** "EROFS (read-only file system)" for an errno error; the message otherwise. */
export function errnoText(err: unknown): string {
  const code = errnoCode(err);
  return code && ERRNO_TEXT[code] ? `${code} (${ERRNO_TEXT[code]})` : errorText(err);
}

/** A file-system call failed for a reason outside kobe: a full disk, a read-only mount, permissions. */
export class IoError extends KobeError {
  override readonly exitCode = ExitCode.INVALID;
  override readonly code = 'IO_ERROR';
}

/** An IoError naming the path and errno of a Node file-system error; undefined for anything else. */
export function ioError(err: unknown): IoError | undefined {
  if (err instanceof KobeError || !(err instanceof Error)) return undefined;
  const e = err as NodeJS.ErrnoException & { dest?: string };
  const code = errnoCode(e);
  if (!code || !ERRNO_TEXT[code] || typeof e.syscall !== 'string') return undefined;
  const where = e.path ? ` ${e.path}${e.dest ? ` -> ${e.dest}` : ''}` : '';
  return new IoError(`cannot ${e.syscall}${where}: ${errnoText(e)}`, {
    hint: ERRNO_HINT[code] ?? 'check the path and rerun; details are in logs/kobe.log',
    details: { errno: code, syscall: e.syscall, path: e.path ?? null },
    cause: err,
  });
}
