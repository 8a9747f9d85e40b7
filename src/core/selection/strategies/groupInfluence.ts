// The per-target-group influence LESS and ICONS rank by (docs/method.md §5), computed in onnxruntime
// before selection (`prepareSelection`), and the check a strategy makes before it uses it.
import type { CurationConfig } from '../../config';
import { groupMeans } from '../../capabilities/graph';
import { probeGroupsFromLabels } from '../../capabilities/probeGroups';
import type { CapabilityModel, ProbeGroups } from '../../capabilities/types';
import type { Pool } from '../../features/types';
import type { Trajectories } from '../../gradients/types';
import { trajectoryInfluence } from '../../influence/attribute';
import { resolveTaskGroups } from '../helpers';
import type { TaskGroups } from '../helpers';
import type { GroupInfluence, SelectionContext, SelectionStrategy } from '../types';

function groupInfluenceKey(g: TaskGroups, capabilities?: CapabilityModel): string {
  return g.source === 'label' ? `label:${g.field}` : `probe:${capabilities?.probe.source}:${g.names.length}`;
}

/**
 * Influence of every sample on every target group: Σ_t η_t cos(g(z,t), ḡ_s(t)), ḡ_s(t) the group's
 * mean normalised gradient (graph.ts `groupMeans`, normalised here). The n×G products run in ORT
 * through `trajectoryInfluence`, as capability influence does. Samples without a label are scored but
 * are in no target group.
 */
export async function computeGroupInfluence(
  pool: Pool,
  config: CurationConfig,
  traj: Trajectories,
  capabilities?: CapabilityModel,
): Promise<GroupInfluence> {
  const tg = resolveTaskGroups(pool, config, capabilities);
  const groups: ProbeGroups =
    tg.source === 'label'
      ? probeGroupsFromLabels(pool, tg.field!)
      : { source: capabilities!.probe.source, names: tg.names, of: tg.of, sizes: capabilities!.probe.sizes };
  const { T, D } = traj;
  const G = groups.names.length;
  const { means } = groupMeans(traj, groups);
  // Each group's mean gradient per checkpoint, normalised: the anchors [T, G, D].
  const anchors = new Float32Array(T * G * D);
  for (let r = 0; r < T * G; r++) {
    let ss = 0;
    for (let j = 0; j < D; j++) ss += means[r * D + j] ** 2;
    const inv = ss > 0 ? 1 / Math.sqrt(ss) : 0;
    for (let j = 0; j < D; j++) anchors[r * D + j] = means[r * D + j] * inv;
  }
  const values = await trajectoryInfluence(traj, anchors, G);
  return {
    key: groupInfluenceKey(tg, capabilities),
    source: tg.source,
    field: tg.field,
    names: groups.names.slice(),
    sizes: Int32Array.from(groups.sizes),
    G,
    values,
  };
}

/**
 * The asynchronous part of selection, run before `select`: the per-group influence when the
 * strategy needs it (reusing `existing` when it was computed for the same target groups).
 */
export async function prepareSelection(args: {
  pool: Pool;
  config: CurationConfig;
  strategy: SelectionStrategy;
  trajectories?: Trajectories;
  capabilities?: CapabilityModel;
  existing?: GroupInfluence;
}): Promise<GroupInfluence | undefined> {
  const { pool, config, strategy, trajectories, capabilities, existing } = args;
  if (!strategy.needs.includes('groupInfluence')) return existing;
  const key = groupInfluenceKey(resolveTaskGroups(pool, config, capabilities), capabilities);
  if (existing?.key === key) return existing;
  if (!trajectories) throw new Error(`The ${strategy.name} strategy needs learning trajectories.`);
  return computeGroupInfluence(pool, config, trajectories, capabilities);
}

export function needGroupInfluence(ctx: SelectionContext, name: string): GroupInfluence {
  const gi = ctx.groupInfluence;
  if (!gi)
    throw new Error(
      `The ${name} strategy needs the per-group influence: compute it first with prepareSelection (the pipeline does; reselectAsync for a re-selection).`,
    );
  if (gi.values.length !== ctx.pool.n * gi.G)
    throw new Error(`The per-group influence is for another pool (${gi.values.length / Math.max(1, gi.G)} samples, not ${ctx.pool.n}).`);
  return gi;
}
