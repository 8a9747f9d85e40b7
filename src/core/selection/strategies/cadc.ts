// CADC: a budget split over capabilities (in proportion to their size, or evenly with carry-over by
// water-filling), and inside each capability a coverage-protecting rule (docs/method.md §7: ranking by
// influence alone collapses coverage, so stratified sampling is the default).
import type { Rng } from '../../util/rng';
import { eligible, proportionalQuotas, stratify, take, waterFill } from '../helpers';
import type { SelectionStrategy } from '../types';

/** Efraimidis–Spirakis weighted sampling without replacement: top `count` keys u^(1/w). */
function weightedTake(members: number[], weights: number[], count: number, rng: Rng): number[] {
  const keyed = members.map((m, j) => [Math.log(Math.max(rng.next(), 1e-300)) / Math.max(weights[j], 1e-12), m]);
  keyed.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return keyed.slice(0, count).map(([, m]) => m);
}

export const cadc: SelectionStrategy = {
  name: 'cadc',
  needs: ['trajectories', 'capabilities', 'attribution'],
  select(ctx, budget) {
    const { attribution, capabilities } = ctx;
    if (!attribution || !capabilities) throw new Error('The cadc strategy needs capabilities and attributions.');
    const K = attribution.K;
    const ok = eligible(ctx, 'cadc');
    const members: number[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < ctx.pool.n; i++) if (ok[i]) members[attribution.hard[i]].push(i);
    const sizes = members.map((m) => m.length);
    const quotas = ctx.config.selection.balance === 'proportional' ? proportionalQuotas(budget, sizes) : waterFill(budget, sizes);
    const notes: string[] = [];
    const even = Math.floor(budget / K);
    quotas.forEach((_, k) => {
      if (ctx.config.selection.balance === 'even' && members[k].length < even)
        notes.push(`Capability c${k + 1} had ${members[k].length} unique samples for an even share of ${even}; the rest was passed on.`);
    });
    const rule = ctx.config.selection.within;
    const chosen: number[] = [];
    for (let k = 0; k < K; k++) {
      const q = quotas[k];
      if (q === 0) continue;
      const rng = ctx.rng.fork(`c${k}`);
      const infl = (i: number) => attribution.influence[i * K + k];
      if (rule === 'top-influence') {
        const sorted = members[k].slice().sort((a, b) => infl(b) - infl(a) || a - b);
        chosen.push(...sorted.slice(0, q));
        continue;
      }
      // Bins: probe group × primary interaction style.
      const bins = stratify(members[k], (i) => (capabilities.probe.of[i] + 1) * 16 + ctx.pool.primaryStyle[i], q);
      for (const { list, quota } of bins) {
        if (rule === 'influence-weighted') {
          const z = list.map((i) => Math.exp((infl(i) - attribution.mean[k]) / attribution.std[k]));
          chosen.push(...weightedTake(list, z, quota, rng));
        } else chosen.push(...take(list, quota, rng));
      }
    }
    const perCapability = quotas.map((quota) => ({ quota, taken: 0 }));
    for (const i of chosen) perCapability[attribution.hard[i]].taken++;
    return { strategy: 'cadc', selected: Int32Array.from(chosen), perCapability, notes };
  },
};
