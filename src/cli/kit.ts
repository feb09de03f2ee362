// How a command file plugs into the shell: `kit.action(parse, run, render)` builds the commander
// action that validates flags, builds the context, runs, and prints the result.
import type { Command } from 'commander';
import { UsageError } from '../core/errors.js';
import type { KobeContext } from './context.js';
import type { Output } from './output.js';

/** Flag validation: a zod-like schema or a plain function that throws UsageError. */
export type OptionParser<O> = { safeParse(v: unknown): { success: true; data: O } | { success: false; error: { issues: Array<{ path: (string | number)[]; message: string }> } } } | ((raw: Record<string, unknown>, args: string[]) => O);

export interface Kit {
  action<O, R extends object>(parse: OptionParser<O>, run: (ctx: KobeContext, opts: O) => Promise<R>, render?: (out: Output, r: R) => void): (...a: unknown[]) => Promise<void>;
}

/** Turn a parser's verdict into options or a UsageError listing each bad flag. */
export function parseOptions<O>(parse: OptionParser<O>, raw: Record<string, unknown>, args: string[]): O {
  if (typeof parse === 'function') return parse(raw, args);
  const r = parse.safeParse({ ...raw, args });
  if (r.success) return r.data;
  const msg = r.error.issues.map((i) => `${i.path.length ? `--${String(i.path[0]).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : 'arguments'}: ${i.message}`).join('; ');
  throw new UsageError(msg);
}

/** Build the kit for one run; `getContext` creates the context from the global flags. */
export function makeKit(getContext: (cmd: Command) => Promise<KobeContext>): Kit {
  return {
    action(parse, run, render) {
      return async (...a: unknown[]) => {
        const cmd = a[a.length - 1] as Command;
        const raw = cmd.opts() as Record<string, unknown>;
        const args = cmd.args.map(String);
        const ctx = await getContext(cmd);
        const opts = parseOptions(parse, raw, args);
        const result = await run(ctx, opts);
        ctx.out.result(result, render);
      };
    },
  };
}
