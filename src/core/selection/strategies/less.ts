// LESS (docs/method.md §5): the top samples by their best influence on any target group.
import { describeGroups, eligibleList, topBy } from '../helpers';
import type { SelectionStrategy } from '../types';
import { needGroupInfluence } from './groupInfluence';

export const less: SelectionStrategy = {
  name: 'less',
  needs: ['trajectories', 'groupInfluence'],
  select(ctx, budget) {
    const gi = needGroupInfluence(ctx, 'less');
    const { G, values } = gi;
    const live: number[] = [];
    for (let s = 0; s < G; s++) if (gi.sizes[s] > 0) live.push(s);
    if (live.length === 0) throw new Error('LESS needs at least one non-empty target group.');
    const score = new Float64Array(ctx.pool.n);
    for (let i = 0; i < ctx.pool.n; i++) {
      let best = -Infinity;
      for (const s of live) if (values[i * G + s] > best) best = values[i * G + s];
      score[i] = best;
    }
    const chosen = topBy(eligibleList(ctx, 'less'), (i) => score[i], budget);
    const notes = [
      `LESS: target groups are ${describeGroups(gi)}; score = max over groups of Σ_t η_t·cos(g(z,t), group mean gradient); top ${budget} by score.`,
      'Ranking by influence alone collapsed coverage in the reference experiment (docs/method.md §7); this is a baseline, not a recommendation.',
    ];
    return { strategy: 'less', selected: Int32Array.from(chosen), notes };
  },
};
