// What --propose hands to createParamsProposal: the better set's full params, a one-line summary,
// and the evidence an approver needs (objective per split for the set and for the pinned params).
import type { ParamsProposalInput } from '../approvals/params.js';
import { valuesText } from './grid.js';
import type { WalkForwardRun } from './run.js';

/** Context of the proposal: the run's id and report path, the objective and grid as given. */
export interface ProposalContext {
  runId: string;
  report: string;
  objective: string;
  grid: string | null;
  pinnedVersion: string;
}

/** The proposal for the run's better set, or null when none beat the pinned params. */
export function proposalFor(run: WalkForwardRun, c: ProposalContext): Pick<ParamsProposalInput, 'summary' | 'params' | 'evidence'> | null {
  const b = run.better;
  const base = run.baseline;
  if (!b || !base) return null;
  return {
    summary: `walk-forward ${c.objective}: grid point ${b.candidate.index} (${valuesText(b.candidate.values)}) scores ${b.objective} out of sample vs ${base.objective ?? 'n/a'} for pinned ${c.pinnedVersion} over ${run.splits.length} splits`,
    // A version naming the run, so the frozen file says where it came from once approved.
    params: { ...b.candidate.params, version: `${b.candidate.params.version}-wf-${c.runId}` },
    evidence: {
      run_id: c.runId,
      report: c.report,
      objective: c.objective,
      grid: c.grid,
      candidate: b.candidate.index,
      values: b.candidate.values,
      chosen_on_splits: b.chosenOn,
      aggregate: { candidate: b.objective, pinned: base.objective },
      per_split: run.splits.map((s, i) => ({ split: s.split, test_start: s.test.start, test_end: s.test.end, candidate: b.perSplit[i], pinned: base.perSplit[i] })),
    },
  };
}
