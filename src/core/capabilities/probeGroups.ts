// Probe groups (docs/method.md §1.2): a label field of the pool, or unsupervised micro-clusters of the
// pool's own trajectories (seeded spherical k-means; assignment GEMMs in onnxruntime).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { matmulNT } from '../ort/kernels';
import type { Rng } from '../util/rng';
import type { ProbeGroups } from './types';

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

function gatherRows(traj: Trajectories, idx: Int32Array): Float32Array {
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

/** argmax over each row of [m, k]. */
function rowArgmax(s: Float32Array, m: number, k: number, out: Int32Array, offset = 0): void {
  for (let i = 0; i < m; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < k; j++) {
      const v = s[i * k + j];
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[offset + i] = best;
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
    let total = 0;
    for (let i = 0; i < m; i++) {
      const d = Math.max(0, 1 - sims[i]);
      if (d < dist[i]) dist[i] = d;
      total += dist[i] * dist[i];
    }
    let pick = 0;
    if (total > 0) {
      let r = rng.next() * total;
      for (pick = 0; pick < m - 1; pick++) {
        r -= dist[pick] * dist[pick];
        if (r <= 0) break;
      }
    } else pick = rng.int(m);
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

export function autoMicroClusters(n: number): number {
  return Math.max(2, Math.min(256, Math.max(8, Math.round(Math.sqrt(n / 2))), Math.floor(n / 2)));
}

export async function probeGroupsFromClusters(traj: Trajectories, k: number, rng: Rng, sampleSize = 20_000): Promise<ProbeGroups> {
  const n = traj.n;
  const W = traj.T * traj.D;
  const idx = rng.sample(n, Math.min(n, sampleSize));
  idx.sort();
  const x = gatherRows(traj, idx);
  const centers = await sphericalKMeans(x, idx.length, W, Math.min(k, idx.length), rng);
  const K = centers.length / W;
  const of = new Int32Array(n);
  const B = 8192;
  for (let s = 0; s < n; s += B) {
    const e = Math.min(n, s + B);
    const sims = await matmulNT(trajectoryRows(traj, s, e), e - s, W, centers, K);
    rowArgmax(sims, e - s, K, of, s);
  }
  // Drop empty clusters and renumber by first appearance, so ids are stable.
  const remap = new Int32Array(K).fill(-1);
  let next = 0;
  for (let i = 0; i < n; i++) {
    if (remap[of[i]] < 0) remap[of[i]] = next++;
    of[i] = remap[of[i]];
  }
  const sizes = new Int32Array(next);
  for (const g of of) sizes[g]++;
  return { source: 'clusters', names: Array.from({ length: next }, (_, i) => `cluster-${i + 1}`), of, sizes };
}

/** Preference: a label field when one qualifies (probe 'auto' or 'label'), else micro-clusters. */
export async function chooseProbeGroups(
  pool: Pool,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
  labelCandidates: string[],
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
  return probeGroupsFromClusters(traj, k, rng);
}
