import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { CheckFailed, UsageError } from '../core/errors.js';
import { reconcile, type ReconcileReport } from '../core/reconcile/apply.js';

export interface ReconcileOptions {
  fix: boolean;
  yes: boolean;
}

export type ReconcileResult = ReconcileReport;

export function register(program: Command, kit: Kit): void {
  program
    .command('reconcile')
    .description('compare broker positions and open orders with the ledger and the store (read-only); --fix applies the same plan with the broker as truth')
    .option('--fix', 'apply the plan: rewrite the ledger, resolve orders by client id, add exit plans')
    .option('--yes', 'confirm --fix without a prompt')
    .addHelpText('after', '\nExample:\n  kobe reconcile\n  kobe reconcile --fix --yes && kobe reconcile')
    .action(
      kit.action(
        (raw) => {
          if (raw.yes && !raw.fix) throw new UsageError('--yes confirms --fix; without --fix reconcile only reads');
          return { fix: !!raw.fix, yes: !!raw.yes };
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
  if (opts.fix && !report.clean) {
    if (!opts.yes) {
      renderReconcile(ctx.out, report);
      await ctx.out.confirm(`Apply ${report.discrepancies.length} fix(es) with the broker as the truth?`);
    }
    report = await reconcile(deps, { fix: true });
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
