// Random: a seeded uniform draw from the eligible samples (one per duplicate cluster), the baseline to beat.
import { eligibleList, take } from '../helpers';
import type { SelectionStrategy } from '../types';

export const random: SelectionStrategy = {
  name: 'random',
  needs: [],
  select(ctx, budget) {
    // A budget above the unique samples: the pipeline's budget note says so (budgetShortNote).
    return { strategy: 'random', selected: Int32Array.from(take(eligibleList(ctx, 'random'), budget, ctx.rng)), notes: [] };
  },
};
