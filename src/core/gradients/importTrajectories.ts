// The import of a gradient job's trajectories (cadc.gradients/v1) in place of the proxy's: the
// samples of the index matched to the pool by line (records the engine reads as invalid are left
// out, as the engine leaves them out of the pool; a pool sample the job did not cover is an error),
// the shards streamed one at a time with every file checked against its sha256, float16 kept as
// float16: in memory when the whole block fits `maxResidentBytes`, else in an unlinked temporary
// file laid out per checkpoint, read back slice by slice with positioned reads.
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { Logger } from '../runtime/log';
import { throwIfCancelled } from '../runtime/cancel';
import { GradientsImportError } from './importIndex';
import type { GradientsFolder, ShardKey } from './importIndex';
import { int64ToNumbers, npyData, NpyFormatError, parseNpyHeader } from './npy';
import { openRowStore } from './store';
import type { RowStore, RowStoreOptions } from './store';
import { trajectoriesFromStore } from './trajectories';
import type { Trajectories } from './types';

/**
 * Where imported trajectories came from, as the manifest records it (`gradients`): the job's version,
 * index.json (absolute here; the manifest makes it relative to its base folder) and the sha256 of its
 * bytes (which list every shard's), the model, the checkpoints with η_t, the hooked layers, D, dtype.
 */
export interface GradientSource {
  job: string;
  index: string;
  sha256: string;
  model: string;
  checkpoints: { path: string; eta: number }[];
  layers: string[];
  dims: number;
  dtype: string;
}

export interface ImportedGradients {
  trajectories: Trajectories;
  /** The manifest's `proxy` block for an import: no warm-up, the index's checkpoints, the pool's mean loss at each. */
  warmup: { samples: number; checkpoints: { t: number; eta: number; trainLoss: number }[] };
  source: GradientSource;
  /** Lines the job computed that are not pool samples (records the engine reads as invalid). */
  leftOut: number[];
  /** Where the float16 block lives. */
  residence: 'memory' | 'disk';
}

export interface ImportOptions extends RowStoreOptions {
  signal?: AbortSignal;
  onProgress?: (fraction: number, message?: string) => void;
  log?: Logger;
}
/** Bytes of a trajectory file read at a time. */
const CHUNK_BYTES = 8 << 20;

/** The pool as the import needs it: its size and each sample's 1-based start line, in file order. */
export interface PoolLines {
  n: number;
  lines: Int32Array;
}

export async function importTrajectories(g: GradientsFolder, pool: PoolLines, opts: ImportOptions = {}): Promise<ImportedGradients> {
  const { T, D, index } = g;
  const { n } = pool;
  // 1. Which job sample is which pool sample.
  const lines = new Float64Array(index.samples);
  const records = new Float64Array(index.samples);
  for (let s = 0; s < index.shards.length; s++) {
    const sh = index.shards[s];
    const [first, end] = sh.samples;
    const l = numbers((await readVerified(g, s, 'line')) as BigInt64Array, sh.files.line.file);
    const r = numbers((await readVerified(g, s, 'record')) as BigInt64Array, sh.files.record.file);
    if (l[0] !== sh.lines[0] || l[end - first - 1] !== sh.lines[1])
      throw shardError(
        `${sh.files.line.file} runs from line ${l[0]} to ${l[end - first - 1]}, index.json says ${sh.lines[0]} to ${sh.lines[1]}`,
      );
    lines.set(l, first);
    records.set(r, first);
  }
  const { map, leftOut } = matchLines(lines, records, pool);
  if (leftOut.length) {
    opts.log?.warn(
      `gradients: ${leftOut.length} trajectories are for records CADC reads as invalid (lines ${preview(leftOut)}); they are left out, as those records are left out of the pool.`,
    );
  }

  // 2. The arrays, shard by shard.
  const block = n * T * D * 2;
  const store = openRowStore(n, T, D, 'float16', opts);
  opts.log?.info(
    `gradients: ${n} samples × ${T} checkpoints × ${D} float16 (${(block / 2 ** 20).toFixed(0)} MiB) ${store.residence === 'memory' ? 'held in memory' : 'kept on disk, read by slices'}`,
  );
  try {
    const loss = new Float32Array(n * T);
    const gradNormSq = new Float32Array(n * T);
    const eta = Float64Array.from(index.checkpoints, (c) => c.lr);
    const totalBytes = index.shards.reduce((a, sh) => a + sh.files.traj.bytes, 0);
    let doneBytes = 0;
    for (let s = 0; s < index.shards.length; s++) {
      throwIfCancelled(opts.signal);
      const sh = index.shards[s];
      const first = sh.samples[0];
      const m = sh.samples[1] - first;
      const l = (await readVerified(g, s, 'loss')) as Float32Array;
      const q = (await readVerified(g, s, 'sqnorm')) as Float32Array;
      const si = (await readVerified(g, s, 'selfinf')) as Float32Array;
      for (let j = 0; j < m; j++) {
        const i = map[first + j];
        let self = 0;
        for (let t = 0; t < T; t++) {
          const lv = l[j * T + t];
          const qv = q[j * T + t];
          if (!Number.isFinite(lv) || !Number.isFinite(qv) || qv < 0)
            throw shardError(`${sh.name}: line ${lines[first + j]} has loss ${lv} and squared norm ${qv} at checkpoint ${t + 1}`);
          self += eta[t] * qv;
          if (i >= 0) {
            loss[i * T + t] = lv;
            gradNormSq[i * T + t] = qv;
          }
        }
        if (!(Math.abs(self - si[j]) <= 1e-4 * Math.max(Math.abs(self), 1e-30)))
          throw shardError(`${sh.files.selfinf.file}: line ${lines[first + j]} has self-influence ${si[j]}, Σ η_t·sqnorm is ${self}`);
      }
      await streamTrajectories(g, s, map, store, (bytes) => {
        doneBytes += bytes;
        opts.onProgress?.(doneBytes / totalBytes, sh.name);
        throwIfCancelled(opts.signal);
      });
    }
    let zero = 0;
    for (let i = 0; i < n; i++) {
      let any = false;
      for (let t = 0; t < T && !any; t++) any = gradNormSq[i * T + t] > 0;
      if (!any) zero++;
    }
    if (zero)
      opts.log?.warn(
        `gradients: ${zero} of ${n} samples have a zero gradient at every checkpoint (no answer token within the job's --max-tokens ${index.options.maxTokens}?); they influence no capability.`,
      );
    const warmup = {
      samples: 0,
      checkpoints: index.checkpoints.map((c, t) => {
        let sum = 0;
        for (let i = 0; i < n; i++) sum += loss[i * T + t];
        return { t: t + 1, eta: c.lr, trainLoss: n ? sum / n : 0 };
      }),
    };
    const trajectories: Trajectories = trajectoriesFromStore(store, { n, T, D, loss, gradNormSq, eta });
    return {
      trajectories,
      warmup,
      source: {
        job: index.job.version,
        index: g.indexPath,
        sha256: g.sha256,
        model: index.model.name,
        checkpoints: index.checkpoints.map((c) => ({ path: c.path, eta: c.lr })),
        layers: index.layers.modules.map((x) => x.name),
        dims: D,
        dtype: index.trajectory.dtype,
      },
      leftOut,
      residence: store.residence,
    };
  } catch (e) {
    store.close();
    throw e;
  }
}

function numbers(a: BigInt64Array, file: string): Float64Array {
  try {
    return int64ToNumbers(a, file);
  } catch (e) {
    throw e instanceof NpyFormatError ? shardError(e.message) : e;
  }
}

function shardError(message: string): GradientsImportError {
  return new GradientsImportError(message, 'gradients-shard');
}

function preview(xs: (number | string)[], k = 5): string {
  return xs.length > k ? `${xs.slice(0, k).join(', ')}, … (${xs.length} in all)` : xs.join(', ');
}

function shaMismatch(file: string): GradientsImportError {
  return shardError(`${file} does not match its sha256 in index.json: it was damaged or changed after the job wrote it`);
}

/** A small shard file read whole, checked against its sha256, as a typed array. */
async function readVerified(g: GradientsFolder, s: number, key: Exclude<ShardKey, 'traj'>) {
  const f = g.index.shards[s].files[key];
  const bytes = await readFile(path.join(g.dir, f.file));
  if (bytes.length !== f.bytes) throw shardError(`${f.file} is ${bytes.length} bytes, index.json says ${f.bytes}`);
  if (createHash('sha256').update(bytes).digest('hex') !== f.sha256) throw shaMismatch(f.file);
  try {
    return npyData(bytes, parseNpyHeader(bytes, f.file), f.file);
  } catch (e) {
    throw e instanceof NpyFormatError ? shardError(e.message) : e;
  }
}

/**
 * Pairs the index's samples (file order, by start line and record number) with the pool's (by start
 * line): map[j] is job sample j's pool index, or -1 for a record that is not in the pool. Several
 * records on one line (a one-line JSON array) pair in order when both sides count the same.
 */
export function matchLines(lines: Float64Array, records: Float64Array, pool: PoolLines): { map: Int32Array; leftOut: number[] } {
  const N = lines.length;
  const twice: string[] = [];
  for (let j = 1; j < N; j++) {
    if (records[j] === records[j - 1]) twice.push(`${lines[j]}`);
    else if (records[j] < records[j - 1] || lines[j] < lines[j - 1])
      throw new GradientsImportError(
        `index.json's shards are out of file order: line ${lines[j]} (record ${records[j]}) comes after line ${lines[j - 1]} (record ${records[j - 1]})`,
        'gradients-coverage',
      );
  }
  if (twice.length)
    throw new GradientsImportError(`the gradients list ${twice.length} sample(s) twice: lines ${preview(twice)}`, 'gradients-coverage');
  const map = new Int32Array(N).fill(-1);
  const missing: number[] = [];
  const leftOut: number[] = [];
  let i = 0;
  let j = 0;
  while (i < pool.n || j < N) {
    const line = Math.min(i < pool.n ? pool.lines[i] : Infinity, j < N ? lines[j] : Infinity);
    let kp = 0;
    while (i + kp < pool.n && pool.lines[i + kp] === line) kp++;
    let kj = 0;
    while (j + kj < N && lines[j + kj] === line) kj++;
    if (kp === kj) for (let k = 0; k < kp; k++) map[j + k] = i + k;
    else if (kj === 0) missing.push(line);
    else if (kp === 0) for (let k = 0; k < kj; k++) leftOut.push(line);
    else
      throw new GradientsImportError(
        `line ${line} starts ${kj} record(s) in the gradients and ${kp} valid sample(s) in the dataset: they cannot be paired`,
        'gradients-coverage',
      );
    i += kp;
    j += kj;
  }
  if (missing.length)
    throw new GradientsImportError(
      `the gradients do not cover ${missing.length} sample line(s) of the dataset: ${preview(missing)}`,
      'gradients-coverage',
    );
  return { map, leftOut };
}

/** Reads one shard's trajectory file in chunks (hashing every byte) and stores its rows per checkpoint. */
async function streamTrajectories(
  g: GradientsFolder,
  s: number,
  map: Int32Array,
  store: RowStore,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const { T, D } = g;
  const sh = g.index.shards[s];
  const f = sh.files.traj;
  const offset = g.dataOffsets[s].traj;
  const first = sh.samples[0];
  const m = sh.samples[1] - first;
  const rowBytes = T * D * 2;
  const per = Math.max(1, Math.floor(CHUNK_BYTES / rowBytes));
  const hash = createHash('sha256');
  const fh = await open(path.join(g.dir, f.file), 'r');
  try {
    const readFully = async (buf: Uint8Array, position: number) => {
      let got = 0;
      while (got < buf.length) {
        const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
        if (bytesRead === 0)
          throw shardError(`${f.file} is truncated: it ended at byte ${position + got}, index.json says ${f.bytes} bytes`);
        got += bytesRead;
      }
    };
    const head = new Uint8Array(offset);
    await readFully(head, 0);
    hash.update(head);
    const chunk = new Uint8Array(per * rowBytes);
    const staging = new Uint8Array(per * D * 2);
    const halves = new Uint16Array(staging.buffer);
    for (let j0 = 0; j0 < m; j0 += per) {
      const k = Math.min(per, m - j0);
      const buf = chunk.subarray(0, k * rowBytes);
      await readFully(buf, offset + j0 * rowBytes);
      hash.update(buf);
      // Runs of consecutive pool indices, each stored per checkpoint in one write.
      let a = 0;
      while (a < k) {
        if (map[first + j0 + a] < 0) {
          a++;
          continue;
        }
        let b = a + 1;
        while (b < k && map[first + j0 + b] === map[first + j0 + a] + (b - a)) b++;
        for (let t = 0; t < T; t++) {
          for (let r = a; r < b; r++) staging.set(buf.subarray((r * T + t) * D * 2, (r * T + t + 1) * D * 2), (r - a) * D * 2);
          store.write(t, map[first + j0 + a], halves.subarray(0, (b - a) * D));
        }
        a = b;
      }
      onBytes(buf.length);
    }
    if (hash.digest('hex') !== f.sha256) throw shaMismatch(f.file);
  } finally {
    await fh.close();
  }
}
