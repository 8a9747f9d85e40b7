// Probe groups on the instruction text (docs/method.md §1.2): seeded spherical k-means on the exact sparse
// TF-IDF of each sample's hashed question n-grams (binary term frequency, smoothed idf, unit rows). The
// centroids live in n-gram space as a [buckets + 1, k] table; a row's cosine with every centroid is a
// gather-and-sum over its own n-grams (ort/kernels.ts sparseRowsTimesTable), so no random projection blurs
// the cosines (a 128-d projection errs by ≈ 0.09, the size of a typical TF-IDF cosine: bench:capability-ablation).
import { ngramIdf } from '../features/textVectors';
import type { Pool } from '../features/types';
import { matmulNT, sparseRowsArgmax, sparseRowsTimesTable } from '../ort/kernels';
import type { Rng } from '../util/rng';
import { Float32Scratch } from '../util/scratch';
import { nextSeed, renumberByFirstAppearance } from './kmeansSteps';

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

/**
 * The n-gram buckets the sample's rows use, numbered 0..U-1 in bucket order; every other bucket (and
 * padding) maps to U, a row of zeros. A centroid is a sum of sample rows, so it is zero outside these
 * buckets: the centroid table needs U + 1 rows instead of one per bucket (on llava-eval-pool's
 * 20,000-row sample, 43,988 of 65,537), and every dense pass over it shrinks by as much.
 */
function compactBuckets(ids: Int32Array, w: Float32Array, V: number): { slot: Int32Array; U: number } {
  const slot = new Int32Array(V).fill(-1);
  for (let i = 0; i < ids.length; i++) if (w[i] !== 0) slot[ids[i]] = 0;
  const U = numberMarked(slot);
  for (let b = 0; b < V; b++) if (slot[b] < 0) slot[b] = U;
  return { slot, U };
}

/** Numbers the marked entries of `slot` (0) 0, 1, 2, … in bucket order, leaves the rest (-1); returns the count. */
function numberMarked(slot: Int32Array): number {
  let U = 0;
  for (let b = 0; b < slot.length; b++) if (slot[b] === 0) slot[b] = U++;
  return U;
}

/** Bucket ids to table rows, in place (see compactBuckets). */
function toSlots(ids: Int32Array, slot: Int32Array): Int32Array {
  for (let i = 0; i < ids.length; i++) ids[i] = slot[ids[i]];
  return ids;
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
 * What textKMeans' groups depend on besides the pool, k and its random stream: its defaults and a version
 * raised whenever the algorithm changes its output (so cached groups of an older one are not reused).
 */
export const TEXT_KMEANS = { sampleSize: 20_000, iterations: 15, version: 1 } as const;

/**
 * Spherical k-means on the sparse TF-IDF rows: fitted on a seeded sample of at most `sampleSize` samples
 * (k-means++ seeding on cosine distance, then Lloyd iterations until at most 0.5% of the sample moves:
 * sparseLloyd), then every sample assigned to its most similar centroid. Ids are renumbered by first
 * appearance; empty clusters vanish. The centroid table lives in `scratch` (free again on return).
 */
export async function textKMeans(
  pool: Pool,
  k: number,
  rng: Rng,
  sampleSize: number = TEXT_KMEANS.sampleSize,
  iterations: number = TEXT_KMEANS.iterations,
  scratch: Float32Scratch = new Float32Scratch(),
): Promise<Int32Array> {
  const { n } = pool;
  const L = pool.dims.maxQuestionNgrams;
  const idf = ngramIdf(pool);
  const idx = rng.sample(n, Math.min(n, sampleSize));
  idx.sort();
  const m = idx.length;
  const { ids: bucketIds, w } = tfidfRowsOf(pool, idf, idx);
  const { slot, U } = compactBuckets(bucketIds, w, pool.dims.questionBuckets + 1);
  const ids = toSlots(bucketIds, slot);
  const V = U + 1;
  k = Math.max(1, Math.min(k, m));
  const table = scratch.zeros(V * k);
  seedCentroids(ids, w, m, L, table, V, k, rng);
  const assign = await sparseLloyd(ids, w, m, L, table, V, k, iterations);
  const converged = assign !== undefined;
  // Every sample to its most similar centroid, in batches; the sample's rows keep the assignment
  // Lloyd just computed against the same table, when it converged (the same cosines, not computed twice).
  const of = new Int32Array(n);
  const todo = new Int32Array(converged ? n - m : n);
  for (let i = 0, r = 0, t = 0; i < n; i++) {
    if (assign && r < m && idx[r] === i) of[i] = assign[r++];
    else todo[t++] = i;
  }
  // The argmax is taken inside the ORT graph: the [rows, k] cosines never cross into JavaScript.
  const B = 8192;
  for (let s = 0; s < todo.length; s += B) {
    const e = Math.min(todo.length, s + B);
    const batch = tfidfRowsOf(pool, idf, todo.subarray(s, e));
    const part = await sparseRowsArgmax(toSlots(batch.ids, slot), batch.w, e - s, L, table, V, k);
    for (let r = 0; r < e - s; r++) of[todo[s + r]] = part[r];
  }
  renumberByFirstAppearance(of, k);
  return of;
}

/** Column c of the table [V, k] := row r of the sparse rows (ids, w) [·, L]; `zero` clears the column first. */
function setColumn(
  table: Float32Array,
  V: number,
  k: number,
  c: number,
  ids: Int32Array,
  w: Float32Array,
  L: number,
  r: number,
  zero = true,
) {
  if (zero) for (let b = 0; b < V; b++) table[b * k + c] = 0;
  for (let j = r * L; j < r * L + L; j++) table[ids[j] * k + c] += w[j];
}

/**
 * k-means++ on cosine distance: each new centre (a row, written to the table by setColumn) drawn with
 * probability ∝ (cosine distance to the nearest centre)². The cosines with a new centre come from an
 * inverted index of the rows' n-grams: the work is the postings of that row's n-grams, not m × L.
 */
function seedCentroids(ids: Int32Array, w: Float32Array, m: number, L: number, table: Float32Array, V: number, k: number, rng: Rng) {
  const post = postings(ids, w, m, L, V);
  const sims = new Float32Array(m);
  const dist = new Float64Array(m).fill(Infinity);
  // The table is all zeros: each column is written once, without clearing it.
  let pick = rng.int(m);
  setColumn(table, V, k, 0, ids, w, L, pick, false);
  for (let c = 1; c < k; c++) {
    sims.fill(0);
    for (let j = 0; j < L; j++) {
      const wb = w[pick * L + j];
      if (wb === 0) continue;
      const b = ids[pick * L + j];
      for (let p = post.ptr[b]; p < post.ptr[b + 1]; p++) sims[post.row[p]] += wb * post.w[p];
    }
    pick = nextSeed(sims, dist, m, rng);
    setColumn(table, V, k, c, ids, w, L, pick, false);
  }
}

/**
 * Lloyd's iterations of spherical k-means on sparse rows, from the unit columns in `table` (the seeds):
 * assign every row to its most similar centroid (one ORT graph: gather, scale, argmax), then move the centroids. The table
 * holds each centroid's unnormalised sum of rows and cosines are scaled by 1/‖sum‖ per column, so a move
 * costs only the rows that changed group (each one's n-grams subtracted from one column and added to
 * another, its squared norm updated from its dot products with both) instead of a rebuild of the whole
 * [V, k] table. Stops when at most 0.5% of the rows change group, returning that assignment (made against
 * the table as it is), or after `iterations`, returning undefined. The table is left normalised.
 */
export async function sparseLloyd(
  ids: Int32Array,
  w: Float32Array,
  m: number,
  L: number,
  table: Float32Array,
  V: number,
  k: number,
  iterations: number,
): Promise<Int32Array | undefined> {
  const assign = new Int32Array(m).fill(-1);
  const inv = new Float64Array(k).fill(1);
  const norm2 = new Float64Array(k).fill(1);
  const counts = new Int32Array(k);
  let fresh = true; // the columns are not (yet) their members' sums: build them from the rows
  let result: Int32Array | undefined;
  const moved: number[] = [];
  const from: number[] = [];
  const dot = (i: number, c: number) => {
    let s = 0;
    for (let j = i * L; j < i * L + L; j++) if (w[j] !== 0) s += w[j] * table[ids[j] * k + c];
    return s;
  };
  const self = (i: number) => {
    let s = 0;
    for (let j = i * L; j < i * L + L; j++) s += w[j] * w[j];
    return s;
  };
  for (let it = 0; it < iterations; it++) {
    // Each row's most similar centroid: the cosines (sums scaled by 1/‖sum‖) and their argmax in one graph.
    const best = await sparseRowsArgmax(ids, w, m, L, table, V, k, Float32Array.from(inv));
    moved.length = 0;
    from.length = 0;
    for (let i = 0; i < m; i++) {
      if (best[i] !== assign[i]) {
        moved.push(i);
        from.push(assign[i]);
        assign[i] = best[i];
      }
    }
    // Converged when at most 0.5% of the sample changed group (the last Lloyd rounds move a handful).
    if (moved.length <= m / 200) {
      result = assign;
      break;
    }
    for (let q = 0; q < moved.length; q++) {
      if (from[q] >= 0) counts[from[q]]--;
      counts[assign[moved[q]]]++;
    }
    // An empty cluster restarts at the sample least similar to its own centre (this round's cosines).
    let worst = -1;
    if (counts.includes(0)) {
      const sims = await sparseRowsTimesTable(ids, w, m, L, table, V, k);
      const own = (i: number) => sims[i * k + assign[i]] * inv[assign[i]];
      worst = 0;
      for (let i = 1; i < m; i++) if (own(i) < own(worst)) worst = i;
    }
    if (fresh) {
      table.fill(0);
      for (let i = 0; i < m; i++) {
        const c = assign[i];
        for (let j = i * L; j < i * L + L; j++) table[ids[j] * k + c] += w[j];
      }
      norm2.fill(0);
      for (let b = 0; b < V; b++) for (let c = 0; c < k; c++) norm2[c] += table[b * k + c] ** 2;
      fresh = false;
    } else {
      for (let q = 0; q < moved.length; q++) {
        const i = moved[q];
        const a = from[q];
        const b = assign[i];
        const xx = self(i);
        norm2[a] += xx - 2 * dot(i, a);
        norm2[b] += xx + 2 * dot(i, b);
        for (let j = i * L; j < i * L + L; j++) {
          const x = w[j];
          if (x === 0) continue;
          table[ids[j] * k + a] -= x;
          table[ids[j] * k + b] += x;
        }
      }
    }
    for (let c = 0; c < k; c++) {
      if (counts[c] === 0) {
        setColumn(table, V, k, c, ids, w, L, worst);
        norm2[c] = self(worst);
        // A restarted column is not its members' sum: the next round builds the table from the rows.
        fresh = true;
      }
      inv[c] = norm2[c] > 0 ? 1 / Math.sqrt(norm2[c]) : 0;
    }
  }
  for (let b = 0; b < V; b++) for (let c = 0; c < k; c++) table[b * k + c] *= inv[c];
  return result;
}

/** Members per group that its text centroid is summed over (a seeded choice; all of a smaller group). */
export const TEXT_CENTROID_ROWS = 128;

/**
 * Cosines [G, G] between the groups' instruction-text centroids on the exact TF-IDF: each centroid is
 * the sum of the unit TF-IDF rows of up to TEXT_CENTROID_ROWS of its members (a seeded choice, so at
 * 665K rows ≈ 100,000 rows are read instead of all), in n-gram space as a [G, n-grams used] table of
 * scatter-adds; the Gram matrix of those sums is one ORT GEMM. A group whose instructions are all blank
 * has no text to compare: its cosine is 1 with every group, so the text neither joins nor parts it. The
 * sums live in `scratch` (free again on return).
 */
export async function groupTextCosines(
  pool: Pool,
  of: Int32Array,
  G: number,
  rng: Rng,
  perGroup = TEXT_CENTROID_ROWS,
  scratch: Float32Scratch = new Float32Scratch(),
): Promise<Float32Array> {
  const { n } = pool;
  const L = pool.dims.maxQuestionNgrams;
  const V = pool.dims.questionBuckets + 1;
  const idf = ngramIdf(pool);
  // Each group's first `perGroup` members in a seeded order of the samples, then in pool order.
  const taken = new Int32Array(G);
  const chosen: number[] = [];
  for (const i of rng.shuffle(Int32Array.from({ length: n }, (_, i) => i))) {
    const g = of[i];
    if (g >= 0 && taken[g] < perGroup) {
      taken[g]++;
      chosen.push(i);
    }
  }
  // Grouped by group, in pool order within each (a counting sort): each group's sums are then added in
  // one stretch of the table instead of a cache miss per n-gram, and in the same order as before.
  const sorted = Int32Array.from(chosen).sort();
  const at = new Int32Array(G + 1);
  for (const i of sorted) at[of[i] + 1]++;
  for (let g = 0; g < G; g++) at[g + 1] += at[g];
  const rows = new Int32Array(sorted.length);
  for (const i of sorted) rows[at[of[i]]++] = i;
  // Only the n-grams these rows hold (with a weight) get a column: a third fewer at 45K, less at 665K.
  const slot = new Int32Array(V).fill(-1);
  for (const i of rows)
    for (let j = i * L; j < i * L + L; j++) {
      const b = pool.questionNgrams[j];
      if (idf[b] !== 0) slot[b] = 0;
    }
  const U = Math.max(1, numberMarked(slot)); // all blank: one column of zeros
  const sums = scratch.zeros(G * U);
  const B = 8192;
  for (let s = 0; s < rows.length; s += B) {
    const e = Math.min(rows.length, s + B);
    const { ids, w } = tfidfRowsOf(pool, idf, rows.subarray(s, e));
    for (let r = s; r < e; r++) {
      const g = of[rows[r]];
      const base = (r - s) * L;
      for (let j = 0; j < L; j++) if (w[base + j] !== 0) sums[g * U + slot[ids[base + j]]] += w[base + j];
    }
  }
  const gram = await matmulNT(sums, G, U, sums, G);
  const norm = Float64Array.from({ length: G }, (_, g) => Math.sqrt(Math.max(0, gram[g * G + g])));
  const cos = new Float32Array(G * G);
  for (let a = 0; a < G; a++)
    for (let b = 0; b < G; b++) cos[a * G + b] = norm[a] > 0 && norm[b] > 0 ? Math.min(1, gram[a * G + b] / (norm[a] * norm[b])) : 1;
  return cos;
}
