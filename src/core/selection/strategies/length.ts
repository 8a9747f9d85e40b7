// Length (docs/method.md §5): the longest (or shortest) answers first.
import { eligibleList, topBy } from '../helpers';
import type { SelectionStrategy } from '../types';

export const length: SelectionStrategy = {
  name: 'length',
  needs: [],
  select(ctx, budget) {
    const order = ctx.config.selection.lengthOrder;
    const sign = order === 'shortest' ? -1 : 1;
    const chars = ctx.pool.answerChars;
    const chosen = topBy(eligibleList(ctx, 'length'), (i) => sign * chars[i], budget);
    const notes = [`Length: the ${order} answers first (characters of all assistant turns), ties by pool order.`];
    return { strategy: 'length', selected: Int32Array.from(chosen), notes };
  },
};
