import type { Command } from 'commander';
import type { Kit } from '../../cli/kit.js';
import { registerDataList } from './list.js';

export function register(program: Command, kit: Kit): void {
  const data = program
    .command('data')
    .description('market data: the local bar store, synthetic market, Polygon prefetch, CSV import, audit')
    .addHelpText('after', '\nExamples:\n  kobe data seed\n  kobe data verify\n  kobe data list');
  registerDataList(data, kit);
}
