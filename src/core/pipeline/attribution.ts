// A run's per-sample attribution row (the attributions JSONL, the cache's table, a hover) and the
// stage ids (`s<k>`, 1-based) it is written with (capability ids: capabilities/ids.ts).
import { capabilityId } from '../capabilities/ids';
import { STYLES } from '../features/types';
import { round6 } from '../util/stableJson';
import type { AttributionRow } from '../store/attributionTable';
import type { CurationRun } from './api';

function stageId(s: number): string {
  return `s${s + 1}`;
}

export function attributionOf(run: CurationRun, i: number): AttributionRow {
  const { pool, attribution, trajectories } = run;
  const K = attribution.K;
  const influence: Record<string, number> = {};
  for (let k = 0; k < K; k++) influence[capabilityId(k)] = round6(attribution.influence[i * K + k]);
  const T = trajectories.T;
  const stage = run.stageOf[i];
  return {
    line: pool.lines[i],
    id: pool.ids[i],
    capability: capabilityId(attribution.hard[i]),
    influence,
    selfInfluence: round6(attribution.selfInfluence[i]),
    loss: round6(trajectories.loss[i * T + T - 1]),
    style: STYLES[pool.primaryStyle[i]] ?? 'unknown',
    selected: stage >= 0,
    stage: stage >= 0 ? stageId(stage) : null,
  };
}
