// Consensus communities and the automatic K (docs/method.md §1.2): the group graph is clustered R
// times on perturbed versions (a random 80% of the groups, each run with its own Louvain stream), each
// run split or merged to every candidate K (graph.ts `splitOrMergeTo`). K is chosen by stability
// (Ben-Hur et al. 2002; Lange et al. 2004): the candidate whose runs agree most, mean pairwise ARI on
// the groups two runs share (ARI is chance-corrected, so a small K gains nothing from chance
// agreement). The partition at that K (or at a forced K) is the consensus of the runs: average linkage
// on the co-association matrix (the share of runs holding both groups that put them together), cut at
// exactly K. It depends on the runs' agreement, not on one run's tie-breaking.
import { ari } from '../util/stats';
import type { Rng } from '../util/rng';
import { findCommunities, louvainPartition, splitOrMergeTo } from './graph';
import type { Partition } from './graph';

export interface ConsensusOptions {
  /** Perturbed clusterings. */
  runs: number;
  /** Share of groups each run keeps. */
  keep: number;
  /** Largest K 'auto' considers (and never more than half the groups a run keeps). */
  maxK: number;
}

export const CONSENSUS: ConsensusOptions = { runs: 20, keep: 0.8, maxK: 16 };

export interface ConsensusPartition extends Partition {
  /** Per candidate K: mean pairwise ARI between the perturbed runs (the stability K was chosen by). */
  stability: { k: number; ari: number }[];
}

/**
 * Communities of G groups: exactly min(k, G) for a forced k; for 'auto' the most stable K in
 * 2…min(maxK, ⌊keep·G/2⌋) (ties: the smaller K). Deterministic for a given rng.
 */
export function consensusCommunities(
  G: number,
  edges: [number, number, number][],
  cos: Float32Array,
  resolution: number,
  k: number | 'auto',
  rng: Rng,
  sizes: ArrayLike<number>,
  partition: 'consensus' | 'louvain' = 'consensus',
  opts: ConsensusOptions = CONSENSUS,
): ConsensusPartition {
  if (G <= 2) {
    const community = Int32Array.from({ length: G }, (_, g) => g);
    return { community, count: G, modularity: 0, resolution, stability: [] };
  }
  // 'auto' considers K up to half the groups a run keeps, so every run can say something about every K.
  const top = Math.max(2, Math.min(opts.maxK, Math.floor((opts.keep * G) / 2)));
  const Ks = k === 'auto' ? Array.from({ length: top - 1 }, (_, i) => i + 2) : [Math.max(1, Math.min(k, G))];
  // A forced K above half the kept groups: runs keep every group (only Louvain's stream varies).
  const keep = Ks[Ks.length - 1] <= Math.floor((opts.keep * G) / 2) ? opts.keep : 1;
  const runs = Array.from({ length: opts.runs }, (_, r) =>
    perturbedRun(G, edges, cos, resolution, Ks, rng.fork(`consensus:${r}`), sizes, keep),
  );
  const stability = Ks.map((K, j) => ({ k: K, ari: +meanPairwiseAri(runs.map((run) => run[j])).toFixed(4) }));
  let best = 0;
  stability.forEach((s, j) => {
    if (s.ari > stability[best].ari) best = j;
  });
  const K = Ks[best];
  // Only K from the runs: the partition is one Louvain run on the whole graph, split or merged to K.
  if (partition === 'louvain') return { ...findCommunities(G, edges, cos, resolution, K, rng.fork('modularity'), sizes), stability };
  const full = louvainPartition(G, edges, resolution, rng.fork('modularity'));
  const bestRuns = runs.map((run) => run[best]);
  const community = averageLinkage(coAssociation(bestRuns, G), G, K);
  return { community, count: K, modularity: full.modularity, resolution, stability };
}

/** One perturbed run: labels over all G groups (-1 where the group was left out), one array per K. */
function perturbedRun(
  G: number,
  edges: [number, number, number][],
  cos: Float32Array,
  resolution: number,
  Ks: number[],
  rng: Rng,
  sizes: ArrayLike<number>,
  keep: number,
): Int32Array[] {
  const groups: number[] = [];
  for (let g = 0; g < G; g++) if (keep >= 1 || rng.next() < keep) groups.push(g);
  const m = groups.length;
  const local = new Int32Array(G).fill(-1);
  groups.forEach((g, i) => (local[g] = i));
  const sub: [number, number, number][] = [];
  for (const [a, b, w] of edges) if (local[a] >= 0 && local[b] >= 0) sub.push([local[a], local[b], w]);
  const subCos = new Float32Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) subCos[i * m + j] = cos[groups[i] * G + groups[j]];
  const subSizes = Float64Array.from(groups, (g) => sizes[g]);
  const part = louvainPartition(m, sub, resolution, rng);
  // Splits are incremental (K + 1 bisects one more community of K), so each K ≥ Louvain's count starts from the last.
  let base: { community: Int32Array; count: number } = part;
  return Ks.map((K) => {
    const labels = new Int32Array(G).fill(-1);
    // A run that kept fewer groups than K says nothing about K.
    if (m < K) return labels;
    const res = splitOrMergeTo(
      K >= part.count ? base.community : part.community,
      K >= part.count ? base.count : part.count,
      subCos,
      m,
      K,
      subSizes,
    );
    if (K >= part.count) base = res;
    groups.forEach((g, i) => (labels[g] = res.community[i]));
    return labels;
  });
}

/** Mean ARI over pairs of runs, each pair on the groups both hold. */
export function meanPairwiseAri(labels: Int32Array[]): number {
  let sum = 0;
  let pairs = 0;
  for (let r = 0; r < labels.length; r++)
    for (let s = r + 1; s < labels.length; s++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let g = 0; g < labels[r].length; g++)
        if (labels[r][g] >= 0 && labels[s][g] >= 0) {
          a.push(labels[r][g]);
          b.push(labels[s][g]);
        }
      if (a.length < 2) continue;
      sum += ari(a, b);
      pairs++;
    }
  return pairs ? sum / pairs : 0;
}

/** Co-association [G, G]: the share of runs holding both groups that put them in one community (1 on the diagonal). */
export function coAssociation(labels: Int32Array[], G: number): Float64Array {
  const together = new Float64Array(G * G);
  const both = new Float64Array(G * G);
  for (const l of labels)
    for (let a = 0; a < G; a++) {
      if (l[a] < 0) continue;
      for (let b = 0; b < G; b++) {
        if (l[b] < 0) continue;
        both[a * G + b]++;
        if (l[a] === l[b]) together[a * G + b]++;
      }
    }
  return together.map((t, i) => (both[i] ? t / both[i] : Math.floor(i / G) === i % G ? 1 : 0));
}

/**
 * Average-linkage agglomeration on a similarity matrix [G, G] down to exactly k clusters (k ≤ G); the
 * most similar pair merges first, ties by the smallest indices. Clusters are numbered by first group.
 */
export function averageLinkage(sim: Float64Array, G: number, k: number): Int32Array {
  const size = new Float64Array(G).fill(1);
  const alive = new Uint8Array(G).fill(1);
  const S = Float64Array.from(sim);
  const owner = Int32Array.from({ length: G }, (_, g) => g);
  for (let c = G; c > k; c--) {
    let best = -Infinity;
    let pa = -1;
    let pb = -1;
    for (let a = 0; a < G; a++) {
      if (!alive[a]) continue;
      for (let b = a + 1; b < G; b++) if (alive[b] && S[a * G + b] > best) [best, pa, pb] = [S[a * G + b], a, b];
    }
    // Merge pb into pa: the new cluster's average similarity to every other (Lance–Williams).
    for (let x = 0; x < G; x++) {
      if (!alive[x] || x === pa || x === pb) continue;
      const v = (size[pa] * S[pa * G + x] + size[pb] * S[pb * G + x]) / (size[pa] + size[pb]);
      S[pa * G + x] = S[x * G + pa] = v;
    }
    size[pa] += size[pb];
    alive[pb] = 0;
    for (let g = 0; g < G; g++) if (owner[g] === pb) owner[g] = pa;
  }
  const ids = new Map<number, number>();
  return Int32Array.from(owner, (o) => {
    if (!ids.has(o)) ids.set(o, ids.size);
    return ids.get(o)!;
  });
}
