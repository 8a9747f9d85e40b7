import { test } from 'node:test';
import assert from 'node:assert/strict';
import { knnCosine, stratifiedSubsample, umap2d } from '../../../src/backend/layout';
import { Rng } from '../../../src/core/util/rng';

/** Two tight clusters around orthogonal directions in 16-D (cosine distance ≈ 1 between them). */
function twoClusters(perCluster: number, seed = 3): { x: Float32Array; n: number; d: number } {
  const d = 16;
  const n = 2 * perCluster;
  const rng = new Rng(seed);
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const axis = i < perCluster ? 0 : 8;
    for (let j = 0; j < d; j++) x[i * d + j] = 0.05 * rng.normal();
    for (let j = axis; j < axis + 8; j++) x[i * d + j] += 1;
  }
  return { x, n, d };
}

test('knnCosine: the row itself first at distance 0, then its exact nearest neighbours by cosine', async () => {
  // Four 2-D points at angles 0°, 10°, 90°, 100°: neighbours are known.
  const deg = [0, 10, 90, 100].map((a) => (a * Math.PI) / 180);
  const x = Float32Array.from(deg.flatMap((a) => [Math.cos(a), Math.sin(a)]));
  const { indices, distances } = await knnCosine(x, 4, 2, 2);
  assert.deepEqual(indices, [
    [0, 1],
    [1, 0],
    [2, 3],
    [3, 2],
  ]);
  for (const row of distances) assert.equal(row[0], 0);
  // √(2 − 2·cos 10°) ≈ 0.1743
  assert.ok(Math.abs(distances[0][1] - Math.sqrt(2 - 2 * Math.cos(deg[1]))) < 1e-4, `${distances[0][1]}`);
});

test('umap2d separates two well-separated clusters, and the same seed gives identical coordinates', async () => {
  const { x, n, d } = twoClusters(60);
  const a = await umap2d(x, n, d, { seed: 7, nEpochs: 200 });
  const b = await umap2d(x, n, d, { seed: 7, nEpochs: 200 });
  assert.deepEqual(Array.from(a), Array.from(b), 'same seed → identical layout');
  const c = await umap2d(x, n, d, { seed: 8, nEpochs: 200 });
  assert.notDeepEqual(Array.from(a), Array.from(c), 'another seed → another layout');
  // Every point is closer to its own cluster's centroid than to the other's, and the gap between
  // the centroids is larger than either cluster's spread.
  const centroid = (from: number, to: number) => {
    let sx = 0,
      sy = 0;
    for (let i = from; i < to; i++) {
      sx += a[2 * i];
      sy += a[2 * i + 1];
    }
    return [sx / (to - from), sy / (to - from)];
  };
  const c0 = centroid(0, 60);
  const c1 = centroid(60, 120);
  const dist = (i: number, c: number[]) => Math.hypot(a[2 * i] - c[0], a[2 * i + 1] - c[1]);
  let spread = 0;
  for (let i = 0; i < n; i++) {
    const own = i < 60 ? c0 : c1;
    const other = i < 60 ? c1 : c0;
    assert.ok(dist(i, own) < dist(i, other), `point ${i} sits nearer the other cluster`);
    spread = Math.max(spread, dist(i, own));
  }
  assert.ok(Math.hypot(c0[0] - c1[0], c0[1] - c1[1]) > spread, 'the clusters do not overlap');
});

test('stratifiedSubsample keeps everything when small, and otherwise selected first, every capability, the budget exactly', () => {
  assert.deepEqual(Array.from(stratifiedSubsample([0, 1, 0], [0, 0, 1], new Rng(1))), [0, 1, 2]);
  // 10,000 samples: capability 0 has 9,000, capability 1 has 950, capability 2 has 50; 300 selected (all in capability 0).
  const n = 10_000;
  const cap = Array.from({ length: n }, (_, i) => (i < 9000 ? 0 : i < 9950 ? 1 : 2));
  const sel = Array.from({ length: n }, (_, i) => (i < 9000 && i % 30 === 0 ? 1 : 0));
  const opts = { max: 1000, maxSelected: 200, minPerCapability: 25 };
  const s = stratifiedSubsample(cap, sel, new Rng(5), opts);
  assert.equal(s.length, 1000);
  assert.deepEqual(
    Array.from(s),
    [...s].sort((p, q) => p - q),
    'sorted',
  );
  assert.equal(new Set(s).size, 1000, 'distinct');
  assert.equal(Array.from(s).filter((i) => sel[i]).length, 200, 'selected samples up to their cap');
  const per = [0, 1, 2].map((k) => Array.from(s).filter((i) => cap[i] === k && !sel[i]).length);
  assert.ok(per[2] >= 25, `the small capability keeps its floor (${per[2]})`);
  assert.ok(per[0] > per[1] && per[1] > per[2], `proportional otherwise (${per})`);
  assert.deepEqual(Array.from(stratifiedSubsample(cap, sel, new Rng(5), opts)), Array.from(s), 'seeded');
});
