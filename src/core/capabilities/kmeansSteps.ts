// Steps shared by the dense (probeGroups.ts) and sparse (textGroups.ts) spherical k-means.
import type { Rng } from '../util/rng';

/**
 * One k-means++ step on cosine distance: `sims` holds every sample's cosine with the newest centre, so
 * each sample's distance to its nearest centre (`dist`, Infinity at first) is lowered; the next centre is
 * then drawn with probability ∝ distance² (uniformly when every distance is 0). Returns its sample index.
 */
export function nextSeed(sims: ArrayLike<number>, dist: Float64Array, m: number, rng: Rng): number {
  let total = 0;
  for (let i = 0; i < m; i++) {
    const d = Math.max(0, 1 - sims[i]);
    if (d < dist[i]) dist[i] = d;
    total += dist[i] * dist[i];
  }
  if (total <= 0) return rng.int(m);
  let r = rng.next() * total;
  let pick = 0;
  for (; pick < m - 1; pick++) {
    r -= dist[pick] * dist[pick];
    if (r <= 0) break;
  }
  return pick;
}

/** Cluster ids in [0, k) renumbered in place by first appearance, so empty clusters vanish and ids are stable. */
export function renumberByFirstAppearance(of: Int32Array, k: number): void {
  const remap = new Int32Array(k).fill(-1);
  let next = 0;
  for (let i = 0; i < of.length; i++) {
    if (remap[of[i]] < 0) remap[of[i]] = next++;
    of[i] = remap[of[i]];
  }
}

/** argmax over each row of [m, k] into out[offset + row] (the first maximum wins). */
export function rowArgmax(s: Float32Array, m: number, k: number, out: Int32Array, offset = 0): void {
  for (let i = 0; i < m; i++) {
    let best = 0;
    let bv = -Infinity;
    for (let j = 0; j < k; j++) {
      const v = s[i * k + j];
      if (v > bv) {
        bv = v;
        best = j;
      }
    }
    out[offset + i] = best;
  }
}
