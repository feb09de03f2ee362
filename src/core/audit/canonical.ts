// Canonical JSON of the audit chain (SPEC section 9), byte-compatible with Python's
// json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True): keys sorted by code
// point, no whitespace, everything outside printable ASCII escaped as \uXXXX, and number literals
// kept exactly as written (a parsed "1.0" stays "1.0"), so chains written by the Python system verify.

/** A JSON number kept as its literal text. */
export class RawNumber {
  constructor(readonly raw: string) {}
  toJSON(): number {
    return Number(this.raw);
  }
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** A string as Python's ensure_ascii encoder writes it. */
export function canonicalString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue;
    out += s.slice(start, i);
    const ch = s[i];
    out += SHORT_ESCAPES[ch] ?? `\\u${c.toString(16).padStart(4, '0')}`;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/** A JS number as Python's float repr (or int) would write it. */
export function canonicalNumber(n: number): string {
  if (!Number.isFinite(n)) throw new TypeError(`canonical JSON cannot hold ${n}`);
  if (Number.isSafeInteger(n)) return Object.is(n, -0) ? '-0.0' : String(n);
  const [mant, expText] = n.toExponential().split('e');
  const exp = Number(expText);
  if (exp < -4 || exp >= 16) {
    const m = mant.includes('.') ? mant : `${mant}`;
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const s = String(n);
  return s.includes('.') || s.includes('e') ? s : `${s}.0`;
}

function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const x = ia.next();
    const y = ib.next();
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1;
    const d = x.value.codePointAt(0)! - y.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  for (const k of keys) {
    for (let i = 0; i < k.length; i++) {
      if (k.charCodeAt(i) >= 0xd800) return keys.sort(compareCodePoints);
    }
  }
  return keys.sort();
}

/** Canonical JSON text of a value (plain data, RawNumber for kept literals). */
export function canonicalJson(v: unknown): string {
  if (v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return canonicalString(v);
    case 'number':
      return canonicalNumber(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object': {
      if (v instanceof RawNumber) return v.raw;
      if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
      const o = v as Record<string, unknown>;
      const parts: string[] = [];
      for (const k of sortedKeys(o)) {
        if (o[k] === undefined) continue;
        parts.push(`${canonicalString(k)}:${canonicalJson(o[k])}`);
      }
      return `{${parts.join(',')}}`;
    }
    default:
      throw new TypeError(`canonical JSON cannot hold a ${typeof v}`);
  }
}

/** Parse JSON keeping number literals as RawNumber. Throws SyntaxError with the offset. */
export function parseLossless(text: string): unknown {
  let i = 0;
  const fail = (what: string): never => {
    throw new SyntaxError(`${what} at offset ${i}`);
  };
  const ws = () => {
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
  };
  const str = (): string => {
    i++;
    let out = '';
    let start = i;
    for (;;) {
      if (i >= text.length) fail('unterminated string');
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        out += text.slice(start, i++);
        return out;
      }
      if (c < 0x20) fail('control character in string');
      if (c !== 0x5c) {
        i++;
        continue;
      }
      out += text.slice(start, i);
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e in simple) {
        out += simple[e];
        i += 2;
      } else if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('bad \\u escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        i += 6;
      } else fail('bad escape');
      start = i;
    }
  };
  const num = (): RawNumber => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i, i + 400));
    if (!m || m[0] === '' || m[0] === '-') fail('bad number');
    i += m![0].length;
    return new RawNumber(m![0]);
  };
  const value = (): unknown => {
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const o: Record<string, unknown> = {};
      ws();
      if (text[i] === '}') {
        i++;
        return o;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') fail('expected key');
        const k = str();
        ws();
        if (text[i++] !== ':') fail('expected ":"');
        Object.defineProperty(o, k, { value: value(), enumerable: true, writable: true, configurable: true });
        ws();
        const d = text[i++];
        if (d === '}') return o;
        if (d !== ',') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      i++;
      const a: unknown[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return a;
      }
      for (;;) {
        a.push(value());
        ws();
        const d = text[i++];
        if (d === ']') return a;
        if (d !== ',') fail('expected "," or "]"');
      }
    }
    if (c === '"') return str();
    if (text.startsWith('true', i)) return (i += 4), true;
    if (text.startsWith('false', i)) return (i += 5), false;
    if (text.startsWith('null', i)) return (i += 4), null;
    return num();
  };
  const v = value();
  ws();
  if (i !== text.length) fail('trailing characters');
  return v;
}
