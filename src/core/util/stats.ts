// Small statistics used by tests and benchmarks: normalised mutual information, purity and the
// adjusted Rand index between labelings.

/** The contingency table of two labelings (pairs keyed `x:y`) and both marginals; entries < 0 are skipped. */
function contingency(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
): { joint: Map<string, number>; ca: Map<number, number>; cb: Map<number, number>; n: number } {
  const joint = new Map<string, number>();
  const ca = new Map<number, number>();
  const cb = new Map<number, number>();
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    if (a[i] < 0 || b[i] < 0) continue;
    n++;
    const k = `${a[i]}:${b[i]}`;
    joint.set(k, (joint.get(k) ?? 0) + 1);
    ca.set(a[i], (ca.get(a[i]) ?? 0) + 1);
    cb.set(b[i], (cb.get(b[i]) ?? 0) + 1);
  }
  return { joint, ca, cb, n };
}

/** NMI (arithmetic-mean normalisation) of two labelings; entries < 0 are ignored. */
export function nmi(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { joint, ca, cb, n } = contingency(a, b);
  if (n === 0) return 0;
  const h = (m: Map<number, number>) => [...m.values()].reduce((s, c) => s - (c / n) * Math.log(c / n), 0);
  let mi = 0;
  for (const [k, c] of joint) {
    const [x, y] = k.split(':').map(Number);
    mi += (c / n) * Math.log((c * n) / (ca.get(x)! * cb.get(y)!));
  }
  const denom = (h(ca) + h(cb)) / 2;
  return denom > 0 ? mi / denom : 0;
}

/**
 * Purity of a partition `a` against labels `b`: the share of samples that carry their part's most
 * common label; entries < 0 in either are ignored. 1 = every part holds one label value.
 */
export function purity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { joint, n } = contingency(a, b);
  if (n === 0) return 0;
  const best = new Map<number, number>();
  for (const [k, c] of joint) {
    const x = Number(k.split(':')[0]);
    best.set(x, Math.max(best.get(x) ?? 0, c));
  }
  let hit = 0;
  for (const c of best.values()) hit += c;
  return hit / n;
}

/**
 * Adjusted Rand index (Hubert & Arabie) of two labelings; entries < 0 are ignored. 1 = the same
 * partition, ≈ 0 = chance agreement, negative = worse than chance. Two trivial identical partitions
 * (one cluster each, or all singletons) score 1.
 */
export function ari(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const { joint, ca, cb, n } = contingency(a, b);
  const pairs = (c: number) => (c * (c - 1)) / 2;
  const sum = (m: Map<unknown, number>) => [...m.values()].reduce((s, c) => s + pairs(c), 0);
  const index = sum(joint);
  const sa = sum(ca);
  const sb = sum(cb);
  const total = pairs(n);
  if (total === 0) return 1;
  const expected = (sa * sb) / total;
  const max = (sa + sb) / 2;
  return max === expected ? 1 : (index - expected) / (max - expected);
}

/** Nearest-rank quantile of ascending values: the ⌈p·m⌉-th smallest (p in (0, 1]). */
export function nearestRank(sorted: ArrayLike<number>, p: number): number {
  const m = sorted.length;
  return sorted[Math.min(m - 1, Math.max(0, Math.ceil(p * m) - 1))];
}

/** Pearson's correlation of two equally long lists (undefined when either is constant or shorter than 3). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number | undefined {
  const n = a.length;
  if (n < 3 || b.length !== n) return undefined;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < n; i++) {
    ab += (a[i] - ma) * (b[i] - mb);
    aa += (a[i] - ma) ** 2;
    bb += (b[i] - mb) ** 2;
  }
  return aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : undefined;
}
