// CADC: a budget split over capabilities (in proportion to their size, or evenly with carry-over by
// water-filling), and inside each capability a coverage-protecting rule (docs/method.md §7: ranking by
// influence alone collapses coverage, so stratified sampling is the default).
import type { Rng } from '../../util/rng';
import { eligible, proportionalQuotas, stratify, take, temperedQuotas, waterFill } from '../helpers';
import type { WithinCapabilityRule } from '../../config';
import type { SelectionContext, SelectionStrategy } from '../types';

/** Efraimidis–Spirakis weighted sampling without replacement: top `count` keys u^(1/w). */
function weightedTake(members: number[], weights: number[], count: number, rng: Rng): number[] {
  const keyed = members.map((m, j) => [Math.log(Math.max(rng.next(), 1e-300)) / Math.max(weights[j], 1e-12), m]);
  keyed.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return keyed.slice(0, count).map(([, m]) => m);
}

/** Difficulty bands: 3 tertiles of the proxy's last-checkpoint loss among `members` (rank order, ties by index). */
export const DIFFICULTY_BANDS = 3;

/** Each member's difficulty band (0 = easiest third) by the last-checkpoint loss of its trajectory. */
export function difficultyBands(loss: Float32Array, T: number, members: number[]): Map<number, number> {
  const last = (i: number) => loss[i * T + T - 1];
  const sorted = members.slice().sort((a, b) => last(a) - last(b) || a - b);
  const m = sorted.length;
  return new Map(sorted.map((i, r) => [i, Math.min(DIFFICULTY_BANDS - 1, Math.floor((DIFFICULTY_BANDS * r) / m))]));
}

/**
 * The bin of a capability's member under a within rule (ascending keys; 16 > the number of styles):
 * probe group × style (stratified, influence-weighted), style only, sub-capability × style, or probe
 * group × style × difficulty band.
 */
function binKey(ctx: SelectionContext, rule: WithinCapabilityRule, members: number[]): (i: number) => number {
  const style = ctx.pool.primaryStyle;
  const group = ctx.capabilities!.probe.of;
  if (rule === 'style') return (i) => style[i];
  if (rule === 'sub-capability') {
    const child = ctx.attribution!.child;
    return (i) => ((child ? child[i] : -1) + 1) * 16 + style[i];
  }
  if (rule === 'difficulty') {
    const traj = ctx.trajectories;
    if (!traj) throw new Error("CADC's difficulty bands need the learning trajectories (the proxy loss).");
    const band = difficultyBands(traj.loss, traj.T, members);
    return (i) => ((group[i] + 1) * 16 + style[i]) * DIFFICULTY_BANDS + band.get(i)!;
  }
  return (i) => (group[i] + 1) * 16 + style[i];
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
    const balance = ctx.config.selection.balance;
    const quotas =
      balance === 'proportional'
        ? proportionalQuotas(budget, sizes)
        : balance === 'sqrt'
          ? temperedQuotas(budget, sizes, 0.5)
          : waterFill(budget, sizes);
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
      const bins = stratify(members[k], binKey(ctx, rule, members[k]), q);
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
