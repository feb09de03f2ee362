import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { CheckFailed, UsageError } from '../core/errors.js';
import { reconcile, type ReconcileReport } from '../core/reconcile/apply.js';

export interface ReconcileOptions {
  fix: boolean;
  yes: boolean;
  /** FOREIGN positions to adopt into the ledger (with --fix). */
  adopt?: string[];
}

export type ReconcileResult = ReconcileReport;

export function register(program: Command, kit: Kit): void {
  program
    .command('reconcile')
    .description('compare broker positions and open orders with the ledger and the store (read-only); --fix applies the same plan with the broker as truth')
    .option('--fix', 'apply the plan: rewrite the ledger, resolve orders by client id, add exit plans')
    .option('--yes', 'confirm --fix without a prompt')
    .option('--adopt <symbols>', 'with --fix: adopt these FOREIGN positions (comma-separated) into the ledger with a 2 x ATR stop')
    .addHelpText('after', '\nExample:\n  kobe reconcile\n  kobe reconcile --fix --yes && kobe reconcile\n  kobe reconcile --fix --adopt SPY,QQQ --yes')
    .action(
      kit.action(
        (raw) => {
          if (raw.yes && !raw.fix) throw new UsageError('--yes confirms --fix; without --fix reconcile only reads');
          if (raw.adopt !== undefined && !raw.fix) throw new UsageError('--adopt needs --fix: adopting writes the ledger');
          return { fix: !!raw.fix, yes: !!raw.yes, adopt: raw.adopt === undefined ? undefined : parseSymbols(String(raw.adopt)) };
        },
        runReconcile,
        renderReconcile,
      ),
    );
}

export async function runReconcile(ctx: KobeContext, opts: ReconcileOptions): Promise<ReconcileResult> {
  ctx.requireHome();
  const deps = await ctx.reconcileDeps();
  let report = await reconcile(deps, { fix: false });
  const adopt = opts.adopt ?? [];
  const foreign = report.discrepancies.filter((x) => x.type === 'FOREIGN').map((x) => x.symbol!);
  const unknown = adopt.filter((s) => !foreign.includes(s));
  if (unknown.length) throw new UsageError(`--adopt ${unknown.join(',')}: not a FOREIGN position (FOREIGN now: ${foreign.join(', ') || 'none'})`, { hint: 'run `kobe reconcile` to see the FOREIGN rows' });
  if (opts.fix && (!report.clean || adopt.length)) {
    if (!opts.yes) {
      renderReconcile(ctx.out, report);
      await ctx.out.confirm(`Apply ${report.discrepancies.length} fix(es) with the broker as the truth${adopt.length ? ` and adopt ${adopt.join(', ')}` : ''}?`);
    }
    report = await reconcile(deps, { fix: true, adopt });
  }
  if (!report.clean) {
    const what = report.fixed.length ? `${report.remaining.length} discrepancy(ies) remain after --fix` : `${report.discrepancies.length} discrepancy(ies) with the broker`;
    throw new CheckFailed(what, { result: report, hint: report.fixed.length ? 'see the remaining items; they need a person' : 'review them, then `kobe reconcile --fix --yes` (consider `kobe kill on` first)' });
  }
  return report;
}

export function renderReconcile(out: Output, r: ReconcileResult): void {
  for (const f of r.fixed) out.changed(`${f.type} ${f.symbol ?? ''}: ${f.change}${f.ok ? '' : ' (NOT FIXED)'}`);
  const list = r.fixed.length ? r.remaining : r.discrepancies;
  if (list.length === 0) out.line(`reconcile clean against ${r.broker}${r.fixed.length ? ` after ${r.fixed.length} fix(es)` : ''}`);
  else {
    void out.table(['type', 'symbol', 'severity', 'detail', 'suggested action'], list.map((d) => [d.type, d.symbol ?? '-', d.severity, d.detail, d.action]));
    out.line(`mismatch notional $${r.mismatch_notional.toFixed(2)}`);
  }
  out.info(`report: ${r.report_file}`);
}

function parseSymbols(v: string): string[] {
  const list = v.split(',').map((x) => x.trim().toUpperCase()).filter(Boolean);
  if (!list.length || list.some((x) => !/^[A-Z][A-Z0-9.]{0,9}$/.test(x))) throw new UsageError(`--adopt expects symbols like SPY,QQQ, got "${v}"`);
  return [...new Set(list)];
}
