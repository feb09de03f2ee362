import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import { intFlag } from '../cli/flags.js';
import type { Output } from '../cli/output.js';
import { CheckFailed, UsageError } from '../core/errors.js';
import { CHECKS, type PreflightInput } from '../core/preflight/checks.js';
import { isGo, runChecks, type PreflightCheck, type PreflightRow } from '../core/preflight/run.js';
import { LastPreflightFile } from '../core/state/schemas.js';

export interface PreflightOptions {
  mode?: 'paper' | 'live';
  timeoutMs: number;
}

export interface PreflightResult {
  mode: 'paper' | 'live';
  go: boolean;
  rows: PreflightRow[];
  ts: string;
}

export function register(program: Command, kit: Kit): void {
  program
    .command('preflight')
    .description('every check before trading (config, pin, keys, broker, clock, calendar, quotes, data, kill switch, chain, reconcile, budgets, live gates): GO exit 0, NO-GO exit 5')
    .option('--mode <mode>', 'paper or live (default: the config\'s trading.mode)')
    .option('--timeout <ms>', 'per-check timeout', '5000')
    .addHelpText('after', '\nExample:\n  kobe preflight --mode paper\n  kobe preflight --mode live --json | jq \'.rows[] | select(.status == "fail")\'')
    .action(
      kit.action(
        (raw) => {
          if (raw.mode !== undefined && raw.mode !== 'paper' && raw.mode !== 'live') throw new UsageError(`--mode must be paper or live, got "${raw.mode}"`);
          return { mode: raw.mode as PreflightOptions['mode'], timeoutMs: intFlag('--timeout', raw.timeout, 100, 120_000) ?? 5000 };
        },
        runPreflight,
        renderPreflight,
      ),
    );
}

/** Run preflight with the given checks (tests pass extra ones). */
export async function runPreflight(ctx: KobeContext, o: PreflightOptions, checks: ReadonlyArray<PreflightCheck<PreflightInput>> = CHECKS): Promise<PreflightResult> {
  ctx.requireHome();
  const loaded = await ctx.config().catch(() => null);
  const mode = o.mode ?? loaded?.config.trading.mode ?? 'paper';
  const now = ctx.clock.now();
  const input: PreflightInput = {
    mode, paths: ctx.paths, now, processEnv: ctx.env,
    config: () => ctx.config(), secrets: () => ctx.secrets(), broker: () => ctx.broker(), quotes: () => ctx.quotes(), store: () => ctx.state(), bars: () => ctx.bars(),
  };
  const rows = await runChecks(checks, input, o.timeoutMs);
  const go = isGo(rows);
  const ts = now.toISOString();
  const record = { version: 1 as const, ts, mode, go, pin: loaded?.pin ?? '', rows: rows.map(({ name, status, blocking, detail, hint }) => ({ name, status, blocking, detail, hint })) };
  await (await ctx.state()).write(LastPreflightFile, record);
  // The live gate trusts the stored result only with this block (a hand-written file has none).
  const { recordSha256 } = await import('../core/risk/live-gates.js');
  try {
    await (await ctx.audit()).append('preflight', { mode, go, pin: record.pin, ts, record_sha256: recordSha256(record) });
  } catch (err) {
    // A chain that cannot take the block is already a failed row; the live gate stays closed.
    (await ctx.events()).emit('preflight_not_recorded', { error: String((err as Error)?.message ?? err) }, 'warn');
  }
  (await ctx.events()).emit('preflight', { mode, go, failed: rows.filter((r) => r.status === 'fail').map((r) => r.name), warned: rows.filter((r) => r.status === 'warn').map((r) => r.name) }, go ? 'info' : 'warn');
  const result = { mode, go, rows, ts };
  if (!go) {
    const blocking = rows.filter((r) => r.blocking && r.status === 'fail');
    throw new CheckFailed(`NO-GO (${mode}): ${blocking.map((r) => r.name).join(', ')}`, { result, hint: blocking[0]?.hint });
  }
  return result;
}

export function renderPreflight(out: Output, r: PreflightResult): void {
  const paint = { ok: out.s.green, warn: out.s.yellow, fail: out.s.red, skip: out.s.dim };
  void out.table(['check', 'status', 'blocking', 'detail', 'fix'], r.rows.map((x) => [x.name, paint[x.status](x.status.toUpperCase()), x.blocking ? 'yes' : 'no', x.detail, x.hint]));
  out.line(r.go ? out.s.green(`GO (${r.mode})`) : out.s.red(`NO-GO (${r.mode})`));
}
