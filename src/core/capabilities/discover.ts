// Capability discovery end to end: probe groups → group trajectories → cosine graph → communities
// → anchors. Names, sizes and shares are filled after attribution (influence/attribute.ts).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import type { Rng } from '../util/rng';
import { anchors, cosineMatrix, findCommunities, groupMeans, thresholdEdges } from './graph';
import { chooseProbeGroups, trajectoryRows } from './probeGroups';
import { matmulNT } from '../ort/kernels';
import type { CapabilityModel, ProbeGroups } from './types';

export async function discoverCapabilities(
  pool: Pool,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
  opts: { labelCandidates: string[]; probe?: { groups: ProbeGroups; traj: Trajectories } },
): Promise<CapabilityModel> {
  // With a probe file, groups and their trajectories come from the probe samples; pool samples are
  // then placed in their nearest probe group (for coverage bins).
  const all = opts.probe?.groups ?? (await chooseProbeGroups(pool, traj, cfg, rng.fork('probe'), opts.labelCandidates));
  const groupTraj = opts.probe?.traj ?? traj;
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
  const { means, u } = groupMeans(groupTraj, probe);
  const cos = await cosineMatrix(u, G, T * D);
  const { edges, tau } = thresholdEdges(cos, G, cfg.capabilities.threshold);
  const part = findCommunities(G, edges, cos, cfg.capabilities.resolution, cfg.capabilities.k, rng.fork('communities'));
  const K = part.count;
  const groupsOf: number[][] = Array.from({ length: K }, () => []);
  for (let g = 0; g < G; g++) groupsOf[part.community[g]].push(g);
  const poolProbe = opts.probe ? { ...probe, of: await nearestGroup(traj, u, G), sizes: probe.sizes } : probe;
  return {
    K,
    probe: poolProbe,
    groupCapability: part.community,
    anchors: anchors(means, T, G, D, part.community, K, probe.sizes),
    graph: { edges, threshold: tau, resolution: part.resolution, modularity: part.modularity },
    capabilities: groupsOf.map((groups, index) => ({
      index,
      name: `capability ${index + 1}`,
      groups,
      size: 0,
      terms: [],
      labels: [],
      styles: [],
    })),
  };
}

/** Each pool sample's most similar probe group (cosine of its concatenated trajectory with u_s). */
async function nearestGroup(traj: Trajectories, u: Float32Array, G: number): Promise<Int32Array> {
  const W = traj.T * traj.D;
  const out = new Int32Array(traj.n);
  for (let s = 0; s < traj.n; s += 8192) {
    const e = Math.min(traj.n, s + 8192);
    const sims = await matmulNT(trajectoryRows(traj, s, e), e - s, W, u, G);
    for (let i = 0; i < e - s; i++) {
      let best = 0;
      for (let g = 1; g < G; g++) if (sims[i * G + g] > sims[i * G + best]) best = g;
      out[s + i] = best;
    }
  }
  return out;
}
