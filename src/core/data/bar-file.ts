// The bar file format (docs/bar-store.md): one symbol per file, a 64-byte header, then columns.
//   0  magic "KOBEBAR1"           8  u16 version (1)       10 u8 source       11 u8 reserved
//   12 u32 count                  16 i32 first day          20 i32 last day
//   24 u32 crc32 of the columns   28 u8 symbol length       29..63 symbol (ASCII)
//   64 dates: count x i32 (days since 1970-01-01 UTC), padded to a multiple of 8 bytes
//   then open, high, low, close, volume: count x f64 each (little-endian)
// Columns are loaded as typed-array views over one buffer, without copying or parsing.
import fs from 'node:fs';
import zlib from 'node:zlib';
import type { BarSeries } from '../strategy/bars.js';

export const MAGIC = 'KOBEBAR1';
export const HEADER = 64;
// Append only: a file stores its source as the index into this list.
export const SOURCES = ['synthetic', 'polygon', 'import', 'alpaca'] as const;
export type BarSource = (typeof SOURCES)[number];

/** Byte size of a bar file holding `n` bars. */
export function barFileSize(n: number): number {
  return HEADER + Math.ceil((n * 4) / 8) * 8 + n * 8 * 5;
}

/** A damaged or foreign bar file. */
export class BarFileError extends Error {}

function crc(buf: Uint8Array): number {
  return zlib.crc32(buf) >>> 0;
}

/** Encode a series as a bar file. */
export function encodeBars(s: BarSeries, source: BarSource): Buffer {
  const n = s.length;
  const ab = new ArrayBuffer(barFileSize(n));
  const buf = Buffer.from(ab);
  const dv = new DataView(ab);
  buf.write(MAGIC, 0, 'latin1');
  dv.setUint16(8, 1, true);
  dv.setUint8(10, SOURCES.indexOf(source));
  dv.setUint32(12, n, true);
  dv.setInt32(16, n ? s.dates[0] : 0, true);
  dv.setInt32(20, n ? s.dates[n - 1] : 0, true);
  if (s.symbol.length > 35 || !/^[\x20-\x7e]+$/.test(s.symbol)) throw new BarFileError(`symbol "${s.symbol}" cannot be stored`);
  dv.setUint8(28, s.symbol.length);
  buf.write(s.symbol, 29, 'latin1');
  new Int32Array(ab, HEADER, n).set(s.dates.subarray(0, n));
  let off = HEADER + Math.ceil((n * 4) / 8) * 8;
  for (const col of [s.open, s.high, s.low, s.close, s.volume]) {
    new Float64Array(ab, off, n).set(col.subarray(0, n));
    off += n * 8;
  }
  dv.setUint32(24, crc(new Uint8Array(ab, HEADER)), true);
  return buf;
}

/** Decode a bar file; `verifyCrc` also checks the column checksum (slower: `data verify` does). */
export function decodeBars(ab: ArrayBuffer, file: string, verifyCrc = false): { series: BarSeries; source: BarSource } {
  const bytes = new Uint8Array(ab);
  if (ab.byteLength < HEADER || Buffer.from(ab, 0, 8).toString('latin1') !== MAGIC) throw new BarFileError(`${file}: not a kobe bar file (bad magic)`);
  const dv = new DataView(ab);
  const version = dv.getUint16(8, true);
  if (version !== 1) throw new BarFileError(`${file}: unsupported bar file version ${version}`);
  const srcCode = dv.getUint8(10);
  if (srcCode >= SOURCES.length) throw new BarFileError(`${file}: unknown source code ${srcCode}`);
  const n = dv.getUint32(12, true);
  if (ab.byteLength !== barFileSize(n)) throw new BarFileError(`${file}: truncated or padded: ${ab.byteLength} bytes, expected ${barFileSize(n)} for ${n} bars`);
  if (verifyCrc && crc(bytes.subarray(HEADER)) !== dv.getUint32(24, true)) throw new BarFileError(`${file}: checksum mismatch (the columns were changed or damaged)`);
  const symbol = Buffer.from(ab, 29, dv.getUint8(28)).toString('latin1');
  let off = HEADER + Math.ceil((n * 4) / 8) * 8;
  const col = () => {
    const a = new Float64Array(ab, off, n);
    off += n * 8;
    return a;
  };
  const dates = new Int32Array(ab, HEADER, n);
  const series: BarSeries = { symbol, dates, open: col(), high: col(), low: col(), close: col(), volume: col(), length: n };
  if (n > 0 && (dates[0] !== dv.getInt32(16, true) || dates[n - 1] !== dv.getInt32(20, true))) throw new BarFileError(`${file}: header dates do not match the date column`);
  return { series, source: SOURCES[srcCode] };
}

/** Read a whole file into a fresh (8-byte aligned) ArrayBuffer. */
export function readAligned(file: string): ArrayBuffer {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    // allocUnsafeSlow: its own ArrayBuffer (offset 0, so 8-byte aligned) and no zero-filling,
    // which would cost as much as the read itself.
    const view = Buffer.allocUnsafeSlow(size);
    const ab = view.buffer as ArrayBuffer;
    let got = 0;
    while (got < size) {
      const n = fs.readSync(fd, view, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    if (got !== size) throw new BarFileError(`${file}: short read (${got} of ${size} bytes)`);
    return ab;
  } finally {
    fs.closeSync(fd);
  }
}
