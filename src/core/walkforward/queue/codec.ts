// Job results cross the queue as text. Plain JSON would lose what the worker-thread pool's
// structured clone keeps (typed arrays, NaN, Infinity, -0, undefined fields), and the queue's
// summary must be byte-identical to the pool's, so those values travel tagged: typed arrays as
// their little-endian bytes in base64, the special numbers by name.
import os from 'node:os';

const ARRAYS = { Int32Array, Float64Array, Uint8Array, Int8Array, Uint16Array, Int16Array, Uint32Array, Float32Array } as const;
type ArrayName = keyof typeof ARRAYS;
const SPECIAL: Record<string, number> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity, '-0': -0 };

if (os.endianness() !== 'LE') throw new Error('the walk-forward queue codec needs a little-endian machine');

function replacer(this: unknown, _key: string, v: unknown): unknown {
  if (v === undefined) return { $u: 1 };
  if (typeof v === 'number') {
    if (Number.isFinite(v) && !Object.is(v, -0)) return v;
    return { $n: Object.is(v, -0) ? '-0' : String(v) };
  }
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
    const name = v.constructor.name as ArrayName;
    if (!(name in ARRAYS)) throw new TypeError(`cannot encode a ${name}`);
    return { $a: name, b: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  }
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && Object.keys(v).some((k) => k.startsWith('$'))) {
    throw new TypeError('cannot encode an object with a key starting with $');
  }
  return v;
}

function revive(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(revive);
  if (v === null || typeof v !== 'object') return v;
  const o = v as Record<string, unknown>;
  if ('$u' in o) return undefined;
  if ('$n' in o) return SPECIAL[String(o.$n)];
  if ('$a' in o) {
    const bytes = Buffer.from(String(o.b), 'base64');
    const copy = new ArrayBuffer(bytes.length);
    new Uint8Array(copy).set(bytes);
    return new ARRAYS[o.$a as ArrayName](copy);
  }
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(o)) out[k] = revive(x);
  return out;
}

/** Text of a value; decodeValue gives back what a structured clone would. */
export function encodeValue(v: unknown): string {
  return JSON.stringify(v, replacer);
}

/** The value of encodeValue's text. */
export function decodeValue(text: string): unknown {
  return revive(JSON.parse(text));
}
