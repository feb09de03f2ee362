import type { Command } from 'commander';
import type { KobeContext } from '../../cli/context.js';
import type { Kit } from '../../cli/kit.js';
import type { Output } from '../../cli/output.js';
import { SafetyRefusal, UsageError } from '../../core/errors.js';
import { backupState, listSnapshots, readSnapshot, restorable, restoreFiles } from '../../core/state/snapshots.js';

export interface StateBackupResult {
  stamp?: string;
  dir?: string;
  files?: number;
  snapshots?: string[];
}

export function registerStateBackup(state: Command, kit: Kit): void {
  state
    .command('backup')
    .description('snapshot state/ to data/snapshots/<UTC stamp>/ with a manifest of hashes')
    .option('--list', 'list existing snapshots instead, newest first')
    .addHelpText('after', '\nExample:\n  kobe state backup\n  kobe state backup --list')
    .action(kit.action((raw) => ({ list: !!raw.list }), runStateBackup, renderStateBackup));
}

export async function runStateBackup(ctx: KobeContext, opts: { list: boolean }): Promise<StateBackupResult> {
  ctx.requireHome();
  if (opts.list) return { snapshots: listSnapshots(ctx.paths) };
  const info = await backupState(ctx.paths, ctx.clock.now());
  await (await ctx.audit()).append('state_backup', { stamp: info.stamp, files: info.files.length, by: ctx.user });
  (await ctx.events()).emit('state_backup', { stamp: info.stamp, files: info.files.length });
  return { stamp: info.stamp, dir: info.dir, files: info.files.length };
}

export function renderStateBackup(out: Output, r: StateBackupResult): void {
  if (r.snapshots) {
    if (r.snapshots.length === 0) out.line('no snapshots');
    for (const s of r.snapshots) out.line(s);
    return;
  }
  out.changed(`snapshot ${r.stamp}: ${r.files} file(s)`);
  out.line(r.dir ?? '');
}

export interface StateRestoreResult {
  stamp: string;
  restored: string[];
  pre_restore_backup: string;
}

export function registerStateRestore(state: Command, kit: Kit): void {
  state
    .command('restore <stamp>')
    .description('restore a snapshot into state/ (only while the kill switch is on; the kill switch, chain and kill history are never rolled back)')
    .option('--yes', 'confirm without a prompt')
    .addHelpText('after', '\nExample:\n  kobe state restore 20250114T150000123Z --yes')
    .action(
      kit.action(
        (raw, args) => {
          if (!args[0]) throw new UsageError('which snapshot? pass its stamp');
          return { stamp: args[0], yes: !!raw.yes };
        },
        runStateRestore,
        renderStateRestore,
      ),
    );
}

export async function runStateRestore(ctx: KobeContext, opts: { stamp: string; yes: boolean }): Promise<StateRestoreResult> {
  ctx.requireHome();
  if (ctx.tradingState().state === 'ACTIVE') throw new SafetyRefusal('restore refused while trading is ACTIVE', { hint: 'halt first: `kobe kill on --reason "restoring state"`' });
  const info = readSnapshot(ctx.paths, opts.stamp);
  if (!opts.yes) await ctx.out.confirm(`Restore ${restorable(info).length} state file(s) from ${opts.stamp}?`);
  const pre = await backupState(ctx.paths, new Date(ctx.clock.now().getTime() + 1));
  const restored = await restoreFiles(ctx.paths, info);
  // The budget snapshots follow the (merged) orders, not the old files.
  const { writeBudgetSnapshots } = await import('../../core/oms/budgets.js');
  const { etDate } = await import('../../core/market/time.js');
  await writeBudgetSnapshots(await ctx.state(), etDate(ctx.clock.now())).catch(() => undefined);
  await (await ctx.audit()).append('state_restored', { stamp: opts.stamp, files: restored, pre_restore_backup: pre.stamp, by: ctx.user });
  (await ctx.events()).emit('state_restored', { stamp: opts.stamp, files: restored.length, pre_restore_backup: pre.stamp }, 'warn');
  return { stamp: opts.stamp, restored, pre_restore_backup: pre.stamp };
}

export function renderStateRestore(out: Output, r: StateRestoreResult): void {
  out.info(`current state saved first as snapshot ${r.pre_restore_backup}`);
  for (const f of r.restored) out.changed(`restored state/${f}`);
  out.line(`restored ${r.restored.length} file(s) from ${r.stamp}; trading stays halted until \`kobe kill off\``);
}
