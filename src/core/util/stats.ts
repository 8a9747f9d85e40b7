// Small statistics used by tests and benchmarks: normalised mutual information between labelings.

/** NMI (arithmetic-mean normalisation) of two labelings; entries < 0 are ignored. */
export function nmi(a: ArrayLike<number>, b: ArrayLike<number>): number {
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
