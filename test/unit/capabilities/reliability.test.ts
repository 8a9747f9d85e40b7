import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { discoverCapabilities } from '../../../src/core/capabilities/discover';
import { groupMeans, splitHalfReliability } from '../../../src/core/capabilities/graph';
import type { ProbeGroups } from '../../../src/core/capabilities/types';
import { pearson } from '../../../src/core/util/stats';
import { Rng } from '../../../src/core/util/rng';
import { plantedTrajectories, tinyPool, unit } from '../helpers';
import { toHalf, trajectoriesFromArrays } from '../../../src/core/gradients/trajectories';

test('pearson: known answers; undefined for a constant list or fewer than 3 values', () => {
  assert.equal(pearson([1, 2, 3], [2, 4, 6]), 1);
  assert.equal(pearson([1, 2, 3], [3, 2, 1]), -1);
  // deviations (−1.5, −.5, .5, 1.5) and (−1.5, .5, −.5, 1.5): 4 / √(5 · 5)
  assert.ok(Math.abs(pearson([1, 2, 3, 4], [1, 3, 2, 4])! - 0.8) < 1e-12);
  assert.equal(pearson([1, 1, 1], [1, 2, 3]), undefined);
  assert.equal(pearson([1, 2], [1, 2]), undefined);
});

/** G groups of m samples in D dimensions; a sample is its group's direction plus noise of size `noise` (signal 0: noise only). */
function pool(G: number, m: number, D: number, signal: number, noise: number, seed: number) {
  const rng = new Rng(seed);
  const dirs = Array.from({ length: G }, () => unit(Array.from({ length: D }, () => rng.normal())));
  const n = G * m;
  const rows = Array.from({ length: n }, (_, i) => unit(dirs[i % G].map((x) => signal * x + noise * rng.normal())));
  const groups: ProbeGroups = {
    source: 'clusters',
    names: Array.from({ length: G }, (_, g) => `cluster-${g + 1}`),
    of: Int32Array.from({ length: n }, (_, i) => i % G),
    sizes: new Int32Array(G).fill(m),
  };
  return { traj: plantedTrajectories([rows, rows], [1, 0.5]), groups, n };
}

test('group means by half: the two halves add up to the whole; identical halves are perfectly reliable', async () => {
  const { traj, groups, n } = pool(6, 10, 8, 1, 0.3, 1);
  const half = Uint8Array.from({ length: n }, (_, i) => ((i * 7) % 5 < 2 ? 0 : 1));
  const { means, halves } = groupMeans(traj, groups, half);
  const [a, b] = halves!;
  for (let g = 0; g < 6; g++) {
    assert.equal(a.sizes[g] + b.sizes[g], 10);
    for (let x = 0; x < traj.T * traj.D; x++) {
      const t = Math.floor(x / traj.D);
      const j = (t * 6 + g) * traj.D + (x % traj.D);
      assert.ok(Math.abs((a.means[j] * a.sizes[g] + b.means[j] * b.sizes[g]) / 10 - means[j]) < 1e-9);
    }
  }
  assert.equal(await splitHalfReliability([a, a], traj.T, 6, traj.D, traj.eta, true), 1);
  // Fewer than 3 groups in both halves: nothing to correlate.
  const two = { means: a.means, sizes: Int32Array.from([10, 10, 0, 0, 0, 0]) };
  assert.equal(await splitHalfReliability([two, two], traj.T, 6, traj.D, traj.eta, true), undefined);
});

test('group means of float16 rows: the means of the decoded halves, whole and by half (values exact in float16)', () => {
  // 2 checkpoints, 5 samples of D = 2 in groups [0, 1, 0, 1, -1]; every value a multiple of 1/4 (exact in float16).
  const g = [
    [1, 2, -0.5, 0.25, 3, 4, 0.75, -1, 9, 9],
    [0.5, 0.5, 2, -2, 1.5, 0, 1, 1, 9, 9],
  ];
  const traj = trajectoriesFromArrays({
    n: 5,
    T: 2,
    D: 2,
    storage: 'float16',
    g: g.map((r) => Uint16Array.from(r, toHalf)),
    loss: new Float32Array(10),
    gradNormSq: new Float32Array(10).fill(1),
    eta: Float64Array.from([1, 1]),
  });
  const groups: ProbeGroups = {
    source: 'clusters',
    names: ['a', 'b'],
    of: Int32Array.from([0, 1, 0, 1, -1]),
    sizes: Int32Array.from([2, 2]),
  };
  // [T, G, D]: t0 a = mean(s0, s2) = (2, 3), b = mean(s1, s3) = (0.125, -0.375); t1 a = (1, 0.25), b = (1.5, -0.5)
  const want = [2, 3, 0.125, -0.375, 1, 0.25, 1.5, -0.5];
  assert.deepEqual(Array.from(groupMeans(traj, groups).means), want);
  // Half 0 = samples 0 and 1, half 1 = the rest: each half's means are its one member's rows.
  const { means, halves } = groupMeans(traj, groups, Uint8Array.from([0, 0, 1, 1, 0]));
  assert.deepEqual(Array.from(means), want);
  assert.deepEqual(Array.from(halves![0].means), [1, 2, -0.5, 0.25, 0.5, 0.5, 2, -2]);
  assert.deepEqual(Array.from(halves![1].means), [3, 4, 0.75, -1, 1.5, 0, 1, 1]);
  assert.deepEqual(Array.from(halves![0].sizes), [1, 1]);
});

test('split-half reliability: near 1 when groups differ by their direction, low when every sample is noise', async () => {
  const coin = (n: number) => {
    const r = new Rng(3);
    return Uint8Array.from({ length: n }, () => r.int(2));
  };
  const signal = pool(12, 30, 16, 1, 0.1, 2);
  const s = groupMeans(signal.traj, signal.groups, coin(signal.n)).halves!;
  const high = await splitHalfReliability(s, signal.traj.T, 12, signal.traj.D, signal.traj.eta, true);
  assert.ok(high! > 0.9, `planted directions: ${high}`);
  const noise = pool(12, 30, 16, 0, 1, 2);
  const z = groupMeans(noise.traj, noise.groups, coin(noise.n)).halves!;
  const low = await splitHalfReliability(z, noise.traj.T, 12, noise.traj.D, noise.traj.eta, true);
  assert.ok(low! < 0.5, `noise only: ${low}`);
  // The discovery records it on its graph.
  const cfg = resolveConfig({ capabilities: { probe: 'file' } });
  const probe = { groups: signal.groups, traj: signal.traj };
  const model = await discoverCapabilities(tinyPool(signal.n), signal.traj, cfg, new Rng(1), { labelCandidates: [], probe });
  assert.ok(model.graph.reliability! > 0.9, `discovery: ${model.graph.reliability}`);
});
