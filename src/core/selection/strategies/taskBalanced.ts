// Task-balanced (Vision-Flan §3): the budget split evenly over tasks (water-filling), seeded random
// inside each task.
import { describeGroups, eligibleList, NO_LABEL, resolveTaskGroups, take, waterFill } from '../helpers';
import type { SelectionStrategy } from '../types';

export const taskBalanced: SelectionStrategy = {
  name: 'task-balanced',
  needs: [],
  select(ctx, budget) {
    const tg = resolveTaskGroups(ctx.pool, ctx.config, ctx.capabilities);
    const names = [...tg.names, NO_LABEL];
    const members: number[][] = names.map(() => []);
    for (const i of eligibleList(ctx, 'task-balanced')) members[tg.of[i] >= 0 ? tg.of[i] : names.length - 1].push(i);
    const sizes = members.map((m) => m.length);
    const tasks = sizes.filter((x) => x > 0).length;
    const quotas = waterFill(budget, sizes);
    const chosen: number[] = [];
    quotas.forEach((q, j) => {
      if (q > 0) chosen.push(...take(members[j], q, ctx.rng.fork(`task:${j}`)));
    });
    const cap = tasks ? Math.floor(budget / tasks) : 0;
    const notes = [
      `Task-balanced over ${describeGroups(tg)}: ${tasks} non-empty tasks, cap ⌊${budget}/${tasks}⌋ = ${cap} each, seeded random within a task.`,
    ];
    if (sizes[names.length - 1] > 0)
      notes.push(`${sizes[names.length - 1]} unique samples without a label form their own task '${NO_LABEL}'.`);
    const short = sizes.filter((x) => x > 0 && x < cap).length;
    if (short)
      notes.push(`${short} tasks had fewer samples than the cap; their unused quota was redistributed to the others (water-filling).`);
    return { strategy: 'task-balanced', selected: Int32Array.from(chosen), notes };
  },
};
