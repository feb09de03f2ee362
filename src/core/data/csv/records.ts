// RFC 4180 records with the line number each starts on. A record is handed out as field offsets
// into the text, so numbers are parsed in place without a substring per field; lines without a
// quote take that fast path, quoted fields (commas, doubled quotes, line breaks) a slower one.

/** One record: field k is `src.slice(starts[k], ends[k])`. Reused between calls: do not keep it. */
export class CsvRecord {
  src = '';
  starts = new Int32Array(32);
  ends = new Int32Array(32);
  count = 0;

  /** Field k as a string. */
  field(k: number): string {
    return this.src.slice(this.starts[k], this.ends[k]);
  }

  /** Every field as strings. */
  fields(): string[] {
    return Array.from({ length: this.count }, (_, k) => this.field(k));
  }

  /** Append a field [a, b) of src. */
  push(a: number, b: number): void {
    if (this.count === this.starts.length) {
      const grow = (x: Int32Array) => {
        const y = new Int32Array(x.length * 2);
        y.set(x);
        return y;
      };
      this.starts = grow(this.starts);
      this.ends = grow(this.ends);
    }
    this.starts[this.count] = a;
    this.ends[this.count++] = b;
  }
}

/** Calls `fn(record, line)` for each non-blank record of `text` (a leading BOM and \r\n handled). */
export function forEachRecord(text: string, fn: (rec: CsvRecord, line: number) => void): void {
  const rec = new CsvRecord();
  let p = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  const n = text.length;
  let line = 1;
  let quote = -1; // next quote at or after p (n when none): searched again only once passed
  while (p < n) {
    if (quote < p) {
      quote = text.indexOf('"', p);
      if (quote < 0) quote = n;
    }
    let end = text.indexOf('\n', p);
    if (end < 0) end = n;
    const stop = end > p && text.charCodeAt(end - 1) === 13 ? end - 1 : end;
    const startLine = line;
    if (quote >= stop) {
      if (stop > p) {
        rec.src = text;
        rec.count = 0;
        for (let a = p; ; ) {
          const c = text.indexOf(',', a);
          if (c < 0 || c >= stop) {
            rec.push(a, stop);
            break;
          }
          rec.push(a, c);
          a = c + 1;
        }
        fn(rec, startLine);
      }
      p = end + 1;
      line++;
      continue;
    }
    const r = quotedRecord(text, p);
    line += r.lines;
    p = r.next;
    if (r.fields.length > 1 || r.fields[0] !== '') {
      rec.src = r.fields.join('');
      rec.count = 0;
      let at = 0;
      for (const f of r.fields) rec.push(at, (at += f.length));
      fn(rec, startLine);
    }
  }
}

/** One record starting at `p` that contains quotes; `lines` is how many lines it spans. */
function quotedRecord(text: string, p: number): { fields: string[]; next: number; lines: number } {
  const fields: string[] = [];
  const n = text.length;
  let lines = 1;
  let field = '';
  let i = p;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      // quoted field: up to the closing quote; "" is a literal quote
      i++;
      for (;;) {
        const q = text.indexOf('"', i);
        if (q < 0) {
          field += text.slice(i);
          i = n;
          break;
        }
        const chunk = text.slice(i, q);
        for (let k = chunk.indexOf('\n'); k >= 0; k = chunk.indexOf('\n', k + 1)) lines++;
        field += chunk;
        if (text.charCodeAt(q + 1) === 34) {
          field += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    // unquoted part (or text after a closing quote) up to the next comma or line end
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 44 || c === 10 || c === 13) break;
      field += text[i];
      i++;
    }
    fields.push(field);
    field = '';
    const c = text.charCodeAt(i);
    if (c === 44) {
      i++;
      continue;
    }
    if (c === 13) i++;
    if (text.charCodeAt(i) === 10) i++;
    return { fields, next: i, lines };
  }
}
