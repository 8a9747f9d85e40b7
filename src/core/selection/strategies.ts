// Selection strategies behind one interface. CADC: a budget split evenly over capabilities with
// carry-over (water-filling), and inside each capability a coverage-protecting rule (methods.md §7:
// ranking by influence alone collapses coverage, so stratified sampling is the default).
import type { StrategyName } from '../config';
import type { Rng } from '../util/rng';
import type { SelectionContext, SelectionStrategy } from './types';

export function budgetCount(budget: number, n: number): number {
  if (!(budget > 0)) throw new Error(`Budget must be positive, got ${budget}.`);
  return budget <= 1 ? Math.min(n, Math.max(1, Math.round(budget * n))) : Math.min(n, Math.floor(budget));
}

/**
 * Splits `total` over bins with the given capacities as evenly as possible (water-filling):
 * every bin gets min(capacity, level); leftover units go to the lowest-index bins with room.
 */
export function waterFill(total: number, capacity: number[]): number[] {
  const out = capacity.map(() => 0);
  let left = Math.min(total, capacity.reduce((a, b) => a + b, 0));
  let open = capacity.map((c, i) => (c > 0 ? i : -1)).filter((i) => i >= 0);
  while (left > 0 && open.length > 0) {
    const share = Math.floor(left / open.length);
    if (share === 0) {
      for (const i of open) {
        if (left === 0) break;
        out[i]++;
        left--;
      }
    } else {
      for (const i of open) {
        const take = Math.min(share, capacity[i] - out[i]);
        out[i] += take;
        left -= take;
      }
    }
    open = open.filter((i) => out[i] < capacity[i]);
  }
  return out;
}

/** Quotas proportional to sizes (largest remainder, ties by index), capped by size, total ≤ Σ sizes. */
export function proportionalQuotas(total: number, sizes: number[]): number[] {
  const sum = sizes.reduce((a, b) => a + b, 0);
  if (sum === 0) return sizes.map(() => 0);
  const t = Math.min(total, sum);
  const exact = sizes.map((s) => (t * s) / sum);
  const out = exact.map((x, i) => Math.min(sizes[i], Math.floor(x)));
  let left = t - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  while (left > 0) {
    let moved = false;
    for (const [, i] of order) {
      if (left === 0) break;
      if (out[i] < sizes[i]) {
        out[i]++;
        left--;
        moved = true;
      }
    }
    if (!moved) break;
  }
  return out;
}

/** Samples eligible for selection: one per duplicate cluster (its representative). */
function eligible(ctx: SelectionContext): Uint8Array {
  const ok = new Uint8Array(ctx.pool.n);
  for (let i = 0; i < ctx.pool.n; i++) ok[i] = ctx.duplicates.rep[i] === i ? 1 : 0;
  const drop = ctx.config.selection.dropTopSelfInfluence;
  if (drop > 0 && ctx.attribution) {
    const si = ctx.attribution.selfInfluence;
    const sorted = Float32Array.from(si).sort();
    const cut = sorted[Math.max(0, Math.floor(sorted.length * (1 - drop)) - 1)];
    for (let i = 0; i < ctx.pool.n; i++) if (si[i] > cut) ok[i] = 0;
  }
  return ok;
}

function take(members: number[], count: number, rng: Rng): number[] {
  const a = members.slice();
  rng.shuffle(a);
  return a.slice(0, count);
}

/** Efraimidis–Spirakis weighted sampling without replacement: top `count` keys u^(1/w). */
function weightedTake(members: number[], weights: number[], count: number, rng: Rng): number[] {
  const keyed = members.map((m, j) => [Math.log(Math.max(rng.next(), 1e-300)) / Math.max(weights[j], 1e-12), m]);
  keyed.sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  return keyed.slice(0, count).map(([, m]) => m);
}

const random: SelectionStrategy = {
  name: 'random',
  needs: [],
  select(ctx, budget) {
    const ok = eligible(ctx);
    const pool: number[] = [];
    for (let i = 0; i < ctx.pool.n; i++) if (ok[i]) pool.push(i);
    const chosen = take(pool, budget, ctx.rng);
    const notes = chosen.length < budget ? [`Only ${chosen.length} unique samples available for a budget of ${budget}.`] : [];
    return { strategy: 'random', selected: Int32Array.from(chosen), notes };
  },
};

const cadc: SelectionStrategy = {
  name: 'cadc',
  needs: ['trajectories', 'capabilities', 'attribution'],
  select(ctx, budget) {
    const { attribution, capabilities } = ctx;
    if (!attribution || !capabilities) throw new Error('The cadc strategy needs capabilities and attributions.');
    const K = attribution.K;
    const ok = eligible(ctx);
    const members: number[][] = Array.from({ length: K }, () => []);
    for (let i = 0; i < ctx.pool.n; i++) if (ok[i]) members[attribution.hard[i]].push(i);
    const sizes = members.map((m) => m.length);
    const quotas = ctx.config.selection.balance === 'proportional' ? proportionalQuotas(budget, sizes) : waterFill(budget, sizes);
    const notes: string[] = [];
    const even = Math.floor(budget / K);
    quotas.forEach((_, k) => {
      if (ctx.config.selection.balance === 'even' && members[k].length < even) notes.push(`Capability c${k + 1} had ${members[k].length} unique samples for an even share of ${even}; the rest was passed on.`);
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
      const bins = new Map<number, number[]>();
      for (const i of members[k]) {
        const key = (capabilities.probe.of[i] + 1) * 16 + ctx.pool.primaryStyle[i];
        const b = bins.get(key);
        if (b) b.push(i);
        else bins.set(key, [i]);
      }
      const keys = [...bins.keys()].sort((a, b) => a - b);
      const binQuotas = proportionalQuotas(q, keys.map((key) => bins.get(key)!.length));
      keys.forEach((key, j) => {
        const list = bins.get(key)!;
        if (rule === 'influence-weighted') {
          const z = list.map((i) => Math.exp((infl(i) - attribution.mean[k]) / attribution.std[k]));
          chosen.push(...weightedTake(list, z, binQuotas[j], rng));
        } else chosen.push(...take(list, binQuotas[j], rng));
      });
    }
    const perCapability = quotas.map((quota) => ({ quota, taken: 0 }));
    for (const i of chosen) perCapability[attribution.hard[i]].taken++;
    return { strategy: 'cadc', selected: Int32Array.from(chosen), perCapability, notes };
  },
};

const registry = new Map<StrategyName, SelectionStrategy>([
  ['cadc', cadc],
  ['random', random],
]);

export function registerStrategy(s: SelectionStrategy): void {
  registry.set(s.name, s);
}

export function getStrategy(name: StrategyName): SelectionStrategy {
  const s = registry.get(name);
  if (!s) throw new Error(`The '${name}' strategy is not available yet; available: ${[...registry.keys()].join(', ')}.`);
  return s;
}
