// Capability discovery end to end: probe groups → group trajectories → cosine graph → communities
// → anchors. Names, sizes and shares are filled after attribution (influence/attribute.ts).
import type { CurationConfig } from '../config';
import type { Pool } from '../features/types';
import type { Trajectories } from '../gradients/types';
import type { Rng } from '../util/rng';
import { anchors, cosineMatrix, findCommunities, groupMeans, thresholdEdges } from './graph';
import { chooseProbeGroups } from './probeGroups';
import type { CapabilityModel, ProbeGroups } from './types';

export async function discoverCapabilities(
  pool: Pool,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
  opts: { labelCandidates: string[]; probe?: ProbeGroups },
): Promise<CapabilityModel> {
  const all = opts.probe ?? (await chooseProbeGroups(pool, traj, cfg, rng.fork('probe'), opts.labelCandidates));
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
  const { means, u } = groupMeans(traj, probe);
  const cos = await cosineMatrix(u, G, T * D);
  const { edges, tau } = thresholdEdges(cos, G, cfg.capabilities.threshold);
  const part = findCommunities(G, edges, cos, cfg.capabilities.resolution, cfg.capabilities.k, rng.fork('communities'));
  const K = part.count;
  const groupsOf: number[][] = Array.from({ length: K }, () => []);
  for (let g = 0; g < G; g++) groupsOf[part.community[g]].push(g);
  return {
    K,
    probe,
    groupCapability: part.community,
    anchors: anchors(means, T, G, D, part.community, K, probe.sizes),
    graph: { edges, threshold: tau, resolution: part.resolution, modularity: part.modularity },
    capabilities: groupsOf.map((groups, index) => ({ index, name: `capability ${index + 1}`, groups, size: 0, terms: [], labels: [], styles: [] })),
  };
}
