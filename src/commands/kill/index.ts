import type { Command } from 'commander';
import type { Kit } from '../../cli/kit.js';
import { registerKillHistory, registerKillStatus } from './status.js';
import { registerKillOff } from './off.js';
import { registerKillOn } from './on.js';

export function register(program: Command, kit: Kit): void {
  const kill = program
    .command('kill')
    .description('the kill switch (state/KILL_SWITCH): halts every order path; `touch` works too')
    .addHelpText('after', '\nExamples:\n  kobe kill on --reason "position discrepancy"\n  kobe kill status\n  kobe kill off --yes --note "reconciled, broker matches"');
  registerKillOn(kill, kit);
  registerKillOff(kill, kit);
  registerKillStatus(kill, kit);
  registerKillHistory(kill, kit);
}
