/** Time source. Core never reads the real clock directly so tests and replays can drive it. */
export interface Clock {
  /** Current instant. */
  now(): Date;
}

/** Wall-clock time. */
export class SystemClock implements Clock {
  now(): Date {
    return new Date();
  }
}

/** A clock that only moves when told; for tests and replays. */
export class FakeClock implements Clock {
  private ms: number;
  constructor(start: Date | string | number = '2025-01-14T15:00:00Z') {
    this.ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.ms);
  }
  set(t: Date | string | number): void {
    this.ms = new Date(t).getTime();
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}
