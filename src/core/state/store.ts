// Schema-validated JSON state files: read validates, write validates first and then replaces the
// file atomically under its lock; update is read-modify-write under one lock.
import fs from 'node:fs';
import path from 'node:path';
import type { z } from 'zod';
import { StateError, errnoCode, errorText } from '../errors.js';
import type { KobePaths } from '../paths.js';
import { atomicWrite } from './atomic.js';
import { withLock } from './lock.js';
import { STATE_FILES, type StateFileDef } from './schemas.js';

/** One problem found by `state check`. */
export interface StateProblem {
  file: string;
  field: string;
  problem: string;
}

function firstIssue(err: z.ZodError): { field: string; problem: string } {
  const i = err.issues[0];
  let field = i.path.map(String).join('.');
  let problem = i.message;
  if (i.code === 'unrecognized_keys') {
    field = field ? `${field}.${i.keys[0]}` : i.keys[0];
    problem = 'unknown field';
  }
  return { field: field || '(root)', problem };
}

// A replay in a scratch home keeps its state files in memory (validated on every write as ever) and
// writes them when it ends or a snapshot is taken: nobody else reads a scratch home, and an
// interrupted replay there is thrown away with it. Shared by every store of the process.
const memory = { on: false, files: new Map<string, unknown>(), dirty: new Set<string>() };

/** From now on state files live in memory until flushStateFiles() (scratch-home replays only). */
export function keepStateInMemory(): void {
  memory.on = true;
}

/** Write the state files kept in memory (a no-op unless keepStateInMemory was called). */
export function flushStateFiles(): void {
  for (const file of memory.dirty) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(memory.files.get(file), null, 2)}\n`);
  }
  memory.dirty.clear();
}

/** Validated access to the JSON files under state/. */
export class StateStore {
  // Parsed files keyed by (inode, size, mtime): every write replaces the file (new inode), so a
  // stat decides whether the cached, validated value is still the file's content.
  private readonly cache = new Map<string, { key: string; value: unknown }>();

  constructor(private readonly paths: KobePaths) {}

  /** Absolute path of a state file. */
  file(def: StateFileDef<unknown>): string {
    return this.paths.state(def.name);
  }

  private rel(file: string): string {
    return path.relative(this.paths.home, file) || file;
  }

  /** Parse and validate text of a state file; throws StateError naming file and field. */
  parse<T, I>(def: StateFileDef<T, I>, text: string, file = this.file(def)): T {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      const truncated = text.trim() === '' ? 'empty file' : `not valid JSON (${errorText(err)})`;
      throw new StateError(this.rel(file), '', truncated);
    }
    const r = def.schema.safeParse(raw);
    if (!r.success) {
      const { field, problem } = firstIssue(r.error);
      throw new StateError(this.rel(file), field, problem);
    }
    return r.data;
  }

  /** Read a state file; a missing file is its initial value, anything unreadable is an error. */
  read<T, I>(def: StateFileDef<T, I>): T {
    const file = this.file(def);
    if (memory.on && memory.files.has(file)) return structuredClone(memory.files.get(file)) as T;
    let key: string;
    try {
      const st = fs.statSync(file, { bigint: true });
      key = `${st.ino}:${st.size}:${st.mtimeNs}`;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return def.initial();
      throw new StateError(this.rel(file), '', `cannot read (${errnoCode(err) ?? errorText(err)})`);
    }
    const hit = this.cache.get(file);
    if (hit && hit.key === key) return structuredClone(hit.value) as T;
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return def.initial();
      throw new StateError(this.rel(file), '', `cannot read (${errnoCode(err) ?? errorText(err)})`);
    }
    const value = this.parse(def, text, file);
    this.cache.set(file, { key, value: structuredClone(value) });
    return value;
  }

  /**
   * The cached validated value itself, without the copy `read` makes: for read-only scans on hot
   * paths (the OMS reads the order store many times per order). Never mutate what it returns.
   */
  peek<T, I>(def: StateFileDef<T, I>): Readonly<T> {
    const file = this.file(def);
    if (memory.on && memory.files.has(file)) return memory.files.get(file) as T;
    const hit = this.cache.get(file);
    if (hit) {
      try {
        const st = fs.statSync(file, { bigint: true });
        if (hit.key === `${st.ino}:${st.size}:${st.mtimeNs}`) return hit.value as T;
      } catch {
        /* gone or unreadable: read() says which */
      }
    }
    this.read(def);
    return (this.cache.get(file)?.value as T | undefined) ?? def.initial();
  }

  /** True when the file exists. */
  exists(def: StateFileDef<unknown>): boolean {
    const file = this.file(def);
    return (memory.on && memory.files.has(file)) || fs.existsSync(file);
  }

  private async writeValidated<T, I>(def: StateFileDef<T, I>, value: T | I): Promise<T> {
    const r = def.schema.safeParse(value);
    if (!r.success) {
      const { field, problem } = firstIssue(r.error);
      throw new StateError(this.rel(this.file(def)), field, `refusing to write an invalid value: ${problem}`);
    }
    const file = this.file(def);
    if (memory.on) {
      memory.files.set(file, structuredClone(r.data));
      memory.dirty.add(file);
      return r.data;
    }
    await atomicWrite(file, `${JSON.stringify(r.data, null, 2)}\n`);
    // What was just written and validated is the cache: the next read needs no parse.
    try {
      const st = fs.statSync(file, { bigint: true });
      this.cache.set(file, { key: `${st.ino}:${st.size}:${st.mtimeNs}`, value: structuredClone(r.data) });
    } catch {
      this.cache.delete(file);
    }
    return r.data;
  }

  /** Replace a state file with a validated value (refuses to replace a corrupt file). */
  async write<T, I>(def: StateFileDef<T, I>, value: T | I): Promise<void> {
    await withLock(this.file(def), async () => {
      this.read(def);
      await this.writeValidated(def, value);
    });
  }

  /** Read-modify-write under the file's lock; returns the new value. */
  async update<T, I>(def: StateFileDef<T, I>, fn: (current: T) => T | I | Promise<T | I>): Promise<T> {
    return withLock(this.file(def), async () => this.writeValidated(def, await fn(this.read(def))));
  }

  /** Validate every known state file; returns the problems (empty when all are fine). */
  check(): StateProblem[] {
    const problems: StateProblem[] = [];
    for (const def of STATE_FILES) {
      try {
        this.read(def);
      } catch (err) {
        if (err instanceof StateError) problems.push({ file: err.file, field: err.field, problem: String(err.details?.problem ?? err.message) });
        else throw err;
      }
    }
    return problems;
  }
}
