// The train-window parameter grid and the objectives it is ranked by.
// Grid syntax: `section.key=v1,v2,...` axes separated by ';', for example
//   ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5
// Keys are those of the params file except `version`; numbers for numeric keys, words for the rest
// (ibs_rsi.rsi_method=wilder,sma). Candidates are the cartesian product with the first axis varying
// slowest; unlisted keys keep the base value; each candidate must pass StrategyParamsSchema.
import { zodIssues } from '../config/issues.js';
import { StrategyParamsSchema, type StrategyParams } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { Metrics } from '../backtest/types.js';

/** What a train window is ranked by. */
export type Objective = 'sharpe' | 'cagr' | 'profit_factor' | 'calmar';

/** Objectives in help order. */
export const OBJECTIVES: readonly Objective[] = ['sharpe', 'cagr', 'profit_factor', 'calmar'];

/** Largest grid accepted (each point is a backtest per split). */
export const MAX_GRID = 256;

/** One axis of the grid. */
export interface GridAxis {
  /** `section.key`, e.g. ibs_rsi.ibs_entry. */
  key: string;
  values: Array<number | string>;
}

/** One point of the grid: its params and the values it sets. */
export interface Candidate {
  index: number;
  params: StrategyParams;
  /** The grid keys and their values, in axis order (empty without a grid). */
  values: Record<string, number | string>;
}

const SECTIONS = ['common', 'ibs_rsi', 'turtle_soup'] as const;
type Section = (typeof SECTIONS)[number];

const hint = 'grid syntax: section.key=v1,v2;section.key=v1,v2  e.g. --grid "ibs_rsi.ibs_entry=0.05,0.08,0.1;ibs_rsi.rsi_entry=3,5"';

/** Parse a grid spec against the base params (which decide each key's type). */
export function parseGrid(spec: string, base: StrategyParams): GridAxis[] {
  const parts = spec.split(';').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new UsageError('--grid is empty', { hint });
  const axes: GridAxis[] = [];
  for (const part of parts) {
    const eq = part.indexOf('=');
    if (eq < 0) throw new UsageError(`--grid: "${part}" has no "="`, { hint });
    const key = part.slice(0, eq).trim();
    const [section, name, ...rest] = key.split('.');
    if (!SECTIONS.includes(section as Section) || !name || rest.length || !Object.hasOwn(base[section as Section], name)) {
      throw new UsageError(`--grid: unknown key "${key}"`, { hint: `keys are ${SECTIONS.map((s) => `${s}.${Object.keys(base[s]).join('|')}`).join(', ')}` });
    }
    if (axes.some((a) => a.key === key)) throw new UsageError(`--grid: ${key} is listed twice`, { hint });
    const numeric = typeof (base[section as Section] as Record<string, unknown>)[name] === 'number';
    const raw = part.slice(eq + 1).split(',').map((v) => v.trim());
    if (raw.some((v) => v === '')) throw new UsageError(`--grid: ${key} has an empty value`, { hint });
    const values = raw.map((v) => {
      if (!numeric) return v;
      const n = Number(v);
      if (!Number.isFinite(n)) throw new UsageError(`--grid: ${key} value "${v}" is not a number`, { hint });
      return n;
    });
    if (new Set(values).size !== values.length) throw new UsageError(`--grid: ${key} lists a value twice`, { hint });
    axes.push({ key, values });
  }
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  if (size > MAX_GRID) throw new UsageError(`--grid has ${size} points; at most ${MAX_GRID}`, { hint: 'each point is one backtest per split: narrow the grid' });
  return axes;
}

/** The grid in its normal form (the syntax above, values as parsed). */
export function gridText(axes: readonly GridAxis[]): string {
  return axes.map((a) => `${a.key}=${a.values.join(',')}`).join(';');
}

/** A candidate's values as `key=value;key=value` (empty without a grid). */
export function valuesText(values: Record<string, number | string>): string {
  return Object.entries(values).map(([k, v]) => `${k}=${v}`).join(';');
}

/** Every point of the grid (or just the base without one), each validated. */
export function gridCandidates(axes: readonly GridAxis[] | null, base: StrategyParams): Candidate[] {
  if (!axes || axes.length === 0) return [{ index: 0, params: base, values: {} }];
  const out: Candidate[] = [];
  const size = axes.reduce((n, a) => n * a.values.length, 1);
  for (let i = 0; i < size; i++) {
    const p = structuredClone(base);
    const values: Record<string, number | string> = {};
    // Mixed radix, last axis fastest: point i picks digit k of i for axis k.
    let stride = size;
    for (const a of axes) {
      stride /= a.values.length;
      const v = a.values[Math.floor(i / stride) % a.values.length];
      const [section, name] = a.key.split('.') as [Section, string];
      (p[section] as Record<string, unknown>)[name] = v;
      values[a.key] = v;
    }
    const r = StrategyParamsSchema.safeParse(p);
    if (!r.success) {
      const issue = zodIssues(r.error)[0];
      throw new UsageError(`--grid point ${valuesText(values)} is not valid: ${issue.path}: ${issue.message}`, { hint: 'every combination must pass the params schema' });
    }
    out.push({ index: i, params: r.data, values });
  }
  return out;
}

/** The objective's value for a group's metrics; null when undefined for that group. */
export function objectiveOf(m: Metrics, o: Objective): number | null {
  switch (o) {
    case 'sharpe':
      return m.sharpe;
    case 'cagr':
      return m.cagr;
    case 'profit_factor':
      return m.profit_factor;
    case 'calmar':
      return m.cagr === null || m.max_drawdown === null || !(m.max_drawdown > 0) ? null : Math.round((m.cagr / m.max_drawdown) * 1e6) / 1e6 || 0;
  }
}

/**
 * Index of the best value; an undefined objective (null: no trades, no losing trade for profit
 * factor, no drawdown for calmar) ranks below every number; ties go to the lowest index.
 */
export function bestIndex(values: ReadonlyArray<number | null>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (better(values[i], values[best])) best = i;
  return best;
}

/** True when a is strictly better than b under bestIndex's rule. */
export function better(a: number | null, b: number | null): boolean {
  return a !== null && (b === null || a > b);
}
