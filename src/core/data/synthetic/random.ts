// Seeded randomness for the synthetic market. sfc32 (Chris Doty-Humphrey's Small Fast Counting
// generator) on 32-bit integer arithmetic, seeded through splitmix32 so that neighbouring seeds and
// stream numbers give unrelated sequences. The state is integer-only, so a stream is the same on
// every platform and Node version (Math.random, whose algorithm V8 may change, is never used).

const TWO_32 = 4294967296;
// Bound once: global lookups are slow under jest's vm sandbox (see model.ts).
const { floor, imul, log, sqrt } = Math;
const NONE = Number.NaN;

/** One step of splitmix32 on `state`, returning [next state, output]. */
function splitmix32(state: number): [number, number] {
  const s = (state + 0x9e3779b9) | 0;
  let z = s;
  z = imul(z ^ (z >>> 16), 0x85ebca6b);
  z = imul(z ^ (z >>> 13), 0xc2b2ae35);
  return [s, (z ^ (z >>> 16)) >>> 0];
}

/** A deterministic random stream (sfc32) with uniform, normal and exponential draws. */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d = 1;
  private spare = NONE;

  /** A stream from four 32-bit words (use `streamRng` rather than calling this directly). */
  constructor(a: number, b: number, c: number) {
    this.a = a | 0;
    this.b = b | 0;
    this.c = c | 0;
    for (let i = 0; i < 15; i++) this.next();
  }

  /** Next unsigned 32-bit integer. */
  next(): number {
    const { a, b, c, d } = this;
    const t = (((a + b) | 0) + d) | 0;
    this.d = (d + 1) | 0;
    this.a = b ^ (b >>> 9);
    this.b = (c + (c << 3)) | 0;
    const r = (c << 21) | (c >>> 11);
    this.c = (r + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next() / TWO_32;
  }

  /** Uniform in (0, 1]: safe under a logarithm. */
  positive(): number {
    return (this.next() + 1) / TWO_32;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return floor(this.float() * n);
  }

  /** Standard normal (Marsaglia polar method; the second value of each pair is kept for the next call). */
  normal(): number {
    const s0 = this.spare;
    if (s0 === s0) {
      this.spare = NONE;
      return s0;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.float() - 1;
      v = 2 * this.float() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const m = sqrt((-2 * log(s)) / s);
    this.spare = v * m;
    return u * m;
  }

  /** Exponential with mean 1. */
  exponential(): number {
    return -log(this.positive());
  }
}

/**
 * The stream numbered `stream` within `domain` for an integer seed (0 .. 2^53 - 1). Streams are
 * independent of each other, so symbol i's bars never depend on how many symbols are generated.
 */
export function streamRng(seed: number, domain: number, stream: number): Rng {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
  const lo = seed % TWO_32;
  const hi = floor(seed / TWO_32);
  let st = 0;
  let out = 0;
  let key = 0;
  for (const word of [lo, hi, domain, stream]) {
    [st, out] = splitmix32((st ^ word ^ key) | 0);
    key = out;
  }
  const words: number[] = [];
  for (let i = 0; i < 3; i++) {
    [st, out] = splitmix32(st ^ key);
    words.push(out);
  }
  return new Rng(words[0], words[1], words[2]);
}
