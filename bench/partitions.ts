// Reference partitions the capability benchmark compares CADC's capabilities with, at the same K:
// spherical k-means on the sparse TF-IDF of the instruction n-grams (the strong text baseline), dense
// spherical k-means on any unit rows, and a random partition with given sizes. Pure functions, seeded.
import type { Pool } from '../src/core/features/types';
import { sphericalKMeans } from '../src/core/capabilities/probeGroups';
import { rowArgmax } from '../src/core/capabilities/kmeansSteps';
import { matmulNT } from '../src/core/ort/kernels';
import { Rng } from '../src/core/util/rng';

/** Sparse unit TF-IDF rows of the question n-grams (binary tf, smoothed idf): CSR. */
export function tfidfRows(pool: Pool): { ptr: Int32Array; col: Uint32Array; val: Float32Array } {
  const L = pool.dims.maxQuestionNgrams;
  const df = new Map<number, number>();
  for (let i = 0; i < pool.n; i++)
    for (let j = 0; j < pool.questionNgramCount[i]; j++)
      df.set(pool.questionNgrams[i * L + j], (df.get(pool.questionNgrams[i * L + j]) ?? 0) + 1);
  const ptr = new Int32Array(pool.n + 1);
  for (let i = 0; i < pool.n; i++) ptr[i + 1] = ptr[i] + pool.questionNgramCount[i];
  const col = new Uint32Array(ptr[pool.n]);
  const val = new Float32Array(ptr[pool.n]);
  for (let i = 0; i < pool.n; i++) {
    let s = 0;
    for (let j = 0; j < pool.questionNgramCount[i]; j++) {
      const b = pool.questionNgrams[i * L + j];
      const w = Math.log((1 + pool.n) / (1 + df.get(b)!)) + 1;
      col[ptr[i] + j] = b;
      val[ptr[i] + j] = w;
      s += w * w;
    }
    for (let j = ptr[i]; j < ptr[i + 1]; j++) val[j] /= Math.sqrt(s) || 1;
  }
  return { ptr, col, val };
}

/** Spherical k-means (k-means++ seeding on cosine distance, Lloyd) on sparse unit rows; returns labels. */
export function sparseKMeans(
  x: { ptr: Int32Array; col: Uint32Array; val: Float32Array },
  dims: number,
  k: number,
  seed: number,
  iterations = 20,
): Int32Array {
  const n = x.ptr.length - 1;
  const rng = new Rng(seed);
  k = Math.min(k, n);
  const dot = (i: number, c: Float64Array, base: number) => {
    let s = 0;
    for (let j = x.ptr[i]; j < x.ptr[i + 1]; j++) s += x.val[j] * c[base + x.col[j]];
    return s;
  };
  const centers = new Float64Array(k * dims);
  const setRow = (c: number, i: number) => {
    for (let j = x.ptr[i]; j < x.ptr[i + 1]; j++) centers[c * dims + x.col[j]] = x.val[j];
  };
  setRow(0, rng.int(n));
  const dist = new Float64Array(n).fill(Infinity);
  for (let c = 1; c < k; c++) {
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = Math.max(0, 1 - dot(i, centers, (c - 1) * dims));
      if (d < dist[i]) dist[i] = d;
      total += dist[i] * dist[i];
    }
    let r = rng.next() * total;
    let pick = 0;
    for (; pick < n - 1; pick++) {
      r -= dist[pick] * dist[pick];
      if (r <= 0) break;
    }
    setRow(c, pick);
  }
  const assign = new Int32Array(n).fill(-1);
  for (let it = 0; it < iterations; it++) {
    let changed = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bv = -Infinity;
      for (let c = 0; c < k; c++) {
        const v = dot(i, centers, c * dims);
        if (v > bv) [bv, best] = [v, c];
      }
      if (assign[i] !== best) changed++;
      assign[i] = best;
    }
    centers.fill(0);
    for (let i = 0; i < n; i++) for (let j = x.ptr[i]; j < x.ptr[i + 1]; j++) centers[assign[i] * dims + x.col[j]] += x.val[j];
    for (let c = 0; c < k; c++) {
      let s = 0;
      for (let d = 0; d < dims; d++) s += centers[c * dims + d] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let d = 0; d < dims; d++) centers[c * dims + d] *= inv;
    }
    if (changed === 0) break;
  }
  return assign;
}

/** Spherical k-means on dense unit rows [n, w] (ORT GEMMs), every row assigned to its nearest centre. */
export async function denseKMeans(x: Float32Array, n: number, w: number, k: number, seed: number): Promise<Int32Array> {
  const centers = await sphericalKMeans(x, n, w, k, new Rng(seed), 20);
  const K = centers.length / w;
  const out = new Int32Array(n);
  for (let s = 0; s < n; s += 8192) {
    const e = Math.min(n, s + 8192);
    rowArgmax(await matmulNT(x.subarray(s * w, e * w), e - s, w, centers, K), e - s, K, out, s);
  }
  return out;
}

/** A random partition with the same part sizes as `like` (a seeded shuffle of it). */
export function randomPartition(like: Int32Array, seed: number): Int32Array {
  return new Rng(seed).shuffle(Int32Array.from(like));
}

/** The proxy's raw input per sample: the mean of the frozen n-gram embedding, image features and has-image, as unit rows. */
export function rawFeatureRows(pool: Pool, embedding: Float32Array, embedDim: number): { x: Float32Array; w: number } {
  const L = pool.dims.maxQuestionNgrams;
  const F = pool.dims.imageDim;
  const w = embedDim + F + 1;
  const x = new Float32Array(pool.n * w);
  for (let i = 0; i < pool.n; i++) {
    const c = pool.questionNgramCount[i];
    const row = i * w;
    for (let j = 0; j < c; j++) {
      const b = pool.questionNgrams[i * L + j] * embedDim;
      for (let d = 0; d < embedDim; d++) x[row + d] += embedding[b + d] / c;
    }
    if (pool.imageFeatures && pool.hasImage[i]) {
      for (let d = 0; d < F; d++) x[row + embedDim + d] = pool.imageFeatures[i * F + d];
      x[row + embedDim + F] = 1;
    }
    let s = 0;
    for (let d = 0; d < w; d++) s += x[row + d] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let d = 0; d < w; d++) x[row + d] *= inv;
  }
  return { x, w };
}
