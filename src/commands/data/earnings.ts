import type { Command } from 'commander';
import path from 'node:path';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { CheckFailed, UsageError } from '../../core/errors.js';
import { readInputFile } from '../../core/util/files.js';
import { parseEarningsCsv, writeEarnings, type EarningsProblem } from '../../core/scan/earnings.js';

export interface EarningsImportResult {
  file: string;
  rows: number;
  symbols: number;
  problems: EarningsProblem[];
  written: string;
}

export function registerDataEarnings(data: Command, kit: Kit): void {
  const earnings = data.command('earnings').description('earnings dates for the scan blackout (data/earnings.csv)');
  earnings
    .command('import <file>')
    .description('validate and load earnings dates (CSV with symbol,date); unknown symbols and bad dates are reported')
    .addHelpText('after', '\nExample:\n  kobe data earnings import ~/downloads/earnings.csv')
    .action(
      kit.action(
        (_raw, args) => {
          if (!args[0]) throw new UsageError('which file? kobe data earnings import FILE');
          return { file: args[0] };
        },
        runEarningsImport,
        renderEarningsImport,
      ),
    );
}

export async function runEarningsImport(ctx: KobeContext, o: { file: string }): Promise<EarningsImportResult> {
  ctx.requireHome();
  const file = path.resolve(o.file);
  const text = readInputFile(file, 'earnings file');
  const known = new Set((await ctx.bars()).list().map((e) => e.symbol));
  const { rows, problems } = parseEarningsCsv(text, o.file, known.size ? known : null);
  const written = path.join(ctx.paths.dataDir, 'earnings.csv');
  await writeEarnings(ctx.paths.dataDir, rows, ctx.clock.now().toISOString(), path.basename(file));
  (await ctx.events()).emit('earnings_imported', { rows: rows.length, problems: problems.length });
  const result = { file, rows: rows.length, symbols: new Set(rows.map((r) => r.symbol)).size, problems, written };
  if (problems.length) throw new CheckFailed(`${problems.length} row(s) of ${o.file} were not imported`, { result, hint: 'fix them and import again; the valid rows are loaded' });
  return result;
}

export function renderEarningsImport(out: Output, r: EarningsImportResult): void {
  out.changed(`wrote ${r.rows} earnings date(s) for ${r.symbols} symbol(s) to ${r.written}`);
  for (const p of r.problems.slice(0, 20)) out.warn(`line ${p.line}: ${p.problem}`);
}
