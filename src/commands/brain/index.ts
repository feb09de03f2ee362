import type { Command } from 'commander';
import type { Kit } from '../../cli/kit.js';
import { registerBrainHealth } from './health.js';
import { registerBrainSchedule } from './schedule.js';
import { registerBrainStart } from './start.js';
import { registerBrainStatus } from './status.js';
import { registerBrainStop } from './stop.js';

/** The `brain` command group. */
export function register(program: Command, kit: Kit): void {
  const brain = program
    .command('brain')
    .description('the 24/7 brain: scheduler, heartbeat, health server, replay')
    .addHelpText('after', '\nExamples:\n  kobe brain schedule\n  kobe brain start && kobe brain status\n  kobe brain health || kobe brain status\n  kobe brain start --foreground --replay 2024-11-01..2024-11-29');
  registerBrainStart(brain, kit);
  registerBrainStop(brain, kit);
  registerBrainStatus(brain, kit);
  registerBrainHealth(brain, kit);
  registerBrainSchedule(brain, kit);
}
