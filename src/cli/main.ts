// The shell: builds the commander program, loads the one command being run, and maps every
// outcome to the exit-code table in one place.
import { Command, CommanderError } from 'commander';
import fs from 'node:fs';
import { ExitCode, Interrupted, KobeError, UsageError, errorText, ioError } from '../core/errors.js';
import { createContext, type ContextOptions, type KobeContext } from './context.js';
import { reportError } from './errors.js';
import { makeKit } from './kit.js';
import { Output, type Streams } from './output.js';
import { COMMANDS } from './registry.js';
import { VERSION } from './version.js';
import { signalHooks } from './signals.js';

export interface MainOptions {
  streams?: Streams;
  env?: Record<string, string | undefined>;
  /** Extra context options (tests: clock, cwd). */
  context?: Partial<ContextOptions>;
  /** Install SIGINT/SIGTERM handlers (the real binary does). */
  signals?: boolean;
}


function preScan(argv: string[]): { json: boolean; color: boolean; verbose: boolean } {
  const upto = argv.indexOf('--');
  const a = upto >= 0 ? argv.slice(0, upto) : argv;
  return { json: a.includes('--json'), color: !a.includes('--no-color'), verbose: a.includes('--verbose') };
}

function firstCommandToken(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const t = argv[i];
    if (t === '--home') {
      i++;
      continue;
    }
    if (t.startsWith('-')) continue;
    return t;
  }
  return undefined;
}

function isHomeDir(c: KobeContext): boolean {
  try {
    return fs.statSync(c.paths.home).isDirectory();
  } catch {
    return false;
  }
}

/** Run kobe with `argv` (without node and script); resolves to the exit code. */
export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const env = opts.env ?? process.env;
  const streams = opts.streams ?? { stdout: process.stdout, stderr: process.stderr, get stdin() { return process.stdin; } };
  const flags = preScan(argv);
  const fallbackOut = await Output.create(streams, { ...flags, env });
  let ctx: KobeContext | undefined;
  let commanderMessage = '';

  const program = new Command('kobe')
    .description('Safe, scriptable operator commands for an autonomous daily-bar US-equity trading bot.')
    .version(VERSION, '-V, --version', 'print the version')
    .option('--home <dir>', 'kobe home (default: $KOBE_HOME, else the current directory)')
    .option('--json', 'print one JSON document on stdout (errors too)')
    .option('--no-color', 'no colour or spinners')
    .option('--verbose', 'more detail on stderr and in logs/kobe.log')
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (s) => streams.stdout.write(s),
      writeErr: (s) => streams.stderr.write(s),
      outputError: (s) => {
        commanderMessage = s.replace(/^error:\s*/, '').trim();
      },
    })
    .addHelpText('after', '\nExamples:\n  kobe init --home ~/kobe\n  kobe kill on --reason "broker outage" --home ~/kobe\n  kobe help kill');

  const kit = makeKit(async (cmd) => {
    const g = cmd.optsWithGlobals() as { home?: string; json?: boolean; color?: boolean; verbose?: boolean };
    ctx = await createContext({ ...opts.context, home: g.home, json: !!g.json, color: g.color !== false, verbose: !!g.verbose, streams, env });
    return ctx;
  });

  let token = firstCommandToken(argv);
  // --json promises one JSON document: the version as one, and no silent help without a command.
  if (flags.json && token === undefined && !argv.some((a) => a === '-h' || a === '--help')) {
    if (argv.some((a) => a === '-V' || a === '--version')) {
      fallbackOut.result({ version: VERSION });
      return ExitCode.OK;
    }
    return reportError(fallbackOut, new UsageError('no command given', { hint: 'see `kobe --help`' }));
  }
  let args = argv;
  if (token === 'help') {
    const target = argv[argv.indexOf('help') + 1];
    args = target ? [target, '--help'] : ['--help'];
    token = target;
  }
  const entry = COMMANDS.find((c) => c.name === token);
  if (entry) {
    (await entry.load()).register(program, kit);
  } else {
    for (const c of COMMANDS) program.command(c.name).description(c.summary).helpOption(false);
  }

  let interrupted: ((err: Interrupted) => void) | undefined;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => () => (signalHooks.graceful ? signalHooks.graceful(sig) : interrupted?.(new Interrupted(sig)));
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  if (opts.signals) for (const [s, h] of Object.entries(handlers)) process.on(s, h);
  try {
    const stop = new Promise<never>((_, reject) => (interrupted = reject));
    await Promise.race([program.parseAsync(args, { from: 'user' }), stop]);
    return ExitCode.OK;
  } catch (err) {
    const out = (ctx as KobeContext | undefined)?.out ?? fallbackOut;
    if (err instanceof CommanderError) {
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.OK;
      const hint = token && entry ? `see \`kobe help ${token}\`` : 'see `kobe --help`';
      return reportError(out, new UsageError(commanderMessage || err.message.replace(/^error:\s*/, ''), { hint }));
    }
    if (err instanceof UsageError && !err.hint) err.hint = token && entry ? `see \`kobe help ${token}\`` : 'see `kobe --help`';
    let logged: ((s: string) => void) | undefined;
    const c = ctx as KobeContext | undefined;
    if (c && !(err instanceof KobeError) && isHomeDir(c)) {
      try {
        const log = await c.log();
        logged = (stack) => log.log('error', 'unexpected failure', { stack });
      } catch {
        /* the log itself may be what failed */
      }
    }
    try {
      return reportError(out, err, logged);
    } catch (failed) {
      // Reporting itself failed (stdout on a full disk): one line on stderr is all that is left.
      const io = ioError(failed);
      streams.stderr.write(`kobe: ${io ? io.message : errorText(err)}\n`);
      return io ? io.exitCode : ExitCode.FAILURE;
    }
  } finally {
    if (opts.signals) for (const [s, h] of Object.entries(handlers)) process.off(s, h);
  }
}
