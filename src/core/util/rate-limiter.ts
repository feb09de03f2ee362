// A rolling-window request limiter: at most `perMinute` requests in any 60 s window. Time and
// sleeping are injected so tests never wait real minutes; the limiter books the instant it
// grants (not the clock after the sleep), so a clock that does not move cannot make it spin.

/** Sleep for `ms` milliseconds. */
export type Sleep = (ms: number) => Promise<void>;

/** Real sleep on a timer. */
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Allows `perMinute` acquisitions per rolling minute (fractions such as 0.5 mean one every 2 min). */
export class RateLimiter {
  private readonly granted: number[] = [];
  private readonly capacity: number;
  private readonly windowMs: number;
  /** Total time spent waiting, for summaries and tests. */
  waitedMs = 0;

  constructor(
    perMinute: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
  ) {
    if (!(perMinute > 0) || !Number.isFinite(perMinute)) throw new RangeError(`requests per minute must be a positive number, got ${perMinute}`);
    this.capacity = Math.max(1, Math.floor(perMinute));
    this.windowMs = (60_000 * this.capacity) / perMinute;
  }

  /** Wait until one more request fits in the window, then book it. */
  async acquire(): Promise<void> {
    const now = this.now();
    while (this.granted.length > 0 && this.granted[0] <= now - this.windowMs) this.granted.shift();
    let at = now;
    if (this.granted.length >= this.capacity) at = Math.max(now, this.granted[this.granted.length - this.capacity] + this.windowMs);
    if (at > now) {
      this.waitedMs += at - now;
      await this.sleep(at - now);
    }
    this.granted.push(at);
  }
}
