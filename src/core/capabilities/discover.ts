// Capability discovery end to end: probe groups → group trajectories → cosine graph → communities
// → anchors. Names, sizes and shares are filled after attribution (influence/attribute.ts).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import { Rng } from '../util/rng';
import { Float32Scratch } from '../util/scratch';
import {
  anchors,
  centredMeans,
  cosineMatrix,
  findCommunities,
  gateByText,
  groupMeans,
  halfCosines,
  halvesReliability,
  louvainPartition,
  splitOrMergeTo,
  thresholdEdges,
  unitGroupRows,
} from './graph';
import { groupTextCosines } from './textGroups';
import { chooseProbeGroups, clusterRows, trajectoryRows } from './probeGroups';
import { consensusCommunities } from './consensus';
import { rowArgmax } from './kmeansSteps';
import type { HalfMeans, Partition } from './graph';
import { PROXY_ENSEMBLE, proxiesForReliability, proxyAgreement, proxyCap, upperTriangle } from './ensemble';
import { matmulNT } from '../ort/kernels';
import type { CapabilityModel, MoreProxies, ProbeGroups, ProxyCosines, ProxyCosinesMemo, SubCapability, TextGroupsMemo } from './types';

/** At most this many sub-capabilities per capability. */
export const MAX_CHILDREN = 8;

export async function discoverCapabilities(
  pool: Pool,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
  opts: {
    labelCandidates: string[];
    probe?: { groups: ProbeGroups; traj: Trajectories };
    textGroups?: TextGroupsMemo;
    /** More proxies' trajectories of the pool (r = 1, 2, …; `traj` is proxy 0), for the graph's ensemble (ensemble.ts). */
    moreProxies?: MoreProxies;
    /** Keeps each extra proxy's cosines (the run's cache): on a hit the proxy is not trained. */
    proxyCosines?: ProxyCosinesMemo;
  },
): Promise<CapabilityModel> {
  // With a probe file, groups and their trajectories come from the probe samples; pool samples are
  // then placed in their nearest probe group (for coverage bins).
  const groupSeed = cfg.capabilities.groupSeed;
  const probeRng = groupSeed === undefined ? rng.fork('probe') : new Rng(groupSeed).fork('probe');
  // Forked before the groups draw from probeRng: the text centroids' sample depends on the seed alone.
  const textRng = probeRng.fork('text-centroids');
  // The text k-means table and the text centroids' sums, each tens of MB at 45K rows, share one buffer.
  const scratch = new Float32Scratch();
  let all =
    opts.probe?.groups ?? (await chooseProbeGroups(pool, traj, cfg, probeRng, opts.labelCandidates, { memo: opts.textGroups, scratch }));
  const groupTraj = opts.probe?.traj ?? traj;
  // A forced K needs at least K groups: split the largest groups (2-means on their trajectories).
  const wanted = cfg.capabilities.k;
  if (typeof wanted === 'number') all = await refineGroups(all, groupTraj, wanted, rng.fork('refine'));
  // Empty groups (possible with labels on invalid rows only) take no part in the graph.
  const live = all.names.map((_, g) => g).filter((g) => all.sizes[g] > 0);
  const remap = new Int32Array(all.names.length).fill(-1);
  live.forEach((g, i) => (remap[g] = i));
  const probe: ProbeGroups = {
    ...all,
    names: live.map((g) => all.names[g]),
    sizes: Int32Array.from(live, (g) => all.sizes[g]),
    of: Int32Array.from(all.of, (g) => (g >= 0 ? remap[g] : -1)),
  };
  const G = probe.names.length;
  if (G < 2) throw new Error(`Capability discovery needs at least 2 probe groups; found ${G}.`);
  const { T, D } = traj;
  // A seeded half of the samples, for the split-half reliability of the graph's trajectory cosines.
  const halfRng = rng.fork('reliability');
  const half = Uint8Array.from({ length: groupTraj.n }, () => halfRng.int(2));
  const { means, u, halves } = groupMeans(groupTraj, probe, half);
  // Text-formed groups: centred trajectories gated by the groups' text similarity (config.graph).
  const textGated =
    (cfg.capabilities.graph ?? 'trajectories') === 'trajectories-and-text' &&
    !opts.probe &&
    probe.source === 'clusters' &&
    probe.signal === 'text';
  // The trajectory cosines the graph uses (centred when gated by text), averaged over the proxies.
  const trajectoryCosines = (m: Float64Array, rows: Float32Array, eta: Float64Array) =>
    textGated ? cosineMatrix(unitGroupRows(centredMeans(m, T, G, D, probe.sizes), T, G, D, eta), G, T * D) : cosineMatrix(rows, G, T * D);
  const ensemble = await proxyEnsemble(
    { cos: await trajectoryCosines(means, u, groupTraj.eta), halves: halves!, eta: groupTraj.eta },
    { probe, half, T, D, centred: textGated, trajectoryCosines },
    cfg.capabilities.proxies ?? 1,
    opts.probe ? undefined : opts.moreProxies,
    opts.proxyCosines,
  );
  const cos = textGated ? gateByText(ensemble.cos, await groupTextCosines(pool, probe.of, G, textRng, undefined, scratch)) : ensemble.cos;
  const { edges, tau } = thresholdEdges(cos, G, cfg.capabilities.threshold);
  const reliability = ensemble.reliability;
  const c = cfg.capabilities;
  const part: Partition & { stability?: { k: number; ari: number }[] } =
    (c.communities ?? 'louvain') !== 'louvain'
      ? consensusCommunities(
          G,
          edges,
          cos,
          c.resolution,
          c.k,
          rng.fork('communities'),
          probe.sizes,
          c.communities === 'stable-k' ? 'louvain' : 'consensus',
        )
      : findCommunities(G, edges, cos, c.resolution, c.k, rng.fork('communities'), probe.sizes);
  const K = part.count;
  const groupsOf: number[][] = Array.from({ length: K }, () => []);
  for (let g = 0; g < G; g++) groupsOf[part.community[g]].push(g);
  const poolProbe = opts.probe ? { ...probe, of: await nearestGroup(traj, u, G), sizes: probe.sizes } : probe;
  const children = groupsOf.map((groups) => subCapabilities(groups, edges, cos, G, means, T, D, probe.sizes, rng.fork('children')));
  return {
    K,
    probe: poolProbe,
    groupCapability: part.community,
    anchors: anchors(means, T, G, D, part.community, K, probe.sizes),
    graph: {
      edges,
      threshold: tau,
      resolution: part.resolution,
      modularity: part.modularity,
      ...(reliability !== undefined ? { reliability } : {}),
      proxies: ensemble.proxies,
      ...(ensemble.agreement !== undefined ? { proxyAgreement: ensemble.agreement } : {}),
      ...(part.stability ? { stability: part.stability } : {}),
    },
    capabilities: groupsOf.map((groups, index) => ({
      index,
      name: `capability ${index + 1}`,
      groups,
      size: 0,
      terms: [],
      labels: [],
      styles: [],
      examples: [],
      children: children[index],
    })),
  };
}

/**
 * The graph's trajectory cosines as the mean over proxies (ensemble.ts): proxy 0's, then proxy r = 1, 2, …
 * from `more` while the setting asks for them — a fixed count, or with 'auto' until the Spearman–Brown
 * prophecy from the proxies' measured agreement reaches the target, within the budget's cap. Each extra
 * proxy is reduced to its group means at once and let go, and its cosines go through `memo` (the cache:
 * a proxy whose cosines it holds for these groups is not trained). Also the split-half reliability of
 * the mean graph (both halves averaged over the proxies alike).
 */
async function proxyEnsemble(
  first: { cos: Float32Array; halves: [HalfMeans, HalfMeans]; eta: Float64Array },
  ctx: {
    probe: ProbeGroups;
    half: Uint8Array;
    T: number;
    D: number;
    centred: boolean;
    trajectoryCosines: (means: Float64Array, rows: Float32Array, eta: Float64Array) => Promise<Float32Array>;
  },
  setting: number | 'auto',
  more: MoreProxies | undefined,
  memo?: ProxyCosinesMemo,
): Promise<{ cos: Float32Array; reliability?: number; proxies: number; agreement?: number }> {
  const { probe, half, T, D, centred } = ctx;
  const G = probe.names.length;
  const sum = Float64Array.from(first.cos);
  const tri = [upperTriangle(first.cos, G)];
  const h0 = await halfCosines(first.halves, T, G, D, first.eta, centred);
  const halfSums = h0 ? h0.cos.map((c) => Float64Array.from(c)) : undefined;
  // 'auto' measures the proxies' agreement over pairs of groups (Pearson needs 3 pairs, so 3 groups);
  // with fewer groups it has nothing to measure and keeps one proxy, as it does when no pair correlates.
  const cap = more && (setting !== 'auto' || G >= 3) ? proxyCap(setting, probe.of.length) : 1;
  let want = cap;
  let R = 1;
  let agreement: number | undefined;
  const basis = { of: probe.of, G, half, H: h0 ? h0.live.length : 0, centred };
  const compute = async (r: number): Promise<ProxyCosines> => {
    const traj = await more!(r);
    const gm = groupMeans(traj, probe, half);
    const cos = await ctx.trajectoryCosines(gm.means, gm.u, traj.eta);
    const h = h0 && (await halfCosines(gm.halves!, T, G, D, traj.eta, centred));
    return { cos, ...(h ? { halves: h.cos } : {}) };
  };
  while (R < want) {
    const r = R;
    const { cos: c, halves: h } = memo ? await memo(r, basis, () => compute(r)) : await compute(r);
    for (let i = 0; i < sum.length; i++) sum[i] += c[i];
    tri.push(upperTriangle(c, G));
    if (halfSums && h) for (let k = 0; k < 2; k++) for (let i = 0; i < halfSums[k].length; i++) halfSums[k][i] += h[k][i];
    R++;
    agreement = proxyAgreement(tri);
    if (setting === 'auto') want = agreement === undefined ? R : Math.min(cap, proxiesForReliability(agreement, PROXY_ENSEMBLE.target));
  }
  const reliability = halfSums && h0 ? halvesReliability(halfSums[0], halfSums[1], h0.live.length) : undefined;
  return {
    cos: Float32Array.from(sum, (v) => v / R),
    ...(reliability !== undefined ? { reliability } : {}),
    proxies: R,
    ...(agreement !== undefined ? { agreement } : {}),
  };
}

/**
 * A capability's sub-capabilities: Louvain on the subgraph of its groups, split or merged to between 2
 * and MAX_CHILDREN communities; none when it has a single group. Each gets its anchor (as capabilities do).
 */
function subCapabilities(
  groups: number[],
  edges: [number, number, number][],
  cos: Float32Array,
  G: number,
  means: Float64Array,
  T: number,
  D: number,
  sizes: Int32Array,
  rng: Rng,
): SubCapability[] {
  const m = groups.length;
  if (m < 2) return [];
  const local = new Map(groups.map((g, i) => [g, i]));
  const sub: [number, number, number][] = [];
  for (const [a, b, w] of edges) if (local.has(a) && local.has(b)) sub.push([local.get(a)!, local.get(b)!, w]);
  const subCos = new Float32Array(m * m);
  for (let i = 0; i < m; i++) for (let j = 0; j < m; j++) subCos[i * m + j] = cos[groups[i] * G + groups[j]];
  const subSizes = Int32Array.from(groups, (g) => sizes[g]);
  const part = louvainPartition(m, sub, 1, rng);
  const target = Math.max(2, Math.min(MAX_CHILDREN, part.count));
  const fixed = part.count === target ? part : splitOrMergeTo(part.community, part.count, subCos, m, target, subSizes);
  const kids: number[][] = Array.from({ length: fixed.count }, () => []);
  groups.forEach((g, i) => kids[fixed.community[i]].push(g));
  const community = new Int32Array(G).fill(-1);
  kids.forEach((list, j) => list.forEach((g) => (community[g] = j)));
  const a = anchors(
    means,
    T,
    G,
    D,
    community,
    kids.length,
    Int32Array.from(sizes, (s, g) => (community[g] >= 0 ? s : 0)),
  );
  return kids.map((list, j) => {
    const anchor = new Float32Array(T * D);
    for (let t = 0; t < T; t++) anchor.set(a.subarray((t * kids.length + j) * D, (t * kids.length + j + 1) * D), t * D);
    return { index: j, name: '', groups: list, anchor, size: 0, terms: [], examples: [] };
  });
}

/**
 * At least `k` groups, when the pool has the samples: the largest group is split in two by spherical
 * 2-means on its samples' trajectories until there are k (names get `/1`, `/2`). Groups of one sample stay.
 */
async function refineGroups(groups: ProbeGroups, traj: Trajectories, k: number, rng: Rng): Promise<ProbeGroups> {
  let live = 0;
  for (const s of groups.sizes) if (s > 0) live++;
  if (live >= k) return groups;
  const of = Int32Array.from(groups.of);
  const names = groups.names.slice();
  const sizes = Array.from(groups.sizes);
  const W = traj.T * traj.D;
  while (live < k) {
    let big = -1;
    for (let g = 0; g < sizes.length; g++) if (sizes[g] >= 2 && (big < 0 || sizes[g] > sizes[big])) big = g;
    if (big < 0) break;
    const members = Int32Array.from(of.keys()).filter((i) => of[i] === big);
    const src = { n: members.length, width: W, rowsOf: async (idx: ArrayLike<number>) => gatherMembers(traj, members, idx) };
    const two = await clusterRows(src, 2, rng.fork(`split:${names[big]}`), 2000);
    let moved = 0;
    const fresh = names.length;
    members.forEach((i, r) => {
      if (two[r] === 1) {
        of[i] = fresh;
        moved++;
      }
    });
    if (moved === 0 || moved === members.length) {
      // Identical trajectories: split by pool order instead.
      moved = Math.floor(members.length / 2);
      members.forEach((i, r) => (of[i] = r < moved ? big : fresh));
    }
    names.push(`${names[big]}/2`);
    names[big] = `${names[big]}/1`;
    sizes.push(moved);
    sizes[big] -= moved;
    live++;
  }
  return { ...groups, names, of, sizes: Int32Array.from(sizes) };
}

function gatherMembers(traj: Trajectories, members: Int32Array, idx: ArrayLike<number>): Float32Array {
  const W = traj.T * traj.D;
  const out = new Float32Array(idx.length * W);
  for (let r = 0; r < idx.length; r++) out.set(trajectoryRows(traj, members[idx[r]], members[idx[r]] + 1), r * W);
  return out;
}

/** Each pool sample's most similar probe group (cosine of its concatenated trajectory with u_s). */
async function nearestGroup(traj: Trajectories, u: Float32Array, G: number): Promise<Int32Array> {
  const W = traj.T * traj.D;
  const out = new Int32Array(traj.n);
  for (let s = 0; s < traj.n; s += 8192) {
    const e = Math.min(traj.n, s + 8192);
    rowArgmax(await matmulNT(trajectoryRows(traj, s, e), e - s, W, u, G), e - s, G, out, s);
  }
  return out;
}
