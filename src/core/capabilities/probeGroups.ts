// Probe groups (docs/method.md §1.2): a label field of the pool, or unsupervised micro-clusters of the
// pool's own trajectories, instruction text (textGroups.ts: the exact sparse TF-IDF) or both (the text then
// as a 128-d projection beside the trajectory; seeded spherical k-means; assignment in onnxruntime).
import type { CurationConfig, GroupSignal } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { TextVectors } from '../features/textVectors';
import { nextSeed, renumberByFirstAppearance, rowArgmax } from './kmeansSteps';
import { textKMeans } from './textGroups';
import { matmulNT } from '../ort/kernels';
import type { Rng } from '../util/rng';
import type { Float32Scratch } from '../util/scratch';
import type { ProbeGroups, TextGroupsMemo } from './types';

export function probeGroupsFromLabels(pool: Pool, field: string): ProbeGroups {
  const col = pool.labels[field];
  if (!col) throw new Error(`No label field '${field}' in the dataset.`);
  const sizes = new Int32Array(col.values.length);
  for (const c of col.codes) if (c >= 0) sizes[c]++;
  return { source: 'label', field, names: col.values.slice(), of: Int32Array.from(col.codes), sizes };
}

/** Concatenated trajectory rows [end-start, T·D], each scaled to unit length. */
export function trajectoryRows(traj: Trajectories, start: number, end: number): Float32Array {
  const { T, D } = traj;
  const m = end - start;
  const out = new Float32Array(m * T * D);
  const s = 1 / Math.sqrt(T);
  for (let t = 0; t < T; t++) {
    const g = traj.slice(t, start, end);
    for (let i = 0; i < m; i++) for (let j = 0; j < D; j++) out[i * T * D + t * D + j] = g[i * D + j] * s;
  }
  return out;
}

function gatherRows(traj: Trajectories, idx: ArrayLike<number>): Float32Array {
  const { T, D } = traj;
  const W = T * D;
  const out = new Float32Array(idx.length * W);
  for (let r = 0; r < idx.length; r++) out.set(trajectoryRows(traj, idx[r], idx[r] + 1), r * W);
  return out;
}

function normaliseRowsInPlace(a: Float32Array, m: number, w: number): void {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < w; j++) s += a[i * w + j] * a[i * w + j];
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < w; j++) a[i * w + j] *= inv;
  }
}

/**
 * Spherical k-means on unit rows x [m, w]: k-means++ seeding (cosine distance), Lloyd iterations.
 * Returns unit centroids [k, w].
 */
export async function sphericalKMeans(x: Float32Array, m: number, w: number, k: number, rng: Rng, iterations = 15): Promise<Float32Array> {
  k = Math.min(k, m);
  const centers = new Float32Array(k * w);
  const first = rng.int(m);
  centers.set(x.subarray(first * w, first * w + w), 0);
  const dist = new Float64Array(m).fill(Infinity);
  for (let c = 1; c < k; c++) {
    const sims = await matmulNT(x, m, w, centers.subarray((c - 1) * w, c * w), 1);
    const pick = nextSeed(sims, dist, m, rng);
    centers.set(x.subarray(pick * w, pick * w + w), c * w);
  }
  const assign = new Int32Array(m);
  for (let it = 0; it < iterations; it++) {
    const sims = await matmulNT(x, m, w, centers, k);
    const prev = Int32Array.from(assign);
    rowArgmax(sims, m, k, assign);
    const sums = new Float64Array(k * w);
    const counts = new Int32Array(k);
    for (let i = 0; i < m; i++) {
      const c = assign[i];
      counts[c]++;
      for (let j = 0; j < w; j++) sums[c * w + j] += x[i * w + j];
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // Re-seed an empty cluster with the point farthest from its centre.
        let worst = 0;
        let wv = Infinity;
        for (let i = 0; i < m; i++) if (sims[i * k + assign[i]] < wv) [wv, worst] = [sims[i * k + assign[i]], i];
        centers.set(x.subarray(worst * w, worst * w + w), c * w);
        continue;
      }
      for (let j = 0; j < w; j++) centers[c * w + j] = sums[c * w + j];
    }
    normaliseRowsInPlace(centers, k, w);
    if (it > 0 && prev.every((v, i) => v === assign[i])) break;
  }
  return centers;
}

/**
 * The automatic number of micro-clusters: √n, at least 8, at most 256 and n/2. bench:capabilities chose √n
 * over the earlier √(n/2): finer text groups agreed better with the labels on all six labels of four
 * datasets and were as stable or more (docs/method.md §7); 256 keeps the assignment GEMMs small at 665K.
 */
export function autoMicroClusters(n: number): number {
  return Math.max(2, Math.min(256, Math.max(8, Math.round(Math.sqrt(n))), Math.floor(n / 2)));
}

/** Unit rows of some signal for any samples, in batches (nothing of size n × width is kept). */
export interface RowSource {
  n: number;
  width: number;
  rowsOf(idx: ArrayLike<number>): Promise<Float32Array>;
}

/** The rows micro-clusters are formed on, for a signal; `release` frees what the source holds. */
export function groupSignalRows(
  pool: Pool,
  traj: Trajectories,
  signal: GroupSignal,
  rng: Rng,
  textDim = TEXT_DIM,
): RowSource & { release(): Promise<void> } {
  const W = traj.T * traj.D;
  // A contiguous run of samples is read in one slice per checkpoint.
  const trajRows = (idx: ArrayLike<number>) =>
    idx.length > 0 && idx[idx.length - 1] - idx[0] === idx.length - 1
      ? trajectoryRows(traj, idx[0], idx[0] + idx.length)
      : gatherRows(traj, idx);
  if (signal === 'trajectories') return { n: traj.n, width: W, rowsOf: async (idx) => trajRows(idx), release: async () => undefined };
  const text = new TextVectors(pool, textDim, rng.fork('text'));
  if (signal === 'text') return { n: pool.n, width: textDim, rowsOf: (idx) => text.rowsOf(idx), release: () => text.release() };
  const width = textDim + W;
  return {
    n: pool.n,
    width,
    rowsOf: async (idx) => {
      const a = await text.rowsOf(idx);
      const b = trajRows(idx);
      const out = new Float32Array(idx.length * width);
      const s = Math.SQRT1_2;
      for (let r = 0; r < idx.length; r++) {
        for (let j = 0; j < textDim; j++) out[r * width + j] = a[r * textDim + j] * s;
        for (let j = 0; j < W; j++) out[r * width + textDim + j] = b[r * W + j] * s;
      }
      return out;
    },
    release: () => text.release(),
  };
}

/** Width of the projected TF-IDF text vectors. */
export const TEXT_DIM = 128;

/**
 * Seeded spherical k-means on a sample of at most `sampleSize` rows, then every row assigned to its
 * nearest centre (ORT GEMMs, 8,192 rows per batch). Empty clusters are dropped and ids renumbered by first
 * appearance, so ids are stable.
 */
export async function clusterRows(src: RowSource, k: number, rng: Rng, sampleSize = 20_000): Promise<Int32Array> {
  const { n, width: W } = src;
  const idx = rng.sample(n, Math.min(n, sampleSize));
  idx.sort();
  const x = await src.rowsOf(idx);
  const centers = await sphericalKMeans(x, idx.length, W, Math.min(k, idx.length), rng);
  const K = centers.length / W;
  const of = new Int32Array(n);
  const B = 8192;
  for (let s = 0; s < n; s += B) {
    const e = Math.min(n, s + B);
    const sims = await matmulNT(await src.rowsOf(range(s, e)), e - s, W, centers, K);
    rowArgmax(sims, e - s, K, of, s);
  }
  renumberByFirstAppearance(of, K);
  return of;
}

function range(s: number, e: number): Int32Array {
  return Int32Array.from({ length: e - s }, (_, i) => s + i);
}

/** ProbeGroups of cluster ids already numbered 0…G−1 (named cluster-1…cluster-G). */
export function groupsOf(of: Int32Array): ProbeGroups {
  let G = 0;
  for (const g of of) if (g + 1 > G) G = g + 1;
  const sizes = new Int32Array(G);
  for (const g of of) sizes[g]++;
  return { source: 'clusters', names: Array.from({ length: G }, (_, i) => `cluster-${i + 1}`), of, sizes };
}

/** What text groups may reuse: groups a run already formed (the pipeline's cache) and a work buffer. */
export interface TextGroupsWork {
  memo?: TextGroupsMemo;
  scratch?: Float32Scratch;
}

export async function probeGroupsFromClusters(
  pool: Pool,
  traj: Trajectories,
  k: number,
  rng: Rng,
  signal: GroupSignal = 'trajectories',
  sampleSize?: number,
  textDim?: number,
  { memo, scratch }: TextGroupsWork = {},
): Promise<ProbeGroups> {
  // Text alone: k-means on the exact sparse TF-IDF, unless a projection width is asked for (benchmarks);
  // with a memo (the pipeline's cache, keyed on the default fitting sample), groups a run already formed
  // are reused. Trajectory and feature signals use clusterRows' fitting sample unless told otherwise.
  if (signal === 'text' && textDim === undefined) {
    const compute = () => textKMeans(pool, k, rng, sampleSize, undefined, scratch);
    return { ...groupsOf(memo && sampleSize === undefined ? await memo(k, compute) : await compute()), signal };
  }
  const src = groupSignalRows(pool, traj, signal, rng, textDim);
  try {
    return { ...groupsOf(await clusterRows(src, k, rng, sampleSize)), signal };
  } finally {
    await src.release();
  }
}

/** Preference: a label field when one qualifies (probe 'auto' or 'label'), else micro-clusters. */
export async function chooseProbeGroups(
  pool: Pool,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
  labelCandidates: string[],
  textGroups: TextGroupsWork = {},
): Promise<ProbeGroups> {
  const c = cfg.capabilities;
  if (c.probe === 'label' || (c.probe === 'auto' && (c.labelField || labelCandidates.length > 0))) {
    const field = c.labelField ?? labelCandidates[0];
    if (field && pool.labels[field]) {
      const groups = probeGroupsFromLabels(pool, field);
      if (groups.names.length >= 2) return groups;
    }
    if (c.probe === 'label') throw new Error(`No usable label field for probe groups${c.labelField ? ` ('${c.labelField}')` : ''}.`);
  }
  const k = c.microClusters > 0 ? c.microClusters : autoMicroClusters(pool.n);
  return probeGroupsFromClusters(pool, traj, k, rng, c.groupSignal ?? 'trajectories', undefined, undefined, textGroups);
}
