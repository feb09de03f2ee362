// npm run bench [name ...]: prints figures and ratios; never fails on a time.
const SUITES = {
  startup: () => import('./startup.js'),
  chain: () => import('./chain.js'),
  oms: () => import('./oms.js'),
  data: () => import('./data.js'),
  prefetch: () => import('./prefetch.js'),
  strategy: () => import('./strategy.js'),
  indicators: () => import('./indicators.js'),
  ops: () => import('./ops.js'),
  brain: () => import('./brain.js'),
  walkforward: () => import('./walkforward.js'),
  queue: () => import('./queue.js'),
  memory: () => import('./memory.js'),
};
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(SUITES);
for (const n of names) {
  if (!SUITES[n]) {
    process.stderr.write(`unknown bench "${n}"; known: ${Object.keys(SUITES).join(', ')}\n`);
    process.exitCode = 2;
    continue;
  }
  process.stdout.write(`\n## ${n}\n`);
  await (await SUITES[n]()).run();
}
