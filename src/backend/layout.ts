// The sample map's 2-D layout: a seeded, capability-stratified subsample of the pool (selected
// samples always in, up to a cap), the exact k nearest neighbours of its trajectories (cosine, one
// onnxruntime GEMM per block of rows) and UMAP (umap-js) on that kNN graph, driven by the project's
// seeded RNG so the same run gives the same coordinates. Pure computation: reading the trajectories
// and caching the result live in layoutCache.ts.
import { UMAP } from 'umap-js';
import { matmulNT, rowNormalize } from '../core/ort/kernels';
import { throwIfCancelled } from '../core/runtime/cancel';
import { Rng } from '../core/util/rng';

export interface SubsampleOptions {
  /** At most this many points (default 5,000). */
  max: number;
  /** Selected samples are always kept, up to this many (default 2,000; beyond it a seeded sample of them). */
  maxSelected: number;
  /** Every capability keeps at least this many points when it has them (default 25). */
  minPerCapability: number;
}

export const SUBSAMPLE_DEFAULTS: SubsampleOptions = { max: 5000, maxSelected: 2000, minPerCapability: 25 };

/**
 * Which samples the map draws: all when there are at most `max`; otherwise the selected ones (up to
 * `maxSelected`), then the rest of the budget spread over the capabilities in proportion to their
 * unselected samples (largest remainders, at least `minPerCapability` each), each drawn with a seeded
 * RNG. Returns sorted sample indices.
 */
export function stratifiedSubsample(
  capability: ArrayLike<number>,
  selected: ArrayLike<number>,
  rng: Rng,
  options: Partial<SubsampleOptions> = {},
): Int32Array {
  const o = { ...SUBSAMPLE_DEFAULTS, ...options };
  const n = capability.length;
  if (n <= o.max) return Int32Array.from({ length: n }, (_, i) => i);
  const chosen: number[] = [];
  const sel: number[] = [];
  const rest = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    if (selected[i]) sel.push(i);
    else {
      const k = capability[i];
      let list = rest.get(k);
      if (!list) rest.set(k, (list = []));
      list.push(i);
    }
  }
  const pick = (from: number[], count: number) => {
    if (count >= from.length) return from;
    return Array.from(rng.sample(from.length, count), (j) => from[j]);
  };
  chosen.push(...pick(sel, Math.min(o.maxSelected, o.max)));
  const budget = o.max - chosen.length;
  const caps = [...rest.keys()].sort((a, b) => a - b);
  const total = caps.reduce((s, k) => s + rest.get(k)!.length, 0);
  if (budget > 0 && total > 0) {
    // Floors first (small capabilities stay visible), then the remainder in proportion.
    const quota = new Map(caps.map((k) => [k, Math.min(rest.get(k)!.length, o.minPerCapability)]));
    let left = budget - [...quota.values()].reduce((a, b) => a + b, 0);
    if (left < 0) {
      // More capabilities than room for their floors: shares only.
      for (const k of caps) quota.set(k, 0);
      left = budget;
    }
    const room = caps.map((k) => rest.get(k)!.length - quota.get(k)!);
    const roomTotal = room.reduce((a, b) => a + b, 0);
    const exact = caps.map((_, j) => (roomTotal ? (left * room[j]) / roomTotal : 0));
    const floor = exact.map((x, j) => Math.min(room[j], Math.floor(x)));
    let extra = Math.min(left, roomTotal) - floor.reduce((a, b) => a + b, 0);
    const order = caps.map((_, j) => j).sort((a, b) => exact[b] - floor[b] - (exact[a] - floor[a]) || a - b);
    for (const j of order) {
      if (extra <= 0) break;
      if (floor[j] < room[j]) {
        floor[j]++;
        extra--;
      }
    }
    caps.forEach((k, j) => chosen.push(...pick(rest.get(k)!, quota.get(k)! + floor[j])));
  }
  return Int32Array.from(chosen).sort();
}

/**
 * The k nearest neighbours of every row of x [n, d] by cosine distance, the row itself first (as
 * umap-js's own search returns them). Rows are L2-normalised and multiplied in blocks by onnxruntime;
 * distances are Euclidean on the unit sphere, √(2 − 2·cos). Ties go to the lower index.
 */
export async function knnCosine(
  x: Float32Array,
  n: number,
  d: number,
  k: number,
  signal?: AbortSignal,
): Promise<{ indices: number[][]; distances: number[][] }> {
  const unit = await rowNormalize(x, n, d);
  const kk = Math.min(k, n);
  const indices: number[][] = [];
  const distances: number[][] = [];
  const block = Math.max(1, Math.min(n, Math.floor(8_000_000 / Math.max(1, n))));
  const bestI = new Int32Array(kk);
  const bestS = new Float64Array(kk);
  for (let start = 0; start < n; start += block) {
    throwIfCancelled(signal);
    await breathe();
    const m = Math.min(block, n - start);
    const sims = await matmulNT(unit.subarray(start * d, (start + m) * d), m, d, unit, n);
    for (let r = 0; r < m; r++) {
      const self = start + r;
      // Insertion into a sorted top-k list (k is small): the row itself always ranks first.
      let filled = 0;
      for (let j = 0; j < n; j++) {
        const s = j === self ? Infinity : sims[r * n + j];
        if (filled === kk && !(s > bestS[kk - 1])) continue;
        let p = filled < kk ? filled++ : kk - 1;
        while (p > 0 && bestS[p - 1] < s) {
          bestS[p] = bestS[p - 1];
          bestI[p] = bestI[p - 1];
          p--;
        }
        bestS[p] = s;
        bestI[p] = j;
      }
      const ids: number[] = [];
      const ds: number[] = [];
      for (let q = 0; q < filled; q++) {
        ids.push(bestI[q]);
        ds.push(bestI[q] === self ? 0 : Math.sqrt(Math.max(0, 2 - 2 * bestS[q])));
      }
      indices.push(ids);
      distances.push(ds);
    }
  }
  return { indices, distances };
}

/** Lets the backend's event loop serve other requests between chunks of a long computation. */
const breathe = () => new Promise<void>((r) => setImmediate(r));

export interface UmapOptions {
  seed: number;
  nNeighbors?: number;
  minDist?: number;
  /** Optimisation epochs (umap-js's default for the size when omitted). */
  nEpochs?: number;
  signal?: AbortSignal;
  /** Fraction done (kNN is the first 20%, the epochs the rest). */
  onProgress?: (fraction: number) => void;
}

/** UMAP of the rows of x [n, d] to 2-D → [n*2] (x0,y0,x1,y1,…); seeded, so the same input gives the same layout. */
export async function umap2d(x: Float32Array, n: number, d: number, opts: UmapOptions): Promise<Float32Array> {
  const out = new Float32Array(n * 2);
  if (n < 3) {
    for (let i = 0; i < n; i++) out[2 * i] = i;
    return out;
  }
  const nNeighbors = Math.max(2, Math.min(opts.nNeighbors ?? 15, n - 1));
  const knn = await knnCosine(x, n, d, nNeighbors, opts.signal);
  opts.onProgress?.(0.2);
  const rng = new Rng(opts.seed).fork('umap');
  const umap = new UMAP({
    nComponents: 2,
    nNeighbors,
    minDist: opts.minDist ?? 0.1,
    ...(opts.nEpochs ? { nEpochs: opts.nEpochs } : {}),
    random: () => rng.next(),
  });
  umap.setPrecomputedKNN(knn.indices, knn.distances);
  // With a precomputed kNN graph umap-js reads only the number of rows of X.
  const epochs = umap.initializeFit(Array.from({ length: n }, () => []));
  let yielded = Date.now();
  for (let e = 0; e < epochs; e++) {
    umap.step();
    if (e % 20 === 19) opts.onProgress?.(0.2 + (0.8 * (e + 1)) / epochs);
    // Every ~50 ms the process answers what else it was asked (the table's pages) and checks for cancellation.
    if (Date.now() - yielded > 50) {
      await breathe();
      throwIfCancelled(opts.signal);
      yielded = Date.now();
    }
  }
  const emb = umap.getEmbedding();
  for (let i = 0; i < n; i++) {
    out[2 * i] = emb[i][0];
    out[2 * i + 1] = emb[i][1];
  }
  opts.onProgress?.(1);
  return out;
}
