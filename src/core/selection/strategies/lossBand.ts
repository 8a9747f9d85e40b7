// Loss band, perplexity-mid (docs/method.md §5): seeded random among the samples whose last-checkpoint
// proxy loss lies between two quantiles, the band widened when it holds fewer than the budget.
import { eligibleList, take } from '../helpers';
import type { SelectionStrategy } from '../types';

/**
 * The band of ranks [a, b) of the loss-sorted eligible samples for quantiles [lo, hi]:
 * a = ⌊lo·m⌋, b = ⌈hi·m⌉; widened symmetrically (one more below, one more above, …, the rest on the
 * side that still has room) until it holds `budget` samples.
 */
export function lossBandRange(m: number, lo: number, hi: number, budget: number): { a: number; b: number; widened: boolean } {
  let a = Math.max(0, Math.floor(lo * m));
  let b = Math.min(m, Math.ceil(hi * m));
  if (b < a) b = a;
  const want = Math.min(budget, m);
  const widened = b - a < want;
  let below = true;
  while (b - a < want) {
    if ((below && a > 0) || b >= m) a--;
    else b++;
    below = !below;
  }
  return { a, b, widened };
}

export const lossBand: SelectionStrategy = {
  name: 'loss-band',
  needs: ['trajectories'],
  select(ctx, budget) {
    const traj = ctx.trajectories;
    if (!traj) throw new Error('The loss-band strategy needs learning trajectories (the proxy loss).');
    const [lo, hi] = ctx.config.selection.lossBand;
    if (!(lo >= 0 && hi <= 1 && lo < hi))
      throw new Error(`selection.lossBand must be [low, high] with 0 ≤ low < high ≤ 1, got [${lo}, ${hi}].`);
    const T = traj.T;
    const loss = (i: number) => traj.loss[i * T + T - 1];
    const sorted = eligibleList(ctx, 'loss-band').sort((x, y) => loss(x) - loss(y) || x - y);
    const m = sorted.length;
    const { a, b, widened } = lossBandRange(m, lo, hi, budget);
    const band = sorted.slice(a, b);
    const chosen = take(band, budget, ctx.rng);
    const q = (r: number) => +(r / Math.max(1, m)).toFixed(4);
    const notes = [
      `Loss band (perplexity-mid): last-checkpoint proxy loss between the ${lo} and ${hi} quantiles (ranks ${Math.floor(lo * m) + 1}–${Math.min(m, Math.ceil(hi * m))} of ${m} unique samples by loss), seeded random within the band.`,
    ];
    if (widened)
      notes.push(
        `The band held fewer than ${budget} samples, so it was widened symmetrically to quantiles [${q(a)}, ${q(b)}] (${band.length} samples).`,
      );
    if (m) notes.push(`Loss range of the band: ${loss(band[0]).toFixed(4)}–${loss(band[band.length - 1]).toFixed(4)}.`);
    return { strategy: 'loss-band', selected: Int32Array.from(chosen), notes };
  },
};
