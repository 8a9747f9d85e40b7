// Group trajectories, the cosine graph among probe groups, community detection (Louvain) and the
// capability anchors (docs/method.md §1.2).
import Graph from 'graphology';
import louvain from 'graphology-communities-louvain';
import { halfTable } from '../gradients/npy';
import type { Trajectories } from '../gradients/types';
import { matmulNT } from '../ort/kernels';
import type { Rng } from '../util/rng';
import { pearson } from '../util/stats';
import type { ProbeGroups } from './types';

/**
 * Per group and checkpoint the mean of its samples' normalised gradients, [T, G, D] (unnormalised),
 * and the group trajectories u_s = concat_t η_t·normalise(mean_t) as unit rows [G, T·D].
 */
export function groupMeans(
  traj: Trajectories,
  groups: ProbeGroups,
  half?: Uint8Array,
): { means: Float64Array; u: Float32Array; halves?: [HalfMeans, HalfMeans] } {
  const { T, D, n } = traj;
  const G = groups.names.length;
  // Group sums [T, G, D]; with `half` (0 or 1 per sample), half 0's sums on the side and half 1's here,
  // so every sample is added once. Float16 rows are decoded while they are added (one table lookup).
  const means = new Float64Array(T * G * D);
  const sums0 = half ? new Float64Array(T * G * D) : undefined;
  const f16 = halfTable();
  const B = 8192;
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < n; s += B) {
      const e = Math.min(n, s + B);
      const g = traj.rows(t, s, e);
      const halves16 = g instanceof Uint16Array;
      for (let i = s; i < e; i++) {
        const gi = groups.of[i];
        if (gi < 0) continue;
        const acc = sums0 && half![i] === 0 ? sums0 : means;
        const base = (t * G + gi) * D;
        const row = (i - s) * D;
        if (halves16) for (let j = 0; j < D; j++) acc[base + j] += f16[g[row + j]];
        else for (let j = 0; j < D; j++) acc[base + j] += g[row + j];
      }
    }
  }
  let halves: [HalfMeans, HalfMeans] | undefined;
  if (sums0) {
    const sizes0 = new Int32Array(G);
    for (let i = 0; i < n; i++) if (groups.of[i] >= 0 && half![i] === 0) sizes0[groups.of[i]]++;
    const sizes1 = Int32Array.from(groups.sizes, (c, gi) => c - sizes0[gi]);
    const m0 = new Float64Array(T * G * D);
    const m1 = new Float64Array(T * G * D);
    for (let t = 0; t < T; t++)
      for (let gi = 0; gi < G; gi++)
        for (let j = 0; j < D; j++) {
          const x = (t * G + gi) * D + j;
          if (sizes0[gi] > 0) m0[x] = sums0[x] / sizes0[gi];
          if (sizes1[gi] > 0) m1[x] = means[x] / sizes1[gi];
          means[x] += sums0[x];
        }
    halves = [
      { means: m0, sizes: sizes0 },
      { means: m1, sizes: sizes1 },
    ];
  }
  for (let t = 0; t < T; t++)
    for (let gi = 0; gi < G; gi++) {
      const c = groups.sizes[gi];
      if (c > 0) for (let j = 0; j < D; j++) means[(t * G + gi) * D + j] /= c;
    }
  return { means, u: unitGroupRows(means, T, G, D, traj.eta), ...(halves ? { halves } : {}) };
}

/** Group means [T, G, D] of some of each group's samples, and how many. */
export interface HalfMeans {
  means: Float64Array;
  sizes: Int32Array;
}

/**
 * Below this split-half reliability of the capability graph (0.7, the usual floor of an acceptable
 * reliability in test theory), a run warns, and the map says, that its capabilities may not repeat.
 */
export const WEAK_RELIABILITY = 0.7;

/**
 * How much of the group graph's trajectory similarity is signal rather than sampling noise: each
 * group's samples split at random into two halves, the trajectory cosines between groups computed on
 * each half alone (as the graph computes them: centred or not), and the two halves' cosines correlated
 * over the pairs of groups present in both (split-half reliability); Spearman–Brown's 2r / (1 + r) then
 * gives the reliability of the cosines on whole groups (0 when r ≤ 0). Near 1, another sample of the
 * same kind of data (or another seed) would give the same graph; near 0, the cosines are mostly noise.
 * Undefined with fewer than 3 groups present in both halves.
 */
export async function splitHalfReliability(...args: Parameters<typeof halfCosines>): Promise<number | undefined> {
  const h = await halfCosines(...args);
  return h && halvesReliability(h.cos[0], h.cos[1], h.live.length);
}

/**
 * The trajectory cosines between groups on each half of their samples alone (as the graph computes
 * them: centred or not), over the H groups present in both halves: [H, H] each. Undefined when H < 3.
 */
export async function halfCosines(
  halves: [HalfMeans, HalfMeans],
  T: number,
  G: number,
  D: number,
  eta: Float64Array,
  centred: boolean,
): Promise<{ live: number[]; cos: [Float32Array, Float32Array] } | undefined> {
  const live: number[] = [];
  for (let g = 0; g < G; g++) if (halves[0].sizes[g] > 0 && halves[1].sizes[g] > 0) live.push(g);
  const H = live.length;
  if (H < 3) return undefined;
  const [c0, c1] = await Promise.all(
    halves.map(async (h) => {
      const sizes = Int32Array.from(live, (g) => h.sizes[g]);
      const m = new Float64Array(T * H * D);
      for (let t = 0; t < T; t++) live.forEach((g, r) => m.set(h.means.subarray((t * G + g) * D, (t * G + g + 1) * D), (t * H + r) * D));
      return cosineMatrix(unitGroupRows(centred ? centredMeans(m, T, H, D, sizes) : m, T, H, D, eta), H, T * D);
    }),
  );
  return { live, cos: [c0, c1] };
}

/**
 * Spearman–Brown's 2r / (1 + r) of the correlation r between the two halves' cosines over the pairs of
 * groups (0 when r ≤ 0; undefined when r is). The matrices may be sums over proxies: scale does not matter.
 */
export function halvesReliability(c0: ArrayLike<number>, c1: ArrayLike<number>, H: number): number | undefined {
  const a: number[] = [];
  const b: number[] = [];
  for (let x = 0; x < H; x++)
    for (let y = x + 1; y < H; y++) {
      a.push(c0[x * H + y]);
      b.push(c1[x * H + y]);
    }
  const r = pearson(a, b);
  if (r === undefined) return undefined;
  return r > 0 ? (2 * r) / (1 + r) : 0;
}

/**
 * Group trajectories from group means [T, G, D]: u_s = concat_t η_t·normalise(mean_t), each row scaled
 * to unit length, [G, T·D]. A zero mean at a checkpoint contributes nothing.
 */
export function unitGroupRows(means: Float64Array, T: number, G: number, D: number, eta: Float64Array): Float32Array {
  const u = new Float32Array(G * T * D);
  for (let gi = 0; gi < G; gi++) {
    let total = 0;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += means[(t * G + gi) * D + j] ** 2;
      const inv = s > 0 ? eta[t] / Math.sqrt(s) : 0;
      for (let j = 0; j < D; j++) {
        const v = means[(t * G + gi) * D + j] * inv;
        u[gi * T * D + t * D + j] = v;
        total += v * v;
      }
    }
    const inv = total > 0 ? 1 / Math.sqrt(total) : 0;
    for (let j = 0; j < T * D; j++) u[gi * T * D + j] *= inv;
  }
  return u;
}

/**
 * Group means [T, G, D] centred on the pool's mean gradient at each checkpoint (the size-weighted mean of
 * the group means, i.e. the mean over every grouped sample). The shared descent direction every sample
 * follows early in training otherwise dominates every cosine; centred, the cosines compare what sets
 * the groups apart (bench:capability-ablation, docs/method.md §1.2).
 */
export function centredMeans(means: Float64Array, T: number, G: number, D: number, sizes: Int32Array): Float64Array {
  let N = 0;
  for (let g = 0; g < G; g++) N += sizes[g];
  const centre = new Float64Array(T * D);
  if (N > 0)
    for (let t = 0; t < T; t++)
      for (let g = 0; g < G; g++) for (let j = 0; j < D; j++) centre[t * D + j] += (means[(t * G + g) * D + j] * sizes[g]) / N;
  const out = new Float64Array(means.length);
  for (let t = 0; t < T; t++)
    for (let g = 0; g < G; g++) for (let j = 0; j < D; j++) out[(t * G + g) * D + j] = means[(t * G + g) * D + j] - centre[t * D + j];
  return out;
}

/**
 * The trajectories-and-text graph's weights: max(0, trajectory cosine) × max(0, text cosine), so two
 * groups are linked only when they are learned alike *and* asked alike; either signal alone cannot join them.
 */
export function gateByText(trajCos: Float32Array, textCos: Float32Array): Float32Array {
  if (trajCos.length !== textCos.length) throw new Error('gateByText: the two cosine matrices differ in size');
  return Float32Array.from(trajCos, (v, i) => Math.max(0, v) * Math.max(0, textCos[i]));
}

/** Cosine matrix of unit rows u [G, W] (ORT GEMM). */
export async function cosineMatrix(u: Float32Array, G: number, W: number): Promise<Float32Array> {
  return matmulNT(u, G, W, u, G);
}

/**
 * Edges kept: above a fixed τ, or with τ = 'auto' each node's m strongest positive edges
 * (m = max(3, ⌈log2 G⌉), so no group is isolated) plus every positive edge above the 75th
 * percentile of off-diagonal cosines.
 */
export function thresholdEdges(
  cos: Float32Array,
  G: number,
  threshold: number | 'auto',
): { edges: [number, number, number][]; tau: number } {
  const keep = new Map<number, number>();
  const key = (a: number, b: number) => (a < b ? a * G + b : b * G + a);
  let tau: number;
  if (threshold === 'auto') {
    const off: number[] = [];
    for (let a = 0; a < G; a++) for (let b = a + 1; b < G; b++) off.push(cos[a * G + b]);
    off.sort((x, y) => x - y);
    tau = off.length ? off[Math.min(off.length - 1, Math.floor(off.length * 0.75))] : 0;
    const m = Math.max(3, Math.ceil(Math.log2(Math.max(2, G))));
    for (let a = 0; a < G; a++) {
      const order: number[] = [];
      for (let b = 0; b < G; b++) if (b !== a) order.push(b);
      order.sort((x, y) => cos[a * G + y] - cos[a * G + x] || x - y);
      for (const b of order.slice(0, m)) if (cos[a * G + b] > 0) keep.set(key(a, b), cos[a * G + b]);
    }
  } else tau = threshold;
  for (let a = 0; a < G; a++) for (let b = a + 1; b < G; b++) if (cos[a * G + b] > Math.max(tau, 0)) keep.set(key(a, b), cos[a * G + b]);
  const edges: [number, number, number][] = [...keep.entries()]
    .map(([k, w]) => [Math.floor(k / G), k % G, w] as [number, number, number])
    .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  return { edges, tau };
}

export interface Partition {
  community: Int32Array; // per group
  count: number;
  modularity: number;
  resolution: number;
}

function renumber(comm: ArrayLike<number>): { community: Int32Array; count: number } {
  const map = new Map<number, number>();
  const community = new Int32Array(comm.length);
  for (let i = 0; i < comm.length; i++) {
    if (!map.has(comm[i])) map.set(comm[i], map.size);
    community[i] = map.get(comm[i])!;
  }
  return { community, count: map.size };
}

export function louvainPartition(G: number, edges: [number, number, number][], resolution: number, rng: Rng): Partition {
  const graph = new Graph({ type: 'undirected' });
  for (let i = 0; i < G; i++) graph.addNode(String(i));
  for (const [a, b, w] of edges) graph.addEdge(String(a), String(b), { weight: w });
  if (edges.length === 0) {
    const { community, count } = renumber(Array.from({ length: G }, (_, i) => i));
    return { community, count, modularity: 0, resolution };
  }
  const r = rng.fork(`louvain:${resolution}`);
  const out = louvain.detailed(graph, { resolution, getEdgeWeight: 'weight', rng: () => r.next(), randomWalk: false });
  const { community, count } = renumber(Array.from({ length: G }, (_, i) => out.communities[String(i)]));
  return { community, count, modularity: out.modularity, resolution };
}

/** Average-linkage merge of the two most similar communities until `k` remain. */
export function mergeTo(
  part: Int32Array,
  count: number,
  cos: Float32Array,
  G: number,
  k: number,
): { community: Int32Array; count: number } {
  const comm = Int32Array.from(part);
  let c = count;
  while (c > k) {
    let best = -Infinity;
    let pa = 0;
    let pb = 1;
    const sums = new Float64Array(c * c);
    const sizes = new Int32Array(c);
    for (let a = 0; a < G; a++) sizes[comm[a]]++;
    for (let a = 0; a < G; a++) for (let b = 0; b < G; b++) if (a !== b) sums[comm[a] * c + comm[b]] += cos[a * G + b];
    for (let x = 0; x < c; x++)
      for (let y = x + 1; y < c; y++) {
        const avg = sums[x * c + y] / (sizes[x] * sizes[y]);
        if (avg > best) [best, pa, pb] = [avg, x, y];
      }
    for (let a = 0; a < G; a++) if (comm[a] === pb) comm[a] = pa;
    const re = renumber(comm);
    comm.set(re.community);
    c = re.count;
  }
  return { community: comm, count: c };
}

/**
 * Spread of a set of groups on the sphere, from cosines alone: with weights w (samples per group) and
 * m = Σ w_g u_g, Σ_g w_g (1 − cos(u_g, m/‖m‖)) = W − ‖m‖ and ‖m‖² = Σ_ab w_a w_b cos_ab.
 */
function dispersion(members: number[], cos: Float32Array, G: number, w: ArrayLike<number>): number {
  let W = 0;
  let m2 = 0;
  for (const a of members) {
    W += w[a];
    for (const b of members) m2 += w[a] * w[b] * cos[a * G + b];
  }
  return W - Math.sqrt(Math.max(0, m2));
}

/**
 * Splits a set of groups in two (weighted spherical 2-means on the cosines, deterministic): seeds are
 * the least similar pair, then each group goes to the side whose weighted mean direction it is closer to.
 */
export function bisect(members: number[], cos: Float32Array, G: number, w: ArrayLike<number>): [number[], number[]] {
  let sa = members[0];
  let sb = members[1];
  let worst = Infinity;
  for (const a of members) for (const b of members) if (a < b && cos[a * G + b] < worst) [worst, sa, sb] = [cos[a * G + b], a, b];
  let side = new Map<number, number>(members.map((g) => [g, cos[g * G + sa] >= cos[g * G + sb] ? 0 : 1]));
  side.set(sa, 0).set(sb, 1);
  for (let it = 0; it < 20; it++) {
    const parts = [members.filter((g) => side.get(g) === 0), members.filter((g) => side.get(g) === 1)];
    const norm = parts.map((p) =>
      Math.sqrt(
        Math.max(
          1e-12,
          p.reduce((s, a) => s + p.reduce((t, b) => t + w[a] * w[b] * cos[a * G + b], 0), 0),
        ),
      ),
    );
    const next = new Map<number, number>();
    for (const g of members) {
      const sim = parts.map((p, x) => p.reduce((s, b) => s + w[b] * cos[g * G + b], 0) / norm[x]);
      next.set(g, sim[0] >= sim[1] ? 0 : 1);
    }
    // Never empty a side: keep the seeds where they are.
    if (![...next.values()].includes(0)) next.set(sa, 0);
    if (![...next.values()].includes(1)) next.set(sb, 1);
    const same = members.every((g) => next.get(g) === side.get(g));
    side = next;
    if (same) break;
  }
  return [members.filter((g) => side.get(g) === 0), members.filter((g) => side.get(g) === 1)];
}

/**
 * Exactly k communities (k ≤ G): the most dispersed community (samples × spread, see `dispersion`)
 * is bisected while there are too few; the two most similar (average linkage) are merged while there
 * are too many. Deterministic.
 */
export function splitOrMergeTo(
  part: Int32Array,
  count: number,
  cos: Float32Array,
  G: number,
  k: number,
  sizes: ArrayLike<number>,
): { community: Int32Array; count: number } {
  const comm = Int32Array.from(part);
  let c = count;
  while (c < k) {
    let best = -1;
    let bv = -Infinity;
    const members: number[][] = Array.from({ length: c }, () => []);
    for (let g = 0; g < G; g++) members[comm[g]].push(g);
    for (let x = 0; x < c; x++) {
      if (members[x].length < 2) continue;
      const d = dispersion(members[x], cos, G, sizes);
      if (d > bv) [bv, best] = [d, x];
    }
    if (best < 0) break; // every community is one group: k > G
    const [, right] = bisect(members[best], cos, G, sizes);
    for (const g of right) comm[g] = c;
    c++;
  }
  if (c > k) return mergeTo(comm, c, cos, G, k);
  const re = renumber(comm);
  return { community: re.community, count: re.count };
}

/**
 * Communities with K discovered (Louvain; at least 2 when there are ≥ 2 groups) or forced: Louvain at
 * the given resolution, then split or merged to exactly min(k, G) (`splitOrMergeTo`).
 */
export function findCommunities(
  G: number,
  edges: [number, number, number][],
  cos: Float32Array,
  resolution: number,
  k: number | 'auto',
  rng: Rng,
  sizes: ArrayLike<number> = new Float64Array(G).fill(1),
): Partition {
  if (G <= 1) return { community: new Int32Array(G), count: G, modularity: 0, resolution };
  const part = louvainPartition(G, edges, resolution, rng);
  const target = k === 'auto' ? (part.count >= 2 ? part.count : 2) : Math.min(k, G);
  if (part.count === target) return part;
  const fixed = splitOrMergeTo(part.community, part.count, cos, G, target, sizes);
  return { ...part, community: fixed.community, count: fixed.count };
}

/** Anchors ḡ_k(t) = normalise(mean of the group means in C_k), [T, K, D]. */
export function anchors(
  means: Float64Array,
  T: number,
  G: number,
  D: number,
  community: Int32Array,
  K: number,
  sizes: Int32Array,
): Float32Array {
  const out = new Float32Array(T * K * D);
  for (let t = 0; t < T; t++) {
    const acc = new Float64Array(K * D);
    for (let g = 0; g < G; g++) {
      if (sizes[g] === 0) continue;
      const k = community[g];
      for (let j = 0; j < D; j++) acc[k * D + j] += means[(t * G + g) * D + j];
    }
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += acc[k * D + j] ** 2;
      const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
      for (let j = 0; j < D; j++) out[(t * K + k) * D + j] = acc[k * D + j] * inv;
    }
  }
  return out;
}
