// Staged sequencing: capabilities ordered by how early their mean self-influence decays along the
// trajectory (learned-first first), one stage per capability, seeded shuffle inside a stage.
import type { CurationConfig } from '../config';
import type { CapabilityModel } from '../capabilities/types';
import type { Trajectories } from '../gradients/types';
import type { Attribution } from '../influence/types';
import type { SelectionResult } from '../selection/types';
import type { Rng } from '../util/rng';
import type { Stage } from './types';

/** Mean η_t·‖∇ℓ‖² per checkpoint over the given samples. */
export function selfInfluenceCurve(traj: Trajectories, samples: ArrayLike<number>): number[] {
  const T = traj.T;
  const out = new Array<number>(T).fill(0);
  for (let j = 0; j < samples.length; j++) {
    const i = samples[j];
    for (let t = 0; t < T; t++) out[t] += traj.eta[t] * traj.gradNormSq[i * T + t];
  }
  return out.map((v) => (samples.length ? v / samples.length : 0));
}

export function lossCurve(traj: Trajectories, samples: ArrayLike<number>): number[] {
  const T = traj.T;
  const out = new Array<number>(T).fill(0);
  for (let j = 0; j < samples.length; j++) for (let t = 0; t < T; t++) out[t] += traj.loss[samples[j] * T + t];
  return out.map((v) => (samples.length ? v / samples.length : 0));
}

/** Normalised area under the self-influence curve: smaller = decays earlier = learned first. */
export function decayScore(curve: number[]): number {
  const first = curve[0];
  if (!(first > 0)) return Infinity;
  return curve.reduce((a, v) => a + v / first, 0);
}

export function buildStages(
  selection: SelectionResult,
  attribution: Attribution,
  model: CapabilityModel,
  traj: Trajectories,
  cfg: CurationConfig,
  rng: Rng,
): Stage[] {
  const K = model.K;
  const byCap: number[][] = Array.from({ length: K }, () => []);
  for (const i of selection.selected) byCap[attribution.hard[i]].push(i);
  if (cfg.curriculum.order === 'none') {
    const all = Int32Array.from(selection.selected);
    rng.fork('s0').shuffle(all);
    return [
      {
        index: 0,
        name: 'All capabilities',
        kind: 'capability',
        capabilities: byCap.map((_, k) => k).filter((k) => byCap[k].length > 0),
        samples: all,
      },
    ];
  }
  const order = byCap
    .map((list, k) => ({ k, score: decayScore(selfInfluenceCurve(traj, list)) }))
    .filter(({ k }) => byCap[k].length > 0)
    .sort((a, b) => a.score - b.score || a.k - b.k);
  return order.map(({ k }, s) => {
    const samples = Int32Array.from(byCap[k]).sort();
    rng.fork(`stage:${k}`).shuffle(samples);
    return { index: s, name: model.capabilities[k].name, kind: 'capability', capabilities: [k], samples };
  });
}
