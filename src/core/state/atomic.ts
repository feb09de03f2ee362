import fs from 'node:fs';
import path from 'node:path';
import writeFileAtomic from 'write-file-atomic';

/** fsync a directory so a rename or create inside it survives a power cut. */
export function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* some filesystems refuse fsync on directories; the rename is still atomic */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** Replace `file` with `data` atomically: temp file, fsync, rename, fsync of the directory. */
export async function atomicWrite(file: string, data: string | Buffer, mode?: number): Promise<void> {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, data, { fsync: true, ...(mode === undefined ? {} : { mode }) });
  fsyncDir(path.dirname(file));
}

/** Append one line to a journal file and fsync it (callers hold the file's lock). */
export function appendLineSync(file: string, line: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, 'a');
  try {
    fs.writeSync(fd, line.endsWith('\n') ? line : `${line}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
