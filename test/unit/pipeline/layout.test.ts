import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pca2d, topEigenvectors } from '../../../src/core/pipeline/layout';

test('topEigenvectors finds the eigenvectors of a known symmetric matrix', () => {
  // diag(5, 2, 1) rotated: eigenvectors are the basis vectors.
  const m = new Float64Array([5, 0, 0, 0, 2, 0, 0, 0, 1]);
  const [v1, v2] = topEigenvectors(m, 3, 2);
  assert.deepEqual(
    Array.from(v1).map((x) => Math.round(Math.abs(x) * 1e6) / 1e6),
    [1, 0, 0],
  );
  assert.deepEqual(
    Array.from(v2).map((x) => Math.round(Math.abs(x) * 1e6) / 1e6),
    [0, 1, 0],
  );
});

test('pca2d puts the largest-variance direction on x and separates planted clusters', () => {
  // Points spread along (1,1,0)/√2 with a smaller spread along z.
  const n = 200;
  const x = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const a = (i % 2 === 0 ? 1 : -1) * (3 + (i % 7) * 0.01);
    const b = ((i % 5) - 2) * 0.1;
    x[i * 3] = a;
    x[i * 3 + 1] = a;
    x[i * 3 + 2] = b;
  }
  const p = pca2d(x, n, 3);
  for (let i = 0; i < n; i++) {
    // The first component carries the ±3√2 split; the second the small z spread.
    assert.ok(Math.abs(Math.abs(p[i * 2]) - Math.abs(x[i * 3]) * Math.SQRT2) < 0.05, `x ${i}`);
    assert.ok(Math.abs(p[i * 2 + 1]) < 0.25, `y ${i}`);
  }
  const left = p[0] < 0;
  for (let i = 0; i < n; i += 2) assert.equal(p[i * 2] < 0, left);
  for (let i = 1; i < n; i += 2) assert.equal(p[i * 2] < 0, !left);
});
