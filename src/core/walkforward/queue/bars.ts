// A run's bars travel through Redis once, content-addressed: the coordinator serialises its
// SharedBars into one deterministic byte layout, names them by the sha256 of those exact bytes and
// stores them gzipped; a worker fetches each hash once into its cache dir and refuses bars whose
// bytes do not hash to the name the job gave (a corrupt or substituted blob never runs a job).
// The blob is a Redis hash of gzipped 8 MB chunks (fields 0..n-1), so both sides (de)compress on
// every core: on 900 symbols x 10 years that halves the fixed cost of a queue run.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import type { Redis } from 'ioredis';
import { makeDir } from '../../util/files.js';
import type { SharedBars } from '../shared-bars.js';
import { KEY_TTL_S, barsKey, barsRefsKey } from './protocol.js';

const MAGIC = Buffer.from('KOBEBARS');
const FORMAT = 1;
const gzip = promisify(zlib.gzip);
const gunzip = promisify(zlib.gunzip);
/** Bars files a worker keeps in its cache dir (the newest). */
export const CACHED_BARS = 4;
/** Raw bytes per gzipped chunk. */
const CHUNK = 8 << 20;

/** Bars that cannot be used: missing from Redis, corrupt, or not matching their hash. */
export class BarsRefused extends Error {}

/** The bars as bytes: magic, format, header JSON (symbols, bar count), then each column little-endian. */
export function serializeBars(b: SharedBars): Buffer {
  const n = b.offsets[b.symbols.length];
  const header = Buffer.from(JSON.stringify({ symbols: b.symbols, bars: n }), 'utf8');
  const cols = [b.offsets.subarray(0, b.symbols.length + 1), b.dates.subarray(0, n), ...[b.open, b.high, b.low, b.close, b.volume].map((c) => c.subarray(0, n))];
  const size = MAGIC.length + 8 + header.length + cols.reduce((s, c) => s + c.byteLength, 0);
  const out = Buffer.allocUnsafe(size); // every byte is written below
  let at = MAGIC.copy(out, 0);
  at = out.writeUInt32LE(FORMAT, at);
  at = out.writeUInt32LE(header.length, at);
  at += header.copy(out, at);
  for (const c of cols) at += Buffer.from(c.buffer, c.byteOffset, c.byteLength).copy(out, at);
  return out;
}

const shared = <T extends Int32Array | Float64Array>(Ctor: { new (b: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number }, bytes: Buffer, at: number, n: number): T => {
  const sab = new SharedArrayBuffer(Math.max(1, n) * Ctor.BYTES_PER_ELEMENT);
  new Uint8Array(sab).set(bytes.subarray(at, at + n * Ctor.BYTES_PER_ELEMENT));
  return new Ctor(sab);
};

/** SharedBars of serializeBars' bytes (in shared memory, for a worker pool). */
export function deserializeBars(bytes: Buffer): SharedBars {
  if (bytes.length < MAGIC.length + 8 || !bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw new BarsRefused('not a kobe bars blob');
  if (bytes.readUInt32LE(MAGIC.length) !== FORMAT) throw new BarsRefused(`bars format ${bytes.readUInt32LE(MAGIC.length)} is not ${FORMAT}`);
  const hlen = bytes.readUInt32LE(MAGIC.length + 4);
  let at = MAGIC.length + 8;
  const header = JSON.parse(bytes.subarray(at, at + hlen).toString('utf8')) as { symbols: string[]; bars: number };
  at += hlen;
  const S = header.symbols.length;
  const n = header.bars;
  if (bytes.length !== at + 4 * (S + 1) + 4 * n + 40 * n) throw new BarsRefused('bars blob has the wrong length');
  const offsets = shared(Int32Array, bytes, at, S + 1);
  at += 4 * (S + 1);
  const dates = shared(Int32Array, bytes, at, n);
  at += 4 * n;
  const f = () => {
    const c = shared(Float64Array, bytes, at, n);
    at += 8 * n;
    return c;
  };
  return { symbols: header.symbols, offsets, dates, open: f(), high: f(), low: f(), close: f(), volume: f() };
}

/** sha256 hex of bytes. */
export const sha256 = (bytes: Buffer): string => crypto.createHash('sha256').update(bytes).digest('hex');

/** What publishing the bars cost. */
export interface BarsPublication {
  hash: string;
  bytes: number;
  compressed: number;
  ms: number;
  /** The blob was in Redis already (same bars, an earlier or concurrent run). */
  reused: boolean;
}

/** Store the run's bars under their hash (unless there already), with the TTL backstop. */
export async function publishBars(client: Redis, bars: SharedBars, run: string): Promise<BarsPublication> {
  const t0 = performance.now();
  const raw = serializeBars(bars);
  const parts: Buffer[] = [];
  for (let at = 0; at < raw.length; at += CHUNK) parts.push(raw.subarray(at, at + CHUNK));
  // Compression starts on the thread pool first; the hash is computed meanwhile (a blob already
  // in Redis wastes that work, but a first publication is the case worth making fast).
  const compressing = Promise.all(parts.map((p) => gzip(p, { level: 1 })));
  compressing.catch(() => undefined);
  const hash = sha256(raw);
  const key = barsKey(hash);
  await client.multi().sadd(barsRefsKey(hash), run).expire(barsRefsKey(hash), KEY_TTL_S).exec();
  if ((await client.exists(key)) === 1) {
    await client.expire(key, KEY_TTL_S);
    const lens = await client.eval("local n = 0 for _, f in ipairs(redis.call('HKEYS', KEYS[1])) do n = n + redis.call('HSTRLEN', KEYS[1], f) end return n", 1, key);
    return { hash, bytes: raw.length, compressed: Number(lens), ms: performance.now() - t0, reused: true };
  }
  const gz = await compressing;
  const fields: Record<string, Buffer> = {};
  gz.forEach((g, i) => (fields[String(i)] = g));
  await client.multi().hset(key, fields).expire(key, KEY_TTL_S).exec();
  return { hash, bytes: raw.length, compressed: gz.reduce((n, g) => n + g.length, 0), ms: performance.now() - t0, reused: false };
}

/** Drop `run`'s claim on the bars; the blob goes with the last claim. */
export async function releaseBars(client: Redis, hash: string, run: string): Promise<void> {
  await client.eval(
    "redis.call('SREM', KEYS[2], ARGV[1]) if redis.call('SCARD', KEYS[2]) == 0 then redis.call('DEL', KEYS[1], KEYS[2]) end return 1",
    2,
    barsKey(hash),
    barsRefsKey(hash),
    run,
  );
}

/** A worker's bars: in memory by hash, on disk in `dir`, else fetched from Redis once. */
export class BarsCache {
  private readonly memory = new Map<string, Promise<SharedBars>>();

  constructor(
    private readonly dir: string,
    private readonly client: Redis,
    private readonly keep = 2,
  ) {}

  /** The bars named `hash`, verified; BarsRefused when they cannot be had or do not verify. */
  get(hash: string): Promise<SharedBars> {
    let p = this.memory.get(hash);
    if (!p) {
      p = this.load(hash);
      this.memory.set(hash, p);
      p.catch(() => this.memory.delete(hash));
      while (this.memory.size > this.keep) this.memory.delete(this.memory.keys().next().value!);
    } else {
      // Most recently used last.
      this.memory.delete(hash);
      this.memory.set(hash, p);
    }
    return p;
  }

  private async load(hash: string): Promise<SharedBars> {
    if (!/^[0-9a-f]{64}$/.test(hash)) throw new BarsRefused(`bars hash "${hash.slice(0, 80)}" is not a sha256`);
    const file = path.join(this.dir, `${hash}.bin`);
    try {
      const cached = fs.readFileSync(file);
      if (sha256(cached) === hash) return deserializeBars(cached);
      fs.rmSync(file, { force: true }); // a damaged cache file is refetched, never used
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    let fields: Record<string, Buffer>;
    try {
      fields = await this.client.hgetallBuffer(barsKey(hash));
    } catch (err) {
      if ((err as Error).name === 'ReplyError') throw new BarsRefused(`bars ${hash.slice(0, 12)} in Redis are not a kobe bars blob (${(err as Error).message})`);
      throw err;
    }
    const n = Object.keys(fields).length;
    if (n === 0) throw new BarsRefused(`bars ${hash.slice(0, 12)} are not in Redis (expired, or the run was cleaned up)`);
    let raw: Buffer;
    try {
      const parts = Array.from({ length: n }, (_, i) => fields[String(i)]);
      if (parts.some((p) => !p)) throw new Error('chunks missing');
      raw = Buffer.concat(await Promise.all(parts.map((p) => gunzip(p))));
    } catch (err) {
      throw new BarsRefused(`bars ${hash.slice(0, 12)} in Redis do not decompress (${(err as Error).message})`);
    }
    const got = sha256(raw);
    if (got !== hash) throw new BarsRefused(`bars ${hash.slice(0, 12)} do not verify: their bytes hash to ${got.slice(0, 12)}; refusing the job`);
    const bars = deserializeBars(raw);
    // The disk cache only saves refetches: it is written in the background, and a worker that
    // cannot write it still runs the job.
    void this.store(file, raw).catch(() => undefined);
    return bars;
  }

  private async store(file: string, raw: Buffer): Promise<void> {
    makeDir(this.dir);
    const tmp = `${file}.${process.pid}.tmp`;
    await fs.promises.writeFile(tmp, raw);
    await fs.promises.rename(tmp, file);
    const files = fs
      .readdirSync(this.dir)
      .filter((f) => /^[0-9a-f]{64}\.bin$/.test(f))
      .map((f) => ({ f, t: fs.statSync(path.join(this.dir, f)).mtimeMs }))
      .sort((a, b) => b.t - a.t);
    for (const { f } of files.slice(CACHED_BARS)) fs.rmSync(path.join(this.dir, f), { force: true });
  }
}
