// Long computations as generators that yield between chunks: the same code runs straight through
// (tests, workers) or pauses on the event loop so a spinner can draw (the CLI on a TTY).

/** A computation that yields between chunks of work and returns its result. */
export type Steps<T> = Generator<void, T, void>;

/** Run steps to the end without pausing. */
export function drain<T>(steps: Steps<T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Run steps, awaiting `pause` at every yield. */
export async function drainAsync<T>(steps: Steps<T>, pause: () => Promise<void>): Promise<T> {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
    await pause();
  }
}
