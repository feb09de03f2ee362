// The house rules of docs/architecture.md ("Rooms"), checked on the source tree: no import circles
// (static imports, type-only ones included), core never imports the CLI or commands, and a port
// never imports an adapter.
import { describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../helpers/cli.js';

const SRC = path.join(ROOT, 'src');

function files(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(SRC)) {
    const text = fs.readFileSync(f, 'utf8');
    const deps = [...text.matchAll(/^(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms)].map((m) => path.resolve(path.dirname(f), m[1]).replace(/\.js$/, '.ts'));
    g.set(f, deps.filter((d) => fs.existsSync(d)));
  }
  return g;
}

const rel = (f: string) => path.relative(SRC, f);

describe('house rules', () => {
  it('no import circles in src/', () => {
    const g = graph();
    const state = new Map<string, 1 | 2>();
    const cycles: string[] = [];
    const visit = (f: string, stack: string[]) => {
      if (state.get(f) === 2) return;
      if (state.get(f) === 1) {
        cycles.push([...stack.slice(stack.indexOf(f)), f].map(rel).join(' -> '));
        return;
      }
      state.set(f, 1);
      for (const d of g.get(f) ?? []) visit(d, [...stack, f]);
      state.set(f, 2);
    };
    for (const f of g.keys()) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('core imports neither the CLI nor commands; ports import no adapter', () => {
    const bad: string[] = [];
    for (const [f, deps] of graph()) {
      const r = rel(f);
      for (const d of deps.map(rel)) {
        if (r.startsWith('core/') && (d.startsWith('cli/') || d.startsWith('commands/'))) bad.push(`${r} -> ${d}`);
        if (r.startsWith('core/ports/') && (d.startsWith('core/broker/') || d.startsWith('core/data/') || d.startsWith('core/alerts/'))) bad.push(`${r} -> ${d}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
