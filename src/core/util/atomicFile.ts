// Atomic, durable file writes shared by every writer (CLI outputs, cache files, the extension's
// manifest edits). A write goes to a temp file beside the target, is fsynced, then moved into place
// in one step: `replace` renames over the target; `create` links the temp file to the target name,
// which fails if the target exists (no check-then-write race), so "don't overwrite" holds even
// between two concurrent runs. The folder is fsynced afterwards so the new name survives a crash.
// Temp files carry the writer's pid; `cleanStaleTemps` removes those of processes that are gone.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  constants,
  fsyncSync,
  linkSync,
  openSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import * as path from 'node:path';
import { testKillPoint } from './testKill';

/** The target exists and the write was asked not to replace it. */
export class FileExistsError extends Error {
  constructor(readonly file: string) {
    super(`${file} exists`);
    this.name = 'FileExistsError';
  }
}

export interface AtomicWriteOptions {
  /** true (default): replace an existing file; false: fail with FileExistsError if it exists. */
  replace?: boolean;
  /** fsync the file and its folder before returning (default true). */
  durable?: boolean;
}

export type Chunk = string | Uint8Array;

const TEMP_RE = /^\.(.+)\.cadc-(\d+)-[0-9a-f]{8}\.tmp$/;

/** A temp file name beside `file`, owned by this process. */
export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.cadc-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
}

/** The pid that wrote a temp file of ours, or undefined when `name` is not one. */
export function tempFileOwner(name: string): number | undefined {
  const m = TEMP_RE.exec(name);
  return m ? Number(m[2]) : undefined;
}

function fsyncDir(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Some platforms (Windows) and file systems cannot open or fsync a folder: best effort.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function toChunks(data: Chunk | Iterable<Chunk>): Iterable<Chunk> {
  return typeof data === 'string' || data instanceof Uint8Array ? [data] : data;
}

/**
 * Writes `data` to `file` atomically (readers see the old file or the whole new one, never part of
 * it). With `replace: false` an existing file is left untouched and FileExistsError is thrown.
 */
export function writeFileAtomic(file: string, data: Chunk | Iterable<Chunk>, opts: AtomicWriteOptions = {}): void {
  const replace = opts.replace ?? true;
  const durable = opts.durable ?? true;
  const tmp = tempPathFor(file);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    for (const c of toChunks(data)) {
      const buf = typeof c === 'string' ? Buffer.from(c, 'utf8') : c;
      let off = 0;
      while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    }
    if (durable) fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  testKillPoint(`write:${path.basename(file)}`);
  try {
    if (replace) renameSync(tmp, file);
    else createFromTemp(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  if (durable) fsyncDir(path.dirname(file));
}

/** Moves tmp to file only if file does not exist: a hard link is atomic and fails on EEXIST. */
function createFromTemp(tmp: string, file: string): void {
  try {
    linkSync(tmp, file);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new FileExistsError(file);
    if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP' && code !== 'ENOSYS') throw e;
    // A file system without hard links: an exclusive copy still never replaces an existing file.
    try {
      copyFileSync(tmp, file, constants.COPYFILE_EXCL);
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') throw new FileExistsError(file);
      throw e2;
    }
  }
  unlinkSync(tmp);
}

/** Whether a process with this pid is running (ours always is). */
export function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes temp files left in `dir` by writers that are no longer running (a crash or kill -9 in
 * the middle of a write). Returns the names removed. Never touches anything that is not ours.
 */
export function cleanStaleTemps(dir: string, opts: { minAgeMs?: number } = {}): string[] {
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return removed;
  }
  const now = Date.now();
  for (const name of names) {
    const pid = tempFileOwner(name);
    if (pid === undefined || alive(pid)) continue;
    const p = path.join(dir, name);
    try {
      if (opts.minAgeMs && now - statSync(p).mtimeMs < opts.minAgeMs) continue;
      rmSync(p, { force: true });
      removed.push(name);
    } catch {
      // Gone already, or not ours to remove.
    }
  }
  return removed;
}
