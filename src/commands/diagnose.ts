// kobe diagnose: match the current state and the brain's telemetry against the incident playbooks
// and print each matching playbook as kobe commands, with its evidence. Local files only; the
// broker is asked for its recent orders with a short timeout (an outage is evidence, not a crash).
import type { Command } from 'commander';
import type { KobeContext } from '../cli/context.js';
import type { Kit } from '../cli/kit.js';
import type { Output } from '../cli/output.js';
import { CheckFailed, errnoCode } from '../core/errors.js';
import { gatherFacts } from '../core/diagnose/facts.js';
import { PLAYBOOK_IDS, matchPlaybooks, type PlaybookId, type PlaybookMatch } from '../core/diagnose/playbooks.js';

/** Flags of `kobe diagnose`. */
export interface DiagnoseOptions {
  offline: boolean;
}

/** What diagnose found: the matching playbooks with evidence and commands. */
export interface DiagnoseResult {
  ts: string;
  matched: number;
  matches: PlaybookMatch[];
  /** Playbooks checked that did not match. */
  clear: PlaybookId[];
  notes: string[];
}

/** Wire `kobe diagnose` into the program. */
export function register(program: Command, kit: Kit): void {
  program
    .command('diagnose')
    .description('match state, logs and the brain telemetry against the incident playbooks; print each match as kobe commands (exit 5 on a match)')
    .option('--offline', 'do not ask the broker (broker-side duplicates are then not checked)')
    .addHelpText('after', '\nExample:\n  kobe diagnose\n  kobe diagnose --json | jq \'.matches[] | {id, steps: [.steps[].run]}\'')
    .action(kit.action((raw) => ({ offline: !!raw.offline }), runDiagnose, renderDiagnose));
}

/** A pid is alive when signal 0 reaches it (EPERM: alive, another user's). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM';
  }
}

/** Gather the facts, match the playbooks; a match throws CheckFailed (exit 5) carrying the result. */
export async function runDiagnose(ctx: KobeContext, o: DiagnoseOptions): Promise<DiagnoseResult> {
  ctx.requireHome();
  const now = ctx.clock.now();
  const loaded = await ctx.config().catch(() => null);
  const bars = await ctx.bars().catch(() => null);
  const timeout = Math.min(loaded?.config.broker.timeout_ms ?? 3_000, 3_000);
  const facts = await gatherFacts({
    paths: ctx.paths, now, store: await ctx.state(), bars, config: loaded?.config ?? null, isAlive: pidAlive, brokerTimeoutMs: timeout,
    brokerOrders: o.offline || !loaded ? undefined : async () => (await ctx.broker()).listOrders({ status: 'all', limit: 100 }),
  });
  const matches = matchPlaybooks(facts);
  const result: DiagnoseResult = {
    ts: now.toISOString(),
    matched: matches.length,
    matches,
    clear: PLAYBOOK_IDS.filter((id) => !matches.some((m) => m.id === id)),
    notes: facts.notes,
  };
  if (matches.length) {
    if (!ctx.out.json) renderDiagnose(ctx.out, result);
    const first = matches[0];
    throw new CheckFailed(`${matches.length} playbook(s) match: ${matches.map((m) => m.id).join(', ')}`, { result, hint: `start with ${first.id}: ${first.steps[0].run}` });
  }
  return result;
}

/** Each match as severity, title, evidence and numbered commands; then what was clear. */
export function renderDiagnose(out: Output, r: DiagnoseResult): void {
  const sev = { 'SEV-0': out.s.red, 'SEV-1': out.s.yellow, 'SEV-2': out.s.cyan };
  for (const m of r.matches) {
    out.line(`${sev[m.severity](m.severity)}  ${out.s.bold(m.title)}  (${m.id})`);
    out.line('  evidence:');
    for (const e of m.evidence) out.line(`    - ${e}`);
    out.line('  playbook:');
    const width = Math.max(...m.steps.map((s) => s.run.length));
    m.steps.forEach((s, i) => out.line(`    ${i + 1}. ${s.run.padEnd(width)}  ${out.s.dim(`# ${s.why}`)}`));
    out.line();
  }
  if (!r.matches.length) out.line(out.s.green(`no playbook matches (${r.clear.length} checked)`));
  else out.line(`clear: ${r.clear.join(', ') || 'none'}`);
  for (const n of r.notes) out.info(`note: ${n}`);
}
