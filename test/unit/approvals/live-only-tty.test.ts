// Nothing may create an interactive live approval programmatically: only the terminal path of
// `kobe approve live` (through grantLiveApproval, which asks for the typed phrase) writes one.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/cli.js';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('the live approval is only given on a terminal', () => {
  const files = sources(path.join(ROOT, 'src'));
  const rel = (f: string) => path.relative(ROOT, f);
  const matching = (re: RegExp) => files.filter((f) => re.test(fs.readFileSync(f, 'utf8'))).map(rel);

  it('only grantLiveApproval writes interactive: true', () => {
    expect(matching(/interactive:\s*true/)).toEqual(['src/core/approvals/live.ts']);
  });

  it('only the approve command calls grantLiveApproval, and it passes the terminal state and a typed confirmation', () => {
    expect(matching(/(?<!function )grantLiveApproval\s*\(/)).toEqual(['src/commands/approve.ts']);
    const approve = fs.readFileSync(path.join(ROOT, 'src/commands/approve.ts'), 'utf8');
    expect(approve).toMatch(/interactive: ctx\.out\.interactive/);
    expect(approve).toMatch(/confirmTyped: \(q, phrase\) => ctx\.out\.confirm\(q, 'a terminal', phrase\)/);
  });

  it('grantLiveApproval refuses before it writes when there is no terminal', () => {
    const live = fs.readFileSync(path.join(ROOT, 'src/core/approvals/live.ts'), 'utf8');
    const refuseAt = live.indexOf('if (!r.interactive)');
    const confirmAt = live.indexOf('await r.confirmTyped(');
    const writeAt = live.indexOf('createApproval(r.dir');
    expect(refuseAt).toBeGreaterThan(0);
    expect(confirmAt).toBeGreaterThan(refuseAt);
    expect(writeAt).toBeGreaterThan(confirmAt);
  });
});
