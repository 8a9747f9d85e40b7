// Probe groups on the instruction text (docs/method.md §1.2): seeded spherical k-means on the exact sparse
// TF-IDF of each sample's hashed question n-grams (binary term frequency, smoothed idf, unit rows). The
// centroids live in n-gram space as a [buckets + 1, k] table; a row's cosine with every centroid is a
// gather-and-sum over its own n-grams (ort/kernels.ts sparseRowsTimesTable), so no random projection blurs
// the cosines (a 128-d projection errs by ≈ 0.09, the size of a typical TF-IDF cosine: bench:capability-ablation).
import { ngramIdf } from '../features/textVectors';
import type { Pool } from '../features/types';
import { sparseRowsTimesTable } from '../ort/kernels';
import type { Rng } from '../util/rng';
import { nextSeed, renumberByFirstAppearance, rowArgmax } from './kmeansSteps';

/** The unit TF-IDF rows of samples idx as n-gram ids and weights [idx.length, L]; padding has weight 0. */
export function tfidfRowsOf(pool: Pool, idf: Float32Array, idx: ArrayLike<number>): { ids: Int32Array; w: Float32Array } {
  const L = pool.dims.maxQuestionNgrams;
  const m = idx.length;
  const ids = new Int32Array(m * L);
  const w = new Float32Array(m * L);
  for (let r = 0; r < m; r++) {
    const i = idx[r];
    ids.set(pool.questionNgrams.subarray(i * L, i * L + L), r * L);
    let s = 0;
    for (let j = 0; j < L; j++) s += idf[ids[r * L + j]] ** 2;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let j = 0; j < L; j++) w[r * L + j] = idf[ids[r * L + j]] * inv;
  }
  return { ids, w };
}

/** The sample's rows per n-gram (CSR over n-gram ids): which rows hold it, with what weight. */
function postings(ids: Int32Array, w: Float32Array, m: number, L: number, V: number) {
  const ptr = new Int32Array(V + 1);
  for (let i = 0; i < m * L; i++) if (w[i] !== 0) ptr[ids[i] + 1]++;
  for (let b = 0; b < V; b++) ptr[b + 1] += ptr[b];
  const fill = ptr.slice(0, V);
  const row = new Int32Array(ptr[V]);
  const pw = new Float32Array(ptr[V]);
  for (let i = 0; i < m * L; i++)
    if (w[i] !== 0) {
      const p = fill[ids[i]]++;
      row[p] = Math.floor(i / L);
      pw[p] = w[i];
    }
  return { ptr, row, w: pw };
}

/**
 * Spherical k-means on the sparse TF-IDF rows: fitted on a seeded sample of at most `sampleSize` samples
 * (k-means++ seeding on cosine distance, then Lloyd iterations until at most 0.5% of the sample moves), then every sample
 * assigned to its most similar centroid. Ids are renumbered by first appearance; empty clusters vanish.
 */
export async function textKMeans(pool: Pool, k: number, rng: Rng, sampleSize = 20_000, iterations = 15): Promise<Int32Array> {
  const { n } = pool;
  const L = pool.dims.maxQuestionNgrams;
  const V = pool.dims.questionBuckets + 1;
  const idf = ngramIdf(pool);
  const idx = rng.sample(n, Math.min(n, sampleSize));
  idx.sort();
  const m = idx.length;
  const { ids, w } = tfidfRowsOf(pool, idf, idx);
  k = Math.max(1, Math.min(k, m));
  const table = new Float32Array(V * k);
  const setColumn = (c: number, r: number) => {
    for (let b = 0; b < V; b++) table[b * k + c] = 0;
    for (let j = 0; j < L; j++) table[ids[r * L + j] * k + c] += w[r * L + j];
  };
  // k-means++: each new centre drawn with probability ∝ (cosine distance to the nearest centre)². The
  // cosines with a new centre (one sample's row) come from an inverted index of the sample's n-grams:
  // the work is the postings of that row's n-grams, not m × L.
  const post = postings(ids, w, m, L, V);
  const sims = new Float32Array(m);
  const dist = new Float64Array(m).fill(Infinity);
  let pick = rng.int(m);
  setColumn(0, pick);
  for (let c = 1; c < k; c++) {
    sims.fill(0);
    for (let j = 0; j < L; j++) {
      const wb = w[pick * L + j];
      if (wb === 0) continue;
      const b = ids[pick * L + j];
      for (let p = post.ptr[b]; p < post.ptr[b + 1]; p++) sims[post.row[p]] += wb * post.w[p];
    }
    pick = nextSeed(sims, dist, m, rng);
    setColumn(c, pick);
  }
  // Lloyd: assign by cosine, centroids = normalised sums of their rows (in n-gram space).
  const assign = new Int32Array(m).fill(-1);
  const next = new Int32Array(m);
  for (let it = 0; it < iterations; it++) {
    const sims = await sparseRowsTimesTable(ids, w, m, L, table, V, k);
    rowArgmax(sims, m, k, next);
    let moved = 0;
    for (let i = 0; i < m; i++) if (next[i] !== assign[i]) moved++;
    assign.set(next);
    // Converged when at most 0.5% of the sample changed group (the last Lloyd rounds move a handful).
    if (moved <= m / 200) break;
    table.fill(0);
    const counts = new Int32Array(k);
    for (let i = 0; i < m; i++) {
      const c = assign[i];
      counts[c]++;
      for (let j = 0; j < L; j++) table[ids[i * L + j] * k + c] += w[i * L + j];
    }
    const norm = new Float64Array(k);
    for (let b = 0; b < V; b++) for (let c = 0; c < k; c++) norm[c] += table[b * k + c] ** 2;
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        // An empty cluster restarts at the sample least similar to its own centre.
        let worst = 0;
        for (let i = 1; i < m; i++) if (sims[i * k + assign[i]] < sims[worst * k + assign[worst]]) worst = i;
        setColumn(c, worst);
        norm[c] = 1;
      }
    }
    for (let c = 0; c < k; c++) norm[c] = norm[c] > 0 ? 1 / Math.sqrt(norm[c]) : 0;
    for (let b = 0; b < V; b++) for (let c = 0; c < k; c++) table[b * k + c] *= norm[c];
  }
  // Every sample to its most similar centroid, in batches.
  const of = new Int32Array(n);
  const B = 8192;
  for (let s = 0; s < n; s += B) {
    const e = Math.min(n, s + B);
    const batch = tfidfRowsOf(
      pool,
      idf,
      Int32Array.from({ length: e - s }, (_, i) => s + i),
    );
    rowArgmax(await sparseRowsTimesTable(batch.ids, batch.w, e - s, L, table, V, k), e - s, k, of, s);
  }
  renumberByFirstAppearance(of, k);
  return of;
}
