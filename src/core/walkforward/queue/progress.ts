// The progress line of a walk-forward run: done/total per phase, workers seen, an ETA from the
// phase's pace so far, and whether the line crossed a tenth (piped output prints only those).
import type { RunnerProgress } from '../runner.js';

/** Progress text for a run; one instance per run. */
export class ProgressLine {
  private phase = '';
  private t0 = 0;
  private tenth = -1;

  /** The line for `done` of `total` at time `now` (ms); `tenth` when it crossed a new 10%. */
  next(phase: string, done: number, total: number, now: number, info?: RunnerProgress): { text: string; tenth: boolean } {
    if (phase !== this.phase) [this.phase, this.t0, this.tenth] = [phase, now, -1];
    const eta = done > 0 && done < total && now > this.t0 ? `, ETA ${duration(((now - this.t0) / done) * (total - done))}` : '';
    const text = `walk-forward: ${phase} ${done}/${total}${info?.workers !== undefined ? `, ${info.workers} worker(s) seen` : ''}${eta}`;
    const t = total > 0 ? Math.floor((done * 10) / total) : 10;
    const crossed = t > this.tenth;
    if (crossed) this.tenth = t;
    return { text, tenth: crossed };
  }
}

/** 42s, 3m07s. */
export function duration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
}
