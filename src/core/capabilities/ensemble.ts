// How many proxies the capability graph averages (docs/method.md §1.2 and §7).
//
// On a small pool each probe group holds a handful of samples, and the trajectory cosines between groups
// change with the proxy's initialisation (and its random sketch): on owleval (414 rows, 20 groups) the
// cosine matrices of two proxies correlate at about 0.5, so a new seed moves the communities. Averaging
// the group cosines of R proxies, as TRAK averages its attributions over independently trained models,
// is the standard remedy for a noisy measurement, and the Spearman–Brown prophecy says how many: R
// parallel measurements of reliability ρ average to Rρ / (1 + (R − 1)ρ). With 'auto' a run trains a
// second proxy, measures ρ as the correlation of the two proxies' cosines, and adds proxies until the
// prophecy reaches PROXY_ENSEMBLE.target (0.95, the level Nunnally & Bernstein ask of a measurement
// that decisions rest on), within a compute budget: n·R ≤ PROXY_ENSEMBLE.budget sample-proxies and
// R ≤ PROXY_ENSEMBLE.max. So a pool of 16,384 rows or more trains one proxy as before; a reliable small
// pool (the demo: ρ ≈ 0.98) stops at two. Only the graph uses the extra proxies: their trajectories are
// reduced to group means and let go; attribution, influence and selection use the first proxy's.

import { pearson } from '../util/stats';

/** The ensemble's rule ('auto'): a reliability target, at most `max` proxies, n·R ≤ `budget`. */
export const PROXY_ENSEMBLE = { target: 0.95, max: 32, budget: 16_384 } as const;

/**
 * A version of how an extra proxy's group cosines are made from its trajectories (group means, centring,
 * cosines, the halves'), raised whenever that changes, so a cache does not serve cosines of an older way.
 */
export const PROXY_COSINES_VERSION = 1;

/** The most proxies a run may train on a pool of n samples: a fixed count as set, or the budget's for 'auto'. */
export function proxyCap(setting: number | 'auto', n: number): number {
  if (setting !== 'auto') return Math.max(1, Math.floor(setting));
  return Math.max(1, Math.min(PROXY_ENSEMBLE.max, Math.floor(PROXY_ENSEMBLE.budget / Math.max(1, n))));
}

/** Spearman–Brown: the reliability of the mean of R measurements that each have reliability rho. */
export function meanReliability(rho: number, R: number): number {
  if (R <= 1) return rho;
  return (R * rho) / (1 + (R - 1) * rho);
}

/**
 * Spearman–Brown inverted: how many measurements of reliability rho average to `target`. 1 when rho
 * already reaches it; Infinity when rho ≤ 0 (no number of them agrees).
 */
export function proxiesForReliability(rho: number, target: number): number {
  if (!(rho > 0)) return Infinity;
  if (rho >= target) return 1;
  // Exact ratios (ρ = 0.5, target 0.9 → 9) must not round up on a floating-point hair.
  return Math.ceil((target * (1 - rho)) / (rho * (1 - target)) - 1e-9);
}

/**
 * How far another seed would give the same graph: with 2 or more proxies, the Spearman–Brown reliability
 * of their mean from their measured agreement; with one, the split-half reliability (which tracked seed
 * stability on the benchmark sets before the ensemble). Undefined when neither is known.
 */
export function seedReliability(g: { reliability?: number; proxies?: number; proxyAgreement?: number }): number | undefined {
  if ((g.proxies ?? 1) >= 2 && g.proxyAgreement !== undefined) return meanReliability(Math.max(0, g.proxyAgreement), g.proxies!);
  return g.reliability;
}

/** The upper triangle (a < b) of a G × G matrix, as one vector. */
export function upperTriangle(m: ArrayLike<number>, G: number): Float64Array {
  const out = new Float64Array((G * (G - 1)) / 2);
  let k = 0;
  for (let a = 0; a < G; a++) for (let b = a + 1; b < G; b++) out[k++] = m[a * G + b];
  return out;
}

/**
 * One proxy's reliability as the proxies measure it: the mean Pearson correlation over every pair of
 * proxies' cosine vectors (upper triangles). Undefined with fewer than 2 proxies or no defined pair.
 */
export function proxyAgreement(cosines: Float64Array[]): number | undefined {
  let sum = 0;
  let pairs = 0;
  for (let a = 0; a < cosines.length; a++)
    for (let b = a + 1; b < cosines.length; b++) {
      const r = pearson(cosines[a], cosines[b]);
      if (r === undefined) continue;
      sum += r;
      pairs++;
    }
  return pairs ? sum / pairs : undefined;
}
