import type { Command } from 'commander';
import type { Kit } from '../../cli/kit.js';
import { registerStateBackup, registerStateRestore } from './backup.js';
import { registerStateCheck } from './check.js';

export function register(program: Command, kit: Kit): void {
  const state = program
    .command('state')
    .description('the JSON state files under state/: validate, snapshot, restore')
    .addHelpText('after', '\nExamples:\n  kobe state check\n  kobe state backup\n  kobe kill on --reason restore && kobe state restore 20250114T150000123Z --yes');
  registerStateCheck(state, kit);
  registerStateBackup(state, kit);
  registerStateRestore(state, kit);
}
