import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { discoverCapabilities } from '../../../src/core/capabilities/discover';
import { bisect, findCommunities, splitOrMergeTo, thresholdEdges } from '../../../src/core/capabilities/graph';
import { attribute } from '../../../src/core/influence/attribute';
import { Rng } from '../../../src/core/util/rng';
import { blockCosines, plantedTrajectories, tinyPool, unit } from '../helpers';

/** n samples around P planted directions in D dims (sample i in direction i % P), T checkpoints. */
function planted(n: number, P: number, D: number, T: number, noise = 0.15) {
  const rng = new Rng(11);
  const dirs = Array.from({ length: P }, () => unit(Array.from({ length: D }, () => rng.normal())));
  return Array.from({ length: T }, () => Array.from({ length: n }, (_, i) => unit(dirs[i % P].map((x) => x + rng.normal() * noise))));
}

const blocks = (B: number, m: number) => blockCosines(B, m);

test('bisect splits a set of groups along its least similar pair', () => {
  const { G, cos } = blocks(2, 3);
  const [a, b] = bisect([0, 1, 2, 3, 4, 5], cos, G, new Float64Array(G).fill(1));
  assert.deepEqual([a, b].map((x) => x.slice().sort()).sort(), [
    [0, 1, 2],
    [3, 4, 5],
  ]);
});

test('split or merge reaches exactly k communities, and splits along the planted blocks first', () => {
  const { G, cos } = blocks(4, 4);
  const sizes = new Float64Array(G).fill(10);
  // Start from one community: two splits must recover the 4 blocks.
  const four = splitOrMergeTo(new Int32Array(G), 1, cos, G, 4, sizes);
  assert.equal(four.count, 4);
  for (let g = 0; g < G; g++) assert.equal(four.community[g], four.community[Math.floor(g / 4) * 4], `group ${g} stays with its block`);
  for (let k = 1; k <= G; k++) assert.equal(splitOrMergeTo(four.community, 4, cos, G, k, sizes).count, k, `k=${k}`);
});

test('findCommunities: auto finds the planted blocks; every forced K from 2 to G is honoured', () => {
  const { G, cos } = blocks(4, 4);
  const { edges } = thresholdEdges(cos, G, 'auto');
  const auto = findCommunities(G, edges, cos, 1, 'auto', new Rng(1));
  assert.equal(auto.count, 4);
  for (let k = 2; k <= G; k++) assert.equal(findCommunities(G, edges, cos, 1, k, new Rng(1)).count, k);
});

test('--capabilities K gives exactly K capabilities, each holding samples, for every K from 2 to 64 (planted trajectories)', async () => {
  const n = 256;
  const traj = plantedTrajectories(planted(n, 8, 16, 2), [0.5, 0.25]);
  const pool = tinyPool(n);
  for (let K = 2; K <= 64; K++) {
    const cfg = resolveConfig({ capabilities: { probe: 'clusters', k: K, assign: 'group' } });
    const model = await discoverCapabilities(pool, traj, cfg, new Rng(3), { labelCandidates: [] });
    assert.equal(model.K, K, `K=${K}`);
    assert.ok(model.probe.names.length >= K, `at least K groups for K=${K}`);
    const att = await attribute(traj, model, 'group');
    assert.equal(new Set(att.hard).size, K, `every capability holds samples at K=${K}`);
  }
});

test('sub-capabilities partition each capability and every sample of it gets one', async () => {
  const n = 240;
  const traj = plantedTrajectories(planted(n, 6, 16, 2, 0.1), [0.5, 0.25]);
  const pool = tinyPool(n);
  const cfg = resolveConfig({ capabilities: { probe: 'clusters', microClusters: 12, k: 2, assign: 'group' } });
  const model = await discoverCapabilities(pool, traj, cfg, new Rng(5), { labelCandidates: [] });
  const att = await attribute(traj, model, 'group');
  for (const cap of model.capabilities) {
    const kids = cap.children ?? [];
    if (cap.groups.length < 2) continue;
    assert.ok(kids.length >= 2, `capability ${cap.index} has sub-capabilities`);
    assert.deepEqual(
      kids.flatMap((k) => k.groups).sort((a, b) => a - b),
      cap.groups.slice().sort((a, b) => a - b),
    );
  }
  for (let i = 0; i < n; i++) {
    const kids = model.capabilities[att.hard[i]].children ?? [];
    if (kids.length) assert.ok(att.child![i] >= 0 && att.child![i] < kids.length, `sample ${i}`);
  }
});
