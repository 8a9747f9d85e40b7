// Where a run's trajectory rows live: per checkpoint, n rows of D entries in the stored precision
// (float16 bit patterns or float32). In memory when the whole block fits `maxResidentBytes`, else in an
// unlinked temporary file laid out checkpoint-major [T, n, D], written row block by row block and read
// back slice by slice with positioned reads (the consumers stream over the samples in blocks, so the
// operating system's page cache, not the process, holds the block). Shared by the proxy's trajectories
// and the import of a gradient job's.
import { closeSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';

export type StoredRows = Float32Array | Uint16Array;
export type Storage = 'float32' | 'float16';

/**
 * Blocks of trajectory rows above this many bytes are kept on disk (about 256 K samples at the
 * defaults: 4 checkpoints × 128 float16 entries). Below it they stay in memory, where a read is a view.
 */
export const DEFAULT_MAX_RESIDENT_BYTES = 256 << 20;

export interface RowStoreOptions {
  /** Keep the block in memory up to this many bytes, else on disk. Default DEFAULT_MAX_RESIDENT_BYTES. */
  maxResidentBytes?: number;
  /** Folder for the temporary file (default: the OS's temporary folder). */
  spillDir?: string;
}

export interface RowStore {
  readonly residence: 'memory' | 'disk';
  readonly storage: Storage;
  /** Stores rows of checkpoint t for samples [start, start + rows.length / D). */
  write(t: number, start: number, rows: StoredRows): void;
  /** Rows of checkpoint t for samples [start, end), row-major [end-start, D]: a view (memory) or a scratch buffer valid until the next read (disk). */
  read(t: number, start: number, end: number): StoredRows;
  /** The whole per-checkpoint arrays, when the block is held in memory. */
  readonly arrays?: StoredRows[];
  close(): void;
}

const bytesOf = (storage: Storage) => (storage === 'float16' ? 2 : 4);
const make = (storage: Storage, len: number): StoredRows => (storage === 'float16' ? new Uint16Array(len) : new Float32Array(len));

/** A store for n × T × D entries: in memory when they fit `maxResidentBytes`, else in a temporary file. */
export function openRowStore(n: number, T: number, D: number, storage: Storage, opts: RowStoreOptions = {}): RowStore {
  const block = n * T * D * bytesOf(storage);
  return block <= (opts.maxResidentBytes ?? DEFAULT_MAX_RESIDENT_BYTES)
    ? new MemoryRowStore(
        storage,
        D,
        Array.from({ length: T }, () => make(storage, n * D)),
      )
    : new DiskRowStore(storage, n, D, opts.spillDir ?? tmpdir());
}

/** A store over arrays already in memory (one [n·D] array per checkpoint). */
export class MemoryRowStore implements RowStore {
  readonly residence = 'memory';
  constructor(
    readonly storage: Storage,
    private readonly D: number,
    readonly arrays: StoredRows[],
  ) {}
  write(t: number, start: number, rows: StoredRows): void {
    this.arrays[t].set(rows, start * this.D);
  }
  read(t: number, start: number, end: number): StoredRows {
    return this.arrays[t].subarray(start * this.D, end * this.D);
  }
  close(): void {}
}

/** Checkpoint-major [T, n, D] in a temporary file, unlinked as soon as it is open (nothing is left behind). */
export class DiskRowStore implements RowStore {
  readonly residence = 'disk';
  readonly fd: number;
  private readonly bytes: number;
  private scratch: StoredRows;
  constructor(
    readonly storage: Storage,
    private readonly n: number,
    private readonly D: number,
    dir: string,
  ) {
    this.bytes = bytesOf(storage);
    this.scratch = make(storage, 0);
    const file = path.join(dir, `cadc-trajectories-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}.bin`);
    this.fd = openSync(file, 'wx+', 0o600);
    try {
      unlinkSync(file);
    } catch {
      if (!unlinkAtExit.size) process.once('exit', removeLeftovers);
      unlinkAtExit.add(file);
    }
    closeWhenCollected.register(this, this.fd, this);
  }
  private at(t: number, start: number): number {
    return (t * this.n + start) * this.D * this.bytes;
  }
  write(t: number, start: number, rows: StoredRows): void {
    this.writeBytes(t, start * this.D * this.bytes, new Uint8Array(rows.buffer, rows.byteOffset, rows.byteLength));
  }
  /** Raw bytes of checkpoint t at byte `at` of its [n, D] block (a cache entry streamed in). */
  writeBytes(t: number, at: number, view: Uint8Array): void {
    let done = 0;
    while (done < view.length) done += writeSync(this.fd, view, done, view.length - done, this.at(t, 0) + at + done);
  }
  read(t: number, start: number, end: number): StoredRows {
    const len = (end - start) * this.D;
    if (this.scratch.length < len) this.scratch = make(this.storage, len);
    const out = this.scratch.subarray(0, len);
    const view = new Uint8Array(out.buffer, 0, len * this.bytes);
    let got = 0;
    while (got < view.length) {
      const r = readSync(this.fd, view, got, view.length - got, this.at(t, start) + got);
      if (r === 0) throw new Error('the temporary trajectory file ended early');
      got += r;
    }
    return out;
  }
  close(): void {
    closeWhenCollected.unregister(this);
    try {
      closeSync(this.fd);
    } catch {
      // Already closed.
    }
  }
}

/** The temporary file's descriptor is closed when its store is no longer reachable. */
const closeWhenCollected = new FinalizationRegistry<number>((fd) => {
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
});

/** Where a temporary file cannot be unlinked while open (some Windows file systems): removed at exit. */
const unlinkAtExit = new Set<string>();
function removeLeftovers(): void {
  for (const f of unlinkAtExit) {
    try {
      unlinkSync(f);
    } catch {
      // Gone already.
    }
  }
}
