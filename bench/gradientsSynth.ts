// A synthetic cadc.gradients/v1 folder for a dataset (the import benchmark and the import's unit tests):
// the same files and index the gradient job writes (docs/gradients.md), written with the engine's own
// .npy writer, holding seeded trajectories instead of a model's. Each sample belongs to one of K
// seeded directions; its row at checkpoint t is one of V seeded unit vectors around that direction
// (so the rows are copied, not computed: a 665K × 4 × 512 folder takes seconds to write).
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import * as path from 'node:path';
import type { DatasetSummary } from '../src/core/dataset/types';
import { npyBytes } from '../src/core/gradients/npy';
import { toHalf } from '../src/core/gradients/trajectories';
import { writeFileAtomic } from '../src/core/util/atomicFile';
import { Rng } from '../src/core/util/rng';
import { stableStringify } from '../src/core/util/stableJson';

export interface SynthOptions {
  /** The dataset's identity as the index records it. */
  dataset: { file: string; sha256: string; bytes: number; lines: number; records: number; container: 'jsonl' | 'json-array' };
  /** Each valid sample's 1-based start line and 0-based record number, in file order. */
  lines: ArrayLike<number>;
  records: ArrayLike<number>;
  lrs: number[];
  D: number;
  shardSize: number;
  seed: number;
  /** Directions (capabilities) and variants per direction. */
  K?: number;
  V?: number;
}

/** The index's `dataset` block for a file the engine read (its summary). */
export function indexDataset(summary: DatasetSummary, file: string): SynthOptions['dataset'] {
  const { sha256, bytes, lines, records, container } = summary;
  if (container === 'parquet') throw new Error('gradient folders index JSONL or JSON-array datasets only');
  return { file, sha256, bytes, lines, records, container };
}

const ARRAY_KEYS = ['traj', 'loss', 'sqnorm', 'selfinf', 'line', 'record'] as const;

/** Writes the folder (shards, then index.json) and returns the index. */
export function writeSyntheticGradients(dir: string, o: SynthOptions): Record<string, unknown> {
  mkdirSync(dir, { recursive: true });
  const { D, lrs } = o;
  const T = lrs.length;
  const N = o.lines.length;
  const K = o.K ?? 6;
  const V = o.V ?? 16;
  const rng = new Rng(o.seed);
  // V unit variants of K directions at each checkpoint, as float16 bytes: [K, V, T, D].
  const rows = new Uint16Array(K * V * T * D);
  const centre = new Float64Array(D);
  const v = new Float64Array(D);
  for (let k = 0; k < K; k++)
    for (let t = 0; t < T; t++) {
      for (let j = 0; j < D; j++) centre[j] = rng.normal();
      for (let s = 0; s < V; s++) {
        let norm = 0;
        for (let j = 0; j < D; j++) {
          v[j] = centre[j] + 0.8 * rng.normal();
          norm += v[j] * v[j];
        }
        const inv = 1 / Math.sqrt(norm);
        for (let j = 0; j < D; j++) rows[((k * V + s) * T + t) * D + j] = toHalf(v[j] * inv);
      }
    }
  const rowBytes = new Uint8Array(rows.buffer);
  const shards: unknown[] = [];
  for (let first = 0, i = 0; first < N; first += o.shardSize, i++) {
    const end = Math.min(N, first + o.shardSize);
    const n = end - first;
    const name = `shard-${String(i).padStart(5, '0')}`;
    const traj = new Uint8Array(n * T * D * 2);
    const loss = new Float32Array(n * T);
    const sqnorm = new Float32Array(n * T);
    const selfinf = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      const z = first + r;
      const k = hash(z, o.seed) % K;
      let si = 0;
      for (let t = 0; t < T; t++) {
        const s = hash(z * 31 + t, o.seed + 1) % V;
        traj.set(rowBytes.subarray(((k * V + s) * T + t) * D * 2, ((k * V + s) * T + t + 1) * D * 2), (r * T + t) * D * 2);
        loss[r * T + t] = 2 + (hash(z, t + 7) % 1000) / 500 - 0.3 * t;
        sqnorm[r * T + t] = 0.5 + (hash(z, t + 11) % 1000) / 250;
        si += lrs[t] * sqnorm[r * T + t];
      }
      selfinf[r] = si;
    }
    const arrays = {
      traj: npyBytes('<f2', [n, T, D], traj),
      loss: npyBytes('<f4', [n, T], loss),
      sqnorm: npyBytes('<f4', [n, T], sqnorm),
      selfinf: npyBytes('<f4', [n], selfinf),
      line: npyBytes('<i8', [n], BigInt64Array.from(Array.from({ length: n }, (_, r) => BigInt(o.lines[first + r])))),
      record: npyBytes('<i8', [n], BigInt64Array.from(Array.from({ length: n }, (_, r) => BigInt(o.records[first + r])))),
    };
    const shapes = { traj: [n, T, D], loss: [n, T], sqnorm: [n, T], selfinf: [n], line: [n], record: [n] };
    const dtypes = { traj: 'float16', loss: 'float32', sqnorm: 'float32', selfinf: 'float32', line: 'int64', record: 'int64' };
    const files: Record<string, unknown> = {};
    for (const key of ARRAY_KEYS) {
      const file = `${name}.${key}.npy`;
      const bytes = arrays[key];
      writeFileAtomic(path.join(dir, file), bytes, { durable: false });
      files[key] = {
        file,
        bytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
        shape: shapes[key],
        dtype: dtypes[key],
      };
    }
    shards.push({ name, samples: [first, end], lines: [o.lines[first], o.lines[end - 1]], files });
  }
  const index = {
    format: 'cadc.gradients/v1',
    job: { name: 'cadc-gradients', version: 'synthetic' },
    dataset: { ...o.dataset, samples: N },
    model: { backend: 'tiny', name: 'synthetic' },
    checkpoints: lrs.map((lr, t) => ({ path: `synthetic/checkpoint-${t + 1}`, lr, preconditioning: 'none' })),
    layers: { pattern: 'synthetic', modules: [{ name: 'synthetic.proj', dOut: D, dIn: 1 }] },
    projection: { kind: 'logra-factorised', seed: o.seed, kOut: D, kIn: 1, dense: D, dim: D },
    trajectory: { checkpoints: T, dim: D, dtype: 'float16', normalised: true },
    options: { batchSize: 1, maxTokens: 1, shardSize: o.shardSize, computeDtype: 'float32' },
    samples: N,
    shards,
  };
  writeFileAtomic(path.join(dir, 'index.json'), stableStringify(index), { durable: false });
  return index;
}

/** A seeded 32-bit integer hash (for picking directions and variants without a stream of draws). */
function hash(x: number, seed: number): number {
  let h = (Math.imul(x ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(seed + 1, 0xc2b2ae35)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}
