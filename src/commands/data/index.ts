import type { Command } from 'commander';
import type { Kit } from '../../cli/kit.js';
import { registerDataImport } from './import.js';
import { registerDataList } from './list.js';
import { registerDataEarnings } from './earnings.js';
import { registerDataPrefetch } from './prefetch.js';
import { registerDataSeed } from './seed.js';
import { registerDataVerify } from './verify.js';
import { registerDataReindex } from './reindex.js';

export function register(program: Command, kit: Kit): void {
  const data = program
    .command('data')
    .description('market data: the local bar store, synthetic market, Polygon prefetch, CSV import, audit')
    .addHelpText('after', '\nExamples:\n  kobe data seed\n  kobe data verify\n  kobe data list');
  registerDataList(data, kit);
  registerDataEarnings(data, kit);
  registerDataImport(data, kit);
  registerDataVerify(data, kit);
  registerDataSeed(data, kit);
  registerDataPrefetch(data, kit);
  registerDataReindex(data, kit);
}
