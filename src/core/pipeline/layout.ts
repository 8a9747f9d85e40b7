// A 2-D layout of the pool for the Capability Map: the first two principal components of the
// per-sample influence vectors (capability space). K is small, so this is O(n·K²) and exact.

/** Top eigenvectors of a symmetric K×K matrix by deflated power iteration (deterministic start). */
export function topEigenvectors(cov: Float64Array, k: number, count: number): Float64Array[] {
  const a = Float64Array.from(cov);
  const out: Float64Array[] = [];
  for (let e = 0; e < Math.min(count, k); e++) {
    let v: Float64Array = new Float64Array(k);
    for (let i = 0; i < k; i++) v[i] = 1 / Math.sqrt(k) + (i === e ? 0.5 : 0);
    let lambda = 0;
    for (let iter = 0; iter < 500; iter++) {
      const w = new Float64Array(k);
      for (let i = 0; i < k; i++) {
        let s = 0;
        for (let j = 0; j < k; j++) s += a[i * k + j] * v[j];
        w[i] = s;
      }
      let norm = 0;
      for (let i = 0; i < k; i++) norm += w[i] * w[i];
      norm = Math.sqrt(norm);
      if (norm < 1e-12) break;
      let diff = 0;
      for (let i = 0; i < k; i++) {
        const x = w[i] / norm;
        diff += Math.abs(x - v[i]);
        w[i] = x;
      }
      v = w;
      lambda = norm;
      if (diff < 1e-10) break;
    }
    // Fix the sign so the layout does not flip between runs.
    let maxIdx = 0;
    for (let i = 1; i < k; i++) if (Math.abs(v[i]) > Math.abs(v[maxIdx])) maxIdx = i;
    if (v[maxIdx] < 0) for (let i = 0; i < k; i++) v[i] = -v[i];
    out.push(v);
    for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) a[i * k + j] -= lambda * v[i] * v[j];
  }
  return out;
}

/** Projects rows of x [n, k] onto their first two principal components → [n*2]. */
export function pca2d(x: Float32Array, n: number, k: number): Float32Array {
  const mean = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) mean[j] += x[i * k + j];
  for (let j = 0; j < k; j++) mean[j] /= Math.max(1, n);
  const cov = new Float64Array(k * k);
  const row = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < k; j++) row[j] = x[i * k + j] - mean[j];
    for (let a = 0; a < k; a++) {
      const ra = row[a];
      for (let b = a; b < k; b++) cov[a * k + b] += ra * row[b];
    }
  }
  for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) cov[a * k + b] = cov[b * k + a];
  const vecs = topEigenvectors(cov, k, 2);
  while (vecs.length < 2) vecs.push(new Float64Array(k));
  const out = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    let p = 0;
    let q = 0;
    for (let j = 0; j < k; j++) {
      const c = x[i * k + j] - mean[j];
      p += c * vecs[0][j];
      q += c * vecs[1][j];
    }
    out[i * 2] = p;
    out[i * 2 + 1] = q;
  }
  return out;
}
