// No code path but the submit path may place an order: the permit exists only in
// src/core/oms/submit.ts, and no other source file calls submitOrder.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../../helpers/cli.js';

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

describe('the single submit choke point', () => {
  const files = sources(path.join(ROOT, 'src'));
  const rel = (f: string) => path.relative(ROOT, f);

  it('only the submit path calls submitOrder (adapters only define it)', () => {
    const callers = files.filter((f) => /\.submitOrder\s*\(/.test(fs.readFileSync(f, 'utf8'))).map(rel);
    expect(callers).toEqual(['src/core/oms/submit.ts']);
  });

  it('only the submit path mints a SubmitPermit', () => {
    const minting = files.filter((f) => /as\s+SubmitPermit\b/.test(fs.readFileSync(f, 'utf8'))).map(rel);
    expect(minting).toEqual(['src/core/oms/submit.ts']);
  });

  it('the check itself can fail: it sees the submit path', () => {
    expect(files.map(rel)).toContain('src/core/oms/submit.ts');
    expect(fs.readFileSync(path.join(ROOT, 'src/core/oms/submit.ts'), 'utf8')).toMatch(/broker\.submitOrder\(req, PERMIT\)/);
  });
});
