// Chunked typed-array files: named typed arrays in one raw little-endian binary file (base.bin) with
// a JSON index beside it (base.json, written last) holding the layout, the data's size and sha256 and
// a checksum of the index itself. Written atomically (util/atomicFile); read back in chunks
// (cacheIo.chunkBytes, so entries over 2 GiB load too) and trusted only once every check passed.
import { createHash } from 'node:crypto';
import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import type { Logger } from '../runtime/log';
import { writeFileAtomic } from '../util/atomicFile';
import { CTORS, indexChecksum, layoutProblem, schemaError, validSidecar } from './validate';
import type { CtorName, Layout, Sidecar, Typed } from './validate';

/** The format of every cache entry; part of every index and every cache key. */
export const CACHE_SCHEMA = 3; // 3: the Pool's per-sample problem flags

/** I/O settings; tests lower chunkBytes (and wrap readSync) to prove large files are read in pieces. */
export const cacheIo = { chunkBytes: 1 << 26, readSync };

/**
 * An array that is not in memory as a whole (a run's trajectories kept on disk): its type, its length
 * and its bytes in order, piece by piece.
 */
export interface StreamedArray {
  type: CtorName;
  length: number;
  byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

const isStreamed = (a: Typed | StreamedArray): a is StreamedArray => !ArrayBuffer.isView(a);

/** Saves named typed arrays + JSON extra under `base` (base.bin + base.json, the index last). */
export function saveArrays(base: string, kind: string, key: string, arrays: Record<string, Typed | StreamedArray>, extra: unknown): void {
  const entries = Object.entries(arrays);
  let offset = 0;
  const layout: Layout[] = [];
  for (const [name, a] of entries) {
    offset = Math.ceil(offset / 8) * 8;
    layout.push({ name, type: isStreamed(a) ? a.type : (a.constructor.name as CtorName), offset, length: a.length });
    offset += a.byteLength;
  }
  rmSync(`${base}.json`, { force: true }); // the old index must not vouch for new bytes
  const hash = createHash('sha256');
  // Streamed array by array in chunks (no second in-memory copy of the data), hashed on the way.
  function* chunks(): Generator<Uint8Array> {
    let at = 0;
    for (let i = 0; i < entries.length; i++) {
      const a = entries[i][1];
      if (layout[i].offset > at) yield hashed(new Uint8Array(layout[i].offset - at));
      if (isStreamed(a)) {
        let got = 0;
        for (const c of a.chunks()) {
          got += c.length;
          yield hashed(c);
        }
        if (got !== a.byteLength) throw new Error(`saveArrays: ${entries[i][0]} streamed ${got} bytes, not ${a.byteLength}`);
      } else
        for (let w = 0; w < a.byteLength; w += cacheIo.chunkBytes) {
          yield hashed(new Uint8Array(a.buffer, a.byteOffset + w, Math.min(cacheIo.chunkBytes, a.byteLength - w)));
        }
      at = layout[i].offset + a.byteLength;
    }
  }
  const hashed = (b: Uint8Array) => (hash.update(b), b);
  writeFileAtomic(`${base}.bin`, chunks());
  const side: Omit<Sidecar, 'indexSha256'> = {
    schema: CACHE_SCHEMA,
    kind,
    key,
    sha256: hash.digest('hex'),
    bytes: offset,
    arrays: layout,
    extra,
  };
  writeFileAtomic(`${base}.json`, JSON.stringify({ ...side, indexSha256: indexChecksum(side) }));
}

/** Reads `target.length` bytes at `position` in chunks of at most cacheIo.chunkBytes, hashing them. */
function readChunked(fd: number, target: Uint8Array, position: number, hash: ReturnType<typeof createHash>): void {
  for (let done = 0; done < target.length;) {
    const got = cacheIo.readSync(fd, target, done, Math.min(cacheIo.chunkBytes, target.length - done), position + done);
    if (got <= 0) throw new Error('unexpected end of file');
    hash.update(target.subarray(done, done + got));
    done += got;
  }
}

/** Where an array's bytes go instead of memory: called with each verified-as-read piece and its byte offset in the array. */
export type SpillWriter = (bytes: Uint8Array, at: number) => void;

export type Extra<T> = {
  arrays: Record<string, Typed>;
  extra: T;
  /** The arrays `spill` took (their bytes went to its writers, hashed like the rest): name → layout. */
  spilled?: Record<string, Layout>;
};

export interface LoadOptions {
  /**
   * Arrays not to hold in memory: for an array of the (checksummed) index and the entry's (not yet
   * validated) extra, a writer to stream its bytes to, or undefined to load it as usual.
   */
  spill?: (array: Layout, extra: unknown) => SpillWriter | undefined;
}

/**
 * Loads what saveArrays wrote, or undefined when missing, stale or corrupt (then it is deleted and
 * logged). `check` vets the extra and arrays the caller will use; it returns why they are unusable.
 */
export function loadArrays<T = unknown>(
  base: string,
  kind: string,
  key: string,
  log?: Logger,
  check?: (hit: Extra<unknown>) => string | undefined,
  opts: LoadOptions = {},
): Extra<T> | undefined {
  if (!existsSync(`${base}.json`)) return undefined;
  const drop = (why: string) => {
    log?.warn(`cache: ${path.basename(base)} ${why}; deleting it and rebuilding`);
    rmSync(`${base}.json`, { force: true });
    rmSync(`${base}.bin`, { force: true });
    return undefined;
  };
  let side: unknown;
  try {
    // A "__proto__" key would slip past a checksum of the parsed value and set prototypes: refused.
    side = JSON.parse(readFileSync(`${base}.json`, 'utf8'), (k, v: unknown) => {
      if (k === '__proto__') throw new Error('a __proto__ key');
      return v;
    });
  } catch {
    return drop('has an unreadable index');
  }
  if (!validSidecar(side)) return drop(`has an invalid index (${schemaError(validSidecar)})`);
  if (indexChecksum(side) !== side.indexSha256) return drop('failed its index checksum');
  if (side.schema !== CACHE_SCHEMA || side.kind !== kind || side.key !== key) return drop('is stale');
  const bad = layoutProblem(side.arrays, side.bytes);
  if (bad) return drop(`has an index that ${bad}`);
  let fd: number;
  try {
    fd = openSync(`${base}.bin`, 'r');
  } catch {
    return drop('has no data file');
  }
  const arrays: Record<string, Typed> = {};
  let spilled: Record<string, Layout> | undefined;
  try {
    const size = fstatSync(fd).size;
    if (size !== side.bytes) return drop(`has a data file of ${size} bytes, not ${side.bytes}`);
    const hash = createHash('sha256');
    let at = 0;
    for (const a of side.arrays) {
      if (a.offset > at) readChunked(fd, new Uint8Array(a.offset - at), at, hash);
      const writer = opts.spill?.(a, side.extra);
      if (writer) {
        const bytes = a.length * CTORS[a.type].BYTES_PER_ELEMENT;
        const piece = new Uint8Array(Math.min(bytes, cacheIo.chunkBytes, 8 << 20));
        for (let done = 0; done < bytes; done += piece.length) {
          const part = piece.subarray(0, Math.min(piece.length, bytes - done));
          readChunked(fd, part, a.offset + done, hash);
          writer(part, done);
        }
        (spilled ??= {})[a.name] = a;
        at = a.offset + bytes;
        continue;
      }
      const arr = new CTORS[a.type](a.length);
      readChunked(fd, new Uint8Array(arr.buffer), a.offset, hash);
      arrays[a.name] = arr;
      at = a.offset + arr.byteLength;
    }
    if (hash.digest('hex') !== side.sha256) return drop('failed its checksum');
  } catch (e) {
    return drop(`could not be read (${(e as Error).message})`);
  } finally {
    closeSync(fd);
  }
  const hit = { arrays, extra: side.extra, ...(spilled ? { spilled } : {}) };
  const why = check?.(hit);
  return why ? drop(why) : (hit as Extra<T>);
}
