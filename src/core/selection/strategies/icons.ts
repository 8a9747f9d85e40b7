// ICONS (docs/method.md §5): samples ranked by how many target groups' influence columns they
// exceed at a quantile (votes), then by mean influence.
import { nearestRank } from '../../util/stats';
import { describeGroups, eligibleList } from '../helpers';
import type { SelectionStrategy } from '../types';
import { needGroupInfluence } from './groupInfluence';

export const icons: SelectionStrategy = {
  name: 'icons',
  needs: ['trajectories', 'groupInfluence'],
  select(ctx, budget) {
    const gi = needGroupInfluence(ctx, 'icons');
    const p = ctx.config.selection.iconsPercentile;
    if (!(p > 0 && p < 1)) throw new Error(`selection.iconsPercentile must be in (0, 1), got ${p}.`);
    const { G, values } = gi;
    const list = eligibleList(ctx, 'icons');
    const votes = new Int32Array(ctx.pool.n);
    const mean = new Float64Array(ctx.pool.n);
    let live = 0;
    const col = new Float64Array(list.length);
    for (let s = 0; s < G; s++) {
      if (gi.sizes[s] === 0) continue;
      live++;
      list.forEach((i, r) => (col[r] = values[i * G + s]));
      const cut = nearestRank(Float64Array.from(col).sort(), p);
      for (const i of list) {
        if (values[i * G + s] > cut) votes[i]++;
        mean[i] += values[i * G + s];
      }
    }
    if (live === 0) throw new Error('ICONS needs at least one non-empty target group.');
    const chosen = sortIcons(list, votes, mean, budget);
    let voted = 0;
    for (const i of list) if (votes[i] > 0) voted++;
    const notes = [
      `ICONS: target groups are ${describeGroups(gi)}; a sample gets a vote from each group whose influence column (over the eligible samples) it exceeds at the ${p} quantile; top ${budget} by votes, ties by mean influence over the groups, then pool order.`,
      `${voted} eligible samples got at least one vote.`,
    ];
    return { strategy: 'icons', selected: Int32Array.from(chosen), notes };
  },
};

function sortIcons(list: number[], votes: Int32Array, mean: Float64Array, budget: number): number[] {
  return list
    .slice()
    .sort((a, b) => votes[b] - votes[a] || mean[b] - mean[a] || a - b)
    .slice(0, budget);
}
