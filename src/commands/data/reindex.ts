import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { CheckFailed } from '../../core/errors.js';
import type { LoadProblem } from '../../core/data/store.js';

export interface ReindexResult {
  symbols: number;
  skipped: LoadProblem[];
  kept_aside: string | null;
}

export function registerDataReindex(data: Command, kit: Kit): void {
  data
    .command('reindex')
    .description('rebuild data/cache/index.json from the bar files (after the index was damaged); the old index is kept aside')
    .addHelpText('after', '\nExample:\n  kobe data reindex && kobe data verify')
    .action(kit.action(() => ({}), runDataReindex, renderDataReindex));
}

export async function runDataReindex(ctx: KobeContext): Promise<ReindexResult> {
  ctx.requireHome();
  const r = await (await ctx.bars()).rebuildIndex();
  (await ctx.events()).emit('data_reindexed', { symbols: r.symbols, skipped: r.skipped.length }, 'warn');
  if (r.skipped.length) throw new CheckFailed(`${r.skipped.length} damaged bar file(s) left out of the index`, { result: r, hint: 're-fetch or re-import those symbols' });
  return r;
}

export function renderDataReindex(out: Output, r: ReindexResult): void {
  if (r.kept_aside) out.info(`old index kept as ${r.kept_aside}`);
  out.changed(`index rebuilt: ${r.symbols} symbol(s); split records and fetched ranges are not in the bar files and were dropped`);
}
