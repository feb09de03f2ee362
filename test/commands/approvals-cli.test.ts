// The commands through the shell: registry wiring, flags and exit codes of the machine contract.
import { afterEach, describe, expect, it } from '@jest/globals';
import fs from 'node:fs';
import { main } from '../../src/cli/main.js';
import { testContext, MemoryStream, type TestContext } from '../helpers/context.js';

let t: TestContext;
afterEach(() => t?.cleanup());

async function kobe(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const stdout = new MemoryStream();
  const stderr = new MemoryStream();
  const code = await main([...args, '--home', t.home], { streams: { stdout, stderr }, env: { USER: 'tester' }, context: { clock: t.clock } });
  return { code, stdout: stdout.data, stderr: stderr.data };
}

describe('approvals, budget and incident through the CLI', () => {
  it('exit codes: 0 ok, 2 usage, 6 refused (one JSON document each with --json)', async () => {
    t = await testContext();
    const live = await kobe(['approve', 'live', '--approver', 'Jane', '--json']);
    expect(live.code).toBe(6);
    expect(JSON.parse(live.stdout)).toMatchObject({ ok: false, error: { code: 'REFUSED' } });
    expect((await kobe(['approve', 'nope', '--approver', 'Jane'])).code).toBe(2);
    expect((await kobe(['approve', 'p1'])).code).toBe(2);
    expect((await kobe(['reject', 'p1'])).code).toBe(2);
    const list = await kobe(['approvals', 'list', '--pending', '--json']);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ ok: true, approvals: [], problems: [] });

    const budget = await kobe(['budget', '--json']);
    expect(budget.code).toBe(0);
    expect(JSON.parse(budget.stdout).llm).toMatchObject({ tokens_remaining: 100_000 });
    expect((await kobe(['budget', 'record', '--tokens', '10', '--model', 'mystery'])).code).toBe(2);
    expect((await kobe(['budget', 'record', '--tokens', '1000000', '--model', 'gpt-4o'])).code).toBe(0);
    const over = await kobe(['budget']);
    expect(over.stderr).toMatch(/warning: LLM budget exhausted/);
    expect((await kobe(['budget', 'reset', '--llm'])).code).toBe(6);
    const reset = await kobe(['budget', 'reset', '--llm', '--yes']);
    expect(reset.code).toBe(0);
    expect(reset.stderr).toMatch(/reset by tester/);

    expect((await kobe(['incident', 'new', '--sev', 'SEV-9', '--title', 't'])).code).toBe(2);
    const inc = await kobe(['incident', 'new', '--sev', 'SEV-0', '--title', 'live order seen']);
    expect(inc.code).toBe(0);
    expect(fs.readFileSync(inc.stdout.trim(), 'utf8')).toMatch(/SEV-0: Live loss \/ Safety bypass \/ Data corruption \(response: IMMEDIATE\)/);
  });
});
