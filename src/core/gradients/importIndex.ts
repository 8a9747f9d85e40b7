// Opening a cadc.gradients/v1 folder (docs/gradients.md): index.json read and hashed, checked against
// its JSON Schema and for what a schema cannot say (contiguous shards, T and D consistent, each
// file's name, dtype and shape), every shard file's size and .npy header checked against the index,
// and the index checked against the dataset being curated. Anything wrong is a GradientsImportError
// (exit 3) whose message names the file and the problem.
import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import schema from '../../../schemas/cadc.gradients.v1.schema.json';
import type { DatasetSummary } from '../dataset/types';
import { NpyFormatError, readNpyHeader } from './npy';

/** A gradient folder that cannot be used for this dataset (exit 3). */
export class GradientsImportError extends Error {
  constructor(
    message: string,
    /** Short machine-readable reason. */
    readonly reason: 'gradients-index' | 'gradients-shard' | 'gradients-dataset' | 'gradients-coverage',
  ) {
    super(message);
    this.name = 'GradientsImportError';
  }
}

export const SHARD_KEYS = ['traj', 'loss', 'sqnorm', 'selfinf', 'line', 'record'] as const;
export type ShardKey = (typeof SHARD_KEYS)[number];
const DTYPE_OF: Record<ShardKey, string> = {
  traj: 'float16',
  loss: 'float32',
  sqnorm: 'float32',
  selfinf: 'float32',
  line: 'int64',
  record: 'int64',
};

export interface ShardFile {
  file: string;
  bytes: number;
  sha256: string;
  shape: number[];
  dtype: 'float16' | 'float32' | 'int64';
}

export interface GradientsIndexV1 {
  format: 'cadc.gradients/v1';
  job: { name: 'cadc-gradients'; version: string };
  dataset: {
    file: string;
    sha256: string;
    bytes: number;
    lines: number;
    records: number;
    samples: number;
    container: 'jsonl' | 'json-array';
  };
  model: { backend: 'hf' | 'tiny'; name: string; [k: string]: unknown };
  checkpoints: { path: string; lr: number; preconditioning: 'none' | 'adam'; sha256?: string; adamStatesSha256?: string }[];
  layers: { pattern: string; modules: { name: string; dOut: number; dIn: number }[] };
  projection: { kind: 'logra-factorised'; seed: number; kOut: number; kIn: number; dense: number; dim: number };
  trajectory: { checkpoints: number; dim: number; dtype: 'float16'; normalised: true };
  options: { batchSize: number; maxTokens: number; shardSize: number; computeDtype: string };
  samples: number;
  shards: { name: string; samples: [number, number]; lines: [number, number]; files: Record<ShardKey, ShardFile> }[];
}

/** An opened, checked gradient folder (shard contents are checked against their sha256 when they are read). */
export interface GradientsFolder {
  dir: string;
  indexPath: string;
  /** sha256 of index.json's bytes. */
  sha256: string;
  index: GradientsIndexV1;
  /** Checkpoints and dimension of a trajectory. */
  T: number;
  D: number;
  /** Where each file's data starts (after its .npy header), by shard and key. */
  dataOffsets: Record<ShardKey, number>[];
}

let validate: ReturnType<Ajv2020['compile']> | undefined;
/** index.json is small (a few hundred bytes per shard); a file far larger is not one. */
const MAX_INDEX_BYTES = 256 << 20;

function bad(message: string): never {
  throw new GradientsImportError(message, 'gradients-index');
}

/** Reads and checks `<dir>/index.json` and the shard files it lists (sizes and headers; not yet their contents). */
export function openGradientsFolder(dir: string): GradientsFolder {
  const indexPath = path.join(path.resolve(dir), 'index.json');
  let bytes: Buffer;
  try {
    const st = statSync(indexPath);
    if (!st.isFile()) bad(`${indexPath} is not a file`);
    if (st.size > MAX_INDEX_BYTES) bad(`${indexPath} is ${st.size} bytes, too large for a gradient index`);
    bytes = readFileSync(indexPath);
  } catch (e) {
    if (e instanceof GradientsImportError) throw e;
    const err = e as NodeJS.ErrnoException;
    bad(
      err.code === 'ENOENT'
        ? `no index.json in ${dir}: not a finished cadc.gradients/v1 folder (the job writes index.json last; rerun it to finish)`
        : `cannot read ${indexPath}: ${err.message}`,
    );
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    bad(`${indexPath} is not JSON: ${(e as Error).message}`);
  }
  if (!validate) validate = new Ajv2020({ allErrors: false, strict: false }).compile(schema);
  if (!validate(parsed)) {
    const e = validate.errors?.[0];
    bad(`${indexPath} is not a cadc.gradients/v1 index: ${e ? `${e.instancePath || '/'} ${e.message ?? 'is invalid'}` : 'invalid'}`);
  }
  const index = parsed as GradientsIndexV1;
  const T = index.checkpoints.length;
  const D = index.trajectory.dim;
  if (index.trajectory.checkpoints !== T)
    bad(`${indexPath}: trajectory.checkpoints is ${index.trajectory.checkpoints} but ${T} checkpoints are listed`);
  if (index.projection.dim !== D) bad(`${indexPath}: trajectory.dim is ${D} but projection.dim is ${index.projection.dim}`);
  if (index.dataset.samples !== index.samples)
    bad(`${indexPath}: samples is ${index.samples} but dataset.samples is ${index.dataset.samples}`);
  let next = 0;
  const dataOffsets: Record<ShardKey, number>[] = [];
  index.shards.forEach((s, i) => {
    const want = `shard-${String(i).padStart(5, '0')}`;
    if (s.name !== want) bad(`${indexPath}: shard ${i} is named ${s.name}, expected ${want}`);
    const [first, end] = s.samples;
    if (first !== next || end <= first) bad(`${indexPath}: ${s.name} covers samples [${first}, ${end}), expected to start at ${next}`);
    if (s.lines[0] > s.lines[1]) bad(`${indexPath}: ${s.name} lines [${s.lines.join(', ')}] are out of order`);
    next = end;
    const n = end - first;
    const offsets = {} as Record<ShardKey, number>;
    for (const key of SHARD_KEYS) {
      const f = s.files[key];
      const shape = key === 'traj' ? [n, T, D] : key === 'loss' || key === 'sqnorm' ? [n, T] : [n];
      if (f.file !== `${s.name}.${key}.npy`) bad(`${indexPath}: ${s.name}'s ${key} file is ${f.file}, expected ${s.name}.${key}.npy`);
      if (f.dtype !== DTYPE_OF[key]) bad(`${indexPath}: ${f.file} has dtype ${f.dtype}, expected ${DTYPE_OF[key]}`);
      if (f.shape.join() !== shape.join())
        bad(`${indexPath}: ${f.file} has shape [${f.shape.join(', ')}], expected [${shape.join(', ')}] (n = ${n}, T = ${T}, D = ${D})`);
      offsets[key] = checkShardFile(dir, f);
    }
    dataOffsets.push(offsets);
  });
  if (next !== index.samples) bad(`${indexPath}: the shards cover ${next} samples, the index says ${index.samples}`);
  return { dir: path.resolve(dir), indexPath, sha256, index, T, D, dataOffsets };
}

/** A shard file's size and .npy header against its index entry; returns where its data starts. */
function checkShardFile(dir: string, f: ShardFile): number {
  const p = path.join(dir, f.file);
  let size: number;
  try {
    size = statSync(p).size;
  } catch (e) {
    throw new GradientsImportError(
      `${f.file} is missing from ${dir} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
      'gradients-shard',
    );
  }
  if (size < f.bytes)
    throw new GradientsImportError(
      `${f.file} is truncated: ${size} bytes on disk, index.json says ${f.bytes} (${f.bytes - size} missing)`,
      'gradients-shard',
    );
  if (size > f.bytes)
    throw new GradientsImportError(
      `${f.file} is ${size} bytes on disk, index.json says ${f.bytes}: it was changed after the job wrote it`,
      'gradients-shard',
    );
  try {
    const h = readNpyHeader(p);
    if (h.dtype !== f.dtype || h.shape.join() !== f.shape.join())
      throw new GradientsImportError(
        `${f.file} holds ${h.dtype} [${h.shape.join(', ')}], index.json says ${f.dtype} [${f.shape.join(', ')}]`,
        'gradients-shard',
      );
    return h.dataOffset;
  } catch (e) {
    if (e instanceof NpyFormatError) throw new GradientsImportError(`${f.file}: ${e.problem}`, 'gradients-shard');
    throw e;
  }
}

/** The index against the dataset being curated: the same file bytes (sha256) and line and record counts. */
export function checkGradientsDataset(g: GradientsFolder, summary: DatasetSummary): void {
  const d = g.index.dataset;
  const name = path.basename(summary.path);
  const fail = (what: string): never => {
    throw new GradientsImportError(`the gradients in ${g.dir} were computed for another dataset: ${what}`, 'gradients-dataset');
  };
  if (d.sha256 !== summary.sha256) fail(`index.json's dataset sha256 is ${d.sha256} (${d.file}), ${name}'s is ${summary.sha256}`);
  if (d.lines !== summary.lines) fail(`index.json counts ${d.lines} lines, ${name} has ${summary.lines}`);
  if (d.records !== summary.records) fail(`index.json counts ${d.records} records, CADC reads ${summary.records} in ${name}`);
  if (d.container !== summary.container) fail(`index.json says ${d.container}, ${name} is ${summary.container}`);
}
