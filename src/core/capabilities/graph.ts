// Group trajectories, the cosine graph among probe groups, community detection (Louvain) and the
// capability anchors (docs/method.md §1.2).
import Graph from 'graphology';
import louvain from 'graphology-communities-louvain';
import type { Trajectories } from '../gradients/types';
import { matmulNT } from '../ort/kernels';
import type { Rng } from '../util/rng';
import type { ProbeGroups } from './types';

/**
 * Per group and checkpoint the mean of its samples' normalised gradients, [T, G, D] (unnormalised),
 * and the group trajectories u_s = concat_t η_t·normalise(mean_t) as unit rows [G, T·D].
 */
export function groupMeans(traj: Trajectories, groups: ProbeGroups): { means: Float64Array; u: Float32Array } {
  const { T, D, n } = traj;
  const G = groups.names.length;
  const means = new Float64Array(T * G * D);
  const B = 8192;
  for (let t = 0; t < T; t++) {
    for (let s = 0; s < n; s += B) {
      const e = Math.min(n, s + B);
      const g = traj.slice(t, s, e);
      for (let i = s; i < e; i++) {
        const gi = groups.of[i];
        if (gi < 0) continue;
        const base = (t * G + gi) * D;
        const row = (i - s) * D;
        for (let j = 0; j < D; j++) means[base + j] += g[row + j];
      }
    }
  }
  for (let t = 0; t < T; t++)
    for (let gi = 0; gi < G; gi++) {
      const c = groups.sizes[gi];
      if (c > 0) for (let j = 0; j < D; j++) means[(t * G + gi) * D + j] /= c;
    }
  const u = new Float32Array(G * T * D);
  for (let gi = 0; gi < G; gi++) {
    let total = 0;
    for (let t = 0; t < T; t++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += means[(t * G + gi) * D + j] ** 2;
      const inv = s > 0 ? traj.eta[t] / Math.sqrt(s) : 0;
      for (let j = 0; j < D; j++) {
        const v = means[(t * G + gi) * D + j] * inv;
        u[gi * T * D + t * D + j] = v;
        total += v * v;
      }
    }
    const inv = total > 0 ? 1 / Math.sqrt(total) : 0;
    for (let j = 0; j < T * D; j++) u[gi * T * D + j] *= inv;
  }
  return { means, u };
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

/** Communities with K discovered (at least 2 when there are ≥ 2 groups) or forced. */
export function findCommunities(
  G: number,
  edges: [number, number, number][],
  cos: Float32Array,
  resolution: number,
  k: number | 'auto',
  rng: Rng,
): Partition {
  if (G <= 1) return { community: new Int32Array(G), count: G, modularity: 0, resolution };
  let part = louvainPartition(G, edges, resolution, rng);
  const target = k === 'auto' ? (part.count >= 2 ? part.count : 2) : Math.min(k, G);
  if (part.count === target) return part;
  if (part.count < target) {
    // Raise the resolution until there are enough communities; singletons as the last resort.
    let res = resolution;
    for (let i = 0; i < 12 && part.count < target; i++) {
      res *= 2;
      part = louvainPartition(G, edges, res, rng);
    }
    if (part.count < target) part = { community: Int32Array.from({ length: G }, (_, i) => i), count: G, modularity: 0, resolution: res };
  }
  const merged = mergeTo(part.community, part.count, cos, G, target);
  return { ...part, community: merged.community, count: merged.count };
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
