// The output contract (ARCHITECTURE.md section 3): results on stdout (one JSON document with
// --json), everything else on stderr; colour, tables and spinners only on a TTY without NO_COLOR.
import { SafetyRefusal } from '../core/errors.js';
import type { Redactor } from '../core/log/redact.js';

/** A writable stream as far as output cares. */
export interface Sink {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** The process streams (or in-memory ones in tests). */
export interface Streams {
  stdout: Sink;
  stderr: Sink;
  stdin?: NodeJS.ReadableStream & { isTTY?: boolean };
}

export interface OutputOptions {
  json: boolean;
  color: boolean;
  verbose: boolean;
  env: Record<string, string | undefined>;
}

type Paint = (s: string) => string;
const plain: Paint = (s) => s;

/** Styles; identity functions when colour is off. */
export interface Styles {
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  cyan: Paint;
}

const PLAIN_STYLES: Styles = { bold: plain, dim: plain, red: plain, green: plain, yellow: plain, cyan: plain };

/** Writers for one command run. */
export class Output {
  readonly json: boolean;
  readonly verbose: boolean;
  readonly color: boolean;
  s: Styles = PLAIN_STYLES;
  private resultPrinted = false;
  private readonly ci: boolean;
  redactor?: Redactor;

  constructor(
    readonly streams: Streams,
    opts: OutputOptions,
  ) {
    this.json = opts.json;
    this.verbose = opts.verbose;
    const env = opts.env;
    const noColor = (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb';
    this.color = opts.color && !noColor && !!streams.stderr.isTTY;
    this.ci = env.CI === 'true';
  }

  /** An Output with colours loaded when they will be used (chalk stays off the piped fast path). */
  static async create(streams: Streams, opts: OutputOptions): Promise<Output> {
    const out = new Output(streams, opts);
    if (out.color) {
      const { Chalk } = await import('chalk');
      const c = new Chalk({ level: 1 });
      out.s = { bold: c.bold, dim: c.dim, red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan };
    }
    return out;
  }

  private clean(s: string): string {
    return this.redactor ? this.redactor.text(s) : s;
  }

  /** A person at a terminal can answer a prompt (stdin is only touched here: it costs startup time). */
  get interactive(): boolean {
    return !this.ci && !!this.streams.stderr.isTTY && !!this.streams.stdin?.isTTY;
  }

  /** Whether stdout is a terminal (tables vs plain columns). */
  get stdoutTTY(): boolean {
    return !!this.streams.stdout.isTTY;
  }

  /** Print the command's result: the JSON document, or the human rendering. */
  result<R extends object>(result: R, render?: (out: Output, r: R) => void, ok = true): void {
    if (this.resultPrinted) return;
    this.resultPrinted = true;
    if (this.json) {
      const doc = { ok, ...(this.redactor ? this.redactor.value(result) : result) };
      this.streams.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    } else if (render) {
      render(this, result);
    }
  }

  /** Whether a result has been printed already. */
  get printed(): boolean {
    return this.resultPrinted;
  }

  /** A line of human result text on stdout (never in --json mode). */
  line(text = ''): void {
    if (!this.json) this.streams.stdout.write(`${this.clean(text)}\n`);
  }

  /** Progress and notes on stderr. */
  info(text: string): void {
    this.streams.stderr.write(`${this.clean(text)}\n`);
  }

  /** A "what changed" line on stderr. */
  changed(text: string): void {
    this.info(`${this.s.green('✓')} ${text}`);
  }

  warn(text: string): void {
    this.info(`${this.s.yellow('warning:')} ${text}`);
  }

  debug(text: string): void {
    if (this.verbose) this.info(this.s.dim(text));
  }

  /** Rows as a table on a TTY, tab-separated columns when piped. */
  async table(head: string[], rows: Array<Array<string | number>>): Promise<void> {
    if (this.json) return;
    if (this.stdoutTTY) {
      const { default: Table } = await import('cli-table3');
      // Compact: a rule under the header only, not between every row.
      const t = new Table({ head: head.map((h) => this.s.bold(h)), style: { head: [], border: [], compact: true } });
      for (const r of rows) t.push(r.map(String));
      this.streams.stdout.write(`${this.clean(t.toString())}\n`);
    } else {
      this.streams.stdout.write(`${[head, ...rows].map((r) => r.map(String).join('\t')).map((l) => this.clean(l)).join('\n')}\n`);
    }
  }

  /** A spinner on an interactive stderr; a plain line otherwise. */
  async spinner(text: string): Promise<{ succeed(t?: string): void; fail(t?: string): void; update(t: string): void }> {
    // ora spins forever on a terminal that reports no width; fall back to plain lines there.
    const cols = (this.streams.stderr as { columns?: number }).columns ?? 0;
    if (this.color && !this.json && cols > 0) {
      const { default: ora } = await import('ora');
      const sp = ora({ text, stream: this.streams.stderr as unknown as NodeJS.WritableStream }).start();
      return { succeed: (t) => sp.succeed(t), fail: (t) => sp.fail(t), update: (t) => (sp.text = t) };
    }
    this.info(text);
    return { succeed: (t) => t && this.info(t), fail: (t) => t && this.info(t), update: () => undefined };
  }

  /** Ask for a typed confirmation on a TTY; without one, refuse and name the flag that confirms. */
  async confirm(question: string, flag = '--yes', expected = 'yes'): Promise<void> {
    if (!this.interactive || !this.streams.stdin) {
      throw new SafetyRefusal(`confirmation needed and no terminal to ask on`, { hint: `re-run with ${flag} to confirm` });
    }
    const { createInterface } = await import('node:readline/promises');
    const rl = createInterface({ input: this.streams.stdin, output: this.streams.stderr as unknown as NodeJS.WritableStream });
    try {
      const answer = (await rl.question(`${question} Type "${expected}" to continue: `)).trim();
      if (answer !== expected) throw new SafetyRefusal('not confirmed; nothing was changed');
    } finally {
      rl.close();
    }
  }
}
