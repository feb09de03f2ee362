// The local bar store (data/cache/): one bar file per symbol plus index.json, which names each
// symbol's current file. A write puts the bars in a new file, then switches the index to it, then
// removes the old file: a crash at any point leaves each symbol old or new, never its index entry
// and its file disagreeing. A load checks the file against its index entry and fails loudly if they
// still disagree (a store written by an older kobe, or edited by hand).
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { StateError, UsageError, errnoCode, errorText } from '../errors.js';
import { atomicWrite, atomicWriteFile, fsyncDir } from '../state/atomic.js';
import { withLock } from '../state/lock.js';
import { isoDay, type BarSeries } from '../strategy/bars.js';
import { BarFileError, SOURCES, decodeBars, encodeBars, readAligned, type BarSource } from './bar-file.js';
import { normaliseSymbol } from './universe.js';
import { makeDir } from '../util/files.js';

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);
const EntrySchema = z.strictObject({
  symbol: z.string().min(1),
  file: z.string().min(1),
  bars: z.number().int().min(0),
  first: day.nullable(),
  last: day.nullable(),
  source: z.enum(SOURCES),
  updated_at: z.string(),
  splits: z.array(z.strictObject({ date: day, ratio: z.number().positive() })).default([]),
  /** Requested range of the last fetch, for resumable prefetch. */
  fetched: z.strictObject({ start: day, end: day }).nullable().default(null),
});
const IndexSchema = z.strictObject({ version: z.literal(1), symbols: z.record(z.string(), EntrySchema) });

/** One symbol in the store's index. */
export type BarIndexEntry = z.infer<typeof EntrySchema>;
export type BarIndex = z.infer<typeof IndexSchema>;

/** What a write records besides the bars. */
export interface BarWriteMeta {
  source: BarSource;
  splits?: Array<{ date: string; ratio: number }>;
  fetched?: { start: string; end: string } | null;
}

/** A symbol that could not be loaded. */
export interface LoadProblem {
  symbol: string;
  problem: string;
}

/** Identity of a file's current content for caches: inode, size and mtime ('absent' when missing). */
export function fileSignature(file: string): string {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return 'absent';
  }
}

/** File-backed bar store under `dir` (data/cache). */
export class BarStore {
  readonly indexFile: string;
  constructor(
    readonly dir: string,
    private readonly now: () => Date,
    private readonly home?: string,
  ) {
    this.indexFile = path.join(dir, 'index.json');
  }

  private rel(p: string): string {
    return this.home ? path.relative(this.home, p) : p;
  }

  /** The index; empty when the store has none yet. */
  index(): BarIndex {
    return this.readIndexFile();
  }

  /** index.json as it is on disk (views such as the completed-bars store override index(), not this). */
  private readIndexFile(): BarIndex {
    let text: string;
    try {
      text = fs.readFileSync(this.indexFile, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return { version: 1, symbols: {} };
      throw new StateError(this.rel(this.indexFile), '', `cannot read (${errorText(err)})`);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new StateError(this.rel(this.indexFile), '', `not valid JSON (${errorText(err)})`, { hint: 'the bar files are intact: `kobe data reindex` rebuilds the index from them (the damaged one is kept aside)' });
    }
    const r = IndexSchema.safeParse(raw);
    if (!r.success) throw new StateError(this.rel(this.indexFile), r.error.issues[0].path.join('.'), r.error.issues[0].message);
    return r.data;
  }

  /** Index entries sorted by symbol. */
  list(): BarIndexEntry[] {
    return Object.values(this.index().symbols).sort((a, b) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
  }

  /** Path of a symbol's current bar file: the one the index names (else the plain name of older stores). */
  fileOf(symbol: string): string {
    const entry = this.currentIndex().symbols[normaliseSymbol(symbol)];
    return path.join(this.dir, entry ? entry.file : `${normaliseSymbol(symbol)}.kbar`);
  }

  private cached: { sig: string; idx: BarIndex } | null = null;

  /** The index, parsed again only when the file changed (one stat per call). */
  private currentIndex(): BarIndex {
    const sig = fileSignature(this.indexFile);
    if (this.cached?.sig !== sig) this.cached = { sig, idx: this.readIndexFile() };
    return this.cached.idx;
  }

  /** Load one symbol; a damaged file, or one its index entry disagrees with, is a StateError naming it (exit 3). */
  load(symbol: string, opts: { verifyCrc?: boolean } = {}): BarSeries {
    const entry = this.currentIndex().symbols[normaliseSymbol(symbol)];
    const file = this.fileOf(symbol);
    let ab: ArrayBuffer;
    try {
      ab = readAligned(file);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') throw new UsageError(`no bars for ${symbol} in ${this.rel(this.dir)}`, { hint: 'see `kobe data list`; fetch it with `kobe data prefetch --symbols ' + symbol + '` or `kobe data seed`' });
      throw new StateError(this.rel(file), '', errorText(err));
    }
    try {
      const series = decodeBars(ab, this.rel(file), opts.verifyCrc).series;
      const last = series.length ? isoDay(series.dates[series.length - 1]) : null;
      if (entry && (entry.bars !== series.length || entry.last !== last)) {
        throw new StateError(this.rel(file), 'bars', `holds ${series.length} bars to ${last}, the index says ${entry.bars} to ${entry.last}: file and index disagree`, { hint: '`kobe data reindex` rebuilds the index from the files; then `kobe data verify`' });
      }
      return series;
    } catch (err) {
      if (err instanceof BarFileError) throw new StateError(this.rel(file), '', err.message.replace(`${this.rel(file)}: `, ''), { hint: `re-fetch or re-import ${symbol}; the damaged file was left as it is` });
      throw err;
    }
  }

  /** Load many symbols; missing or damaged ones are returned as problems, never skipped silently. */
  loadMany(symbols: readonly string[]): { series: BarSeries[]; problems: LoadProblem[] } {
    const series: BarSeries[] = [];
    const problems: LoadProblem[] = [];
    for (const s of symbols) {
      try {
        series.push(this.load(s));
      } catch (err) {
        problems.push({ symbol: s, problem: errorText(err) });
      }
    }
    return { series, problems };
  }

  /** Write many symbols: each file atomically, then one index update under the index lock. */
  /** Rebuild index.json from the bar files' headers; the old index (if any) is kept aside. */
  async rebuildIndex(): Promise<{ symbols: number; skipped: LoadProblem[]; kept_aside: string | null }> {
    const skipped: LoadProblem[] = [];
    const symbols: BarIndex['symbols'] = {};
    const at = this.now().toISOString();
    // Several files of one symbol: an interrupted write left its new file unnamed; the newest wins.
    const files = fs.existsSync(this.dir) ? fs.readdirSync(this.dir).filter((n) => n.endsWith('.kbar')) : [];
    const mtime = (f: string) => fs.statSync(path.join(this.dir, f)).mtimeMs;
    files.sort((a, b) => mtime(a) - mtime(b) || (a < b ? -1 : 1));
    for (const f of files) {
      try {
        const { series, source } = decodeBars(readAligned(path.join(this.dir, f)), f, true);
        const n = series.length;
        // Splits and fetched ranges live only in the index: they are lost with it (prefetch re-fetches).
        symbols[series.symbol] = { symbol: series.symbol, file: f, bars: n, first: n ? isoDay(series.dates[0]) : null, last: n ? isoDay(series.dates[n - 1]) : null, source, updated_at: at, splits: [], fetched: null };
      } catch (err) {
        skipped.push({ symbol: f.replace(/\.kbar$/, ''), problem: errorText(err) });
      }
    }
    return withLock(this.indexFile, async () => {
      let aside: string | null = null;
      if (fs.existsSync(this.indexFile)) {
        aside = `${this.indexFile}.bak-${at.replace(/[:.]/g, '-')}`;
        fs.renameSync(this.indexFile, aside);
      }
      await atomicWrite(this.indexFile, `${JSON.stringify({ version: 1, symbols })}\n`);
      return { symbols: Object.keys(symbols).length, skipped, kept_aside: aside };
    });
  }

  async writeMany(items: Array<{ series: BarSeries; meta: BarWriteMeta }>): Promise<void> {
    makeDir(this.dir);
    // Eight writes in flight, each file atomic (temp, fsync, rename), then one fsync of the
    // directory before the index names them: the fsyncs overlap (several times faster for 500
    // symbols than one after another) and the index still never points at a rename not on disk.
    // Each file is named by its content: the file the index names now is never touched until the
    // index has moved on to the new one (and the same bars always get the same name).
    const names = new Map<string, string>();
    let next = 0;
    const worker = async () => {
      while (next < items.length) {
        const { series, meta } = items[next++];
        const bytes = encodeBars(series, meta.source);
        const name = `${normaliseSymbol(series.symbol)}.${createHash('sha256').update(bytes).digest('hex').slice(0, 12)}.kbar`;
        names.set(normaliseSymbol(series.symbol), name);
        await atomicWriteFile(path.join(this.dir, name), bytes);
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, items.length) }, worker));
    fsyncDir(this.dir);
    const old: string[] = [];
    await withLock(this.indexFile, async () => {
      const idx = this.index();
      const at = this.now().toISOString();
      for (const { series, meta } of items) {
        const sym = normaliseSymbol(series.symbol);
        const before = idx.symbols[sym]?.file;
        if (before && before !== names.get(sym)) old.push(before);
        idx.symbols[sym] = {
          symbol: sym,
          file: names.get(sym)!,
          bars: series.length,
          first: series.length ? isoDay(series.dates[0]) : null,
          last: series.length ? isoDay(series.dates[series.length - 1]) : null,
          source: meta.source,
          updated_at: at,
          splits: meta.splits ?? [],
          fetched: meta.fetched ?? null,
        };
      }
      await atomicWrite(this.indexFile, `${JSON.stringify(idx)}\n`);
    });
    for (const f of old) fs.rmSync(path.join(this.dir, f), { force: true });
  }

  /** Write one symbol. */
  async write(series: BarSeries, meta: BarWriteMeta): Promise<void> {
    await this.writeMany([{ series, meta }]);
  }
}
