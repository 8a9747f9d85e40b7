import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { discoverCapabilities } from '../../../src/core/capabilities/discover';
import { findCommunities, thresholdEdges } from '../../../src/core/capabilities/graph';
import { probeGroupsFromClusters, sphericalKMeans } from '../../../src/core/capabilities/probeGroups';
import { attribute } from '../../../src/core/influence/attribute';
import { buildStages, decayScore } from '../../../src/core/curriculum/stages';
import { Rng } from '../../../src/core/util/rng';
import { plantedTrajectories, tinyPool, unit } from '../helpers';

/** Three planted directions in 6-D; sample i belongs to direction i % 3, with small noise. */
function planted(n = 90, T = 2) {
  const rng = new Rng(4);
  const dirs = [unit([1, 0.1, 0, 0, 0, 0]), unit([0, 0, 1, 0.1, 0, 0]), unit([0, 0, 0, 0, 1, 0.1])];
  const rows = Array.from({ length: T }, () => Array.from({ length: n }, (_, i) => unit(dirs[i % 3].map((x) => x + rng.normal() * 0.05))));
  return rows;
}

test('spherical k-means recovers planted clusters', async () => {
  const rows = planted(90, 1)[0];
  const x = Float32Array.from(rows.flat());
  const centers = await sphericalKMeans(x, 90, 6, 3, new Rng(1));
  const traj = plantedTrajectories([rows], [1]);
  const groups = await probeGroupsFromClusters(tinyPool(90), traj, 3, new Rng(1));
  assert.equal(centers.length, 18);
  for (let i = 0; i < 90; i++) assert.equal(groups.of[i], groups.of[i % 3], `sample ${i}`);
  assert.deepEqual(Array.from(groups.sizes), [30, 30, 30]);
});

test('Louvain on the group graph finds planted communities; a forced K lands exactly on K', () => {
  // 6 groups: {0,1,2} similar, {3,4,5} similar.
  const G = 6;
  const cos = new Float32Array(G * G);
  for (let a = 0; a < G; a++)
    for (let b = 0; b < G; b++) cos[a * G + b] = a === b ? 1 : Math.floor(a / 3) === Math.floor(b / 3) ? 0.9 : 0.05;
  const { edges } = thresholdEdges(cos, G, 0.5);
  assert.equal(edges.length, 6);
  const part = findCommunities(G, edges, cos, 1, 'auto', new Rng(1));
  assert.equal(part.count, 2);
  assert.deepEqual(Array.from(part.community), [0, 0, 0, 1, 1, 1]);
  for (const k of [2, 3, 4, 6]) assert.equal(findCommunities(G, edges, cos, 1, k, new Rng(1)).count, k, `forced K=${k}`);
});

test('influence follows I_k(z) = Σ_t η_t cos(g(z,t), ḡ_k(t)) and hard labels the z-scored argmax', async () => {
  const rows = planted(30, 2);
  const traj = plantedTrajectories(rows, [0.5, 0.25]);
  const pool = tinyPool(30);
  // The paper's assignment (argmax of z-scored influence) on groups formed on the planted trajectories.
  const cfg = resolveConfig({ capabilities: { k: 3, microClusters: 3, groupSignal: 'trajectories', assign: 'influence' } });
  const model = await discoverCapabilities(pool, traj, cfg, new Rng(2), { labelCandidates: [] });
  assert.equal(model.K, 3);
  for (let t = 0; t < 2; t++)
    for (let k = 0; k < 3; k++) {
      const a = model.anchors.subarray((t * 3 + k) * 6, (t * 3 + k + 1) * 6);
      assert.ok(Math.abs(Math.hypot(...a) - 1) < 1e-5, 'anchors are unit vectors');
    }
  const att = await attribute(traj, model, 'influence');
  for (const i of [0, 7, 29])
    for (let k = 0; k < 3; k++) {
      let expect = 0;
      for (let t = 0; t < 2; t++) {
        const a = model.anchors.subarray((t * 3 + k) * 6, (t * 3 + k + 1) * 6);
        expect += [0.5, 0.25][t] * rows[t][i].reduce((s, x, j) => s + x * a[j], 0);
      }
      assert.ok(Math.abs(att.influence[i * 3 + k] - expect) < 1e-5);
    }
  for (let i = 0; i < 30; i++) assert.equal(att.hard[i], att.hard[i % 3], 'same planted direction, same capability');
  assert.equal(new Set(Array.from(att.hard)).size, 3);
  assert.ok(Math.abs(att.selfInfluence[0] - 0.75) < 1e-6, 'Σ η_t ‖∇‖² with unit norms');
});

test('stages are ordered by self-influence decay, learned-first first', () => {
  assert.ok(decayScore([4, 1, 0.5]) < decayScore([4, 3, 2.5]));
  const n = 6;
  // Capability 0 decays slowly, capability 1 fast.
  const gn = [
    [1, 1, 1, 1, 1, 1],
    [0.9, 0.2, 0.9, 0.2, 0.9, 0.2],
    [0.8, 0.1, 0.8, 0.1, 0.8, 0.1],
  ];
  const traj = plantedTrajectories(
    [0, 1, 2].map(() => Array.from({ length: n }, () => [1, 0])),
    [1, 1, 1],
    gn,
  );
  const hard = Int32Array.from([0, 1, 0, 1, 0, 1]);
  const att = {
    K: 2,
    influence: new Float32Array(12),
    hard,
    selfInfluence: new Float32Array(6),
    mean: new Float64Array(2),
    std: new Float64Array(2).fill(1),
  };
  const model = { K: 2, capabilities: [{ name: 'slow' }, { name: 'fast' }] } as never;
  const stages = buildStages(
    { strategy: 'cadc', selected: Int32Array.from([0, 1, 2, 3, 4, 5]), notes: [] },
    att,
    model,
    traj,
    resolveConfig({}),
    new Rng(1),
  );
  assert.deepEqual(
    stages.map((s) => s.name),
    ['fast', 'slow'],
  );
  assert.deepEqual(Array.from(stages[0].samples).sort(), [1, 3, 5]);
});

test('capability names use a dominant label that says something, never a placeholder such as "default"', async () => {
  const { describeCapabilities } = await import('../../../src/core/influence/attribute');
  const n = 20;
  const pool = tinyPool(n);
  // Capability 0 (samples 0–9): 8 × category "default", 2 × "color"; capability 1: 6 × "count", 4 × "default".
  const values = ['default', 'color', 'count'];
  const codes = Int32Array.from({ length: n }, (_, i) => (i < 10 ? (i < 8 ? 0 : 1) : i < 16 ? 2 : 0));
  pool.labels = { category: { values, codes } };
  const caps = [0, 1].map((index) => ({ index, name: '', groups: [index], size: 0, terms: [], labels: [], styles: [] }));
  const model = {
    K: 2,
    probe: { source: 'clusters', names: ['g0', 'g1'], of: new Int32Array(n), sizes: new Int32Array(2) },
    capabilities: caps,
  } as never;
  const attribution = {
    K: 2,
    hard: Int32Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1)),
    influence: new Float32Array(2 * n),
  } as never;
  await describeCapabilities(pool, model, attribution);
  assert.ok(!caps[0].name.includes('default'), caps[0].name);
  assert.ok(caps[0].name.includes('color'), `the next label that covers ≥ 10% names it: ${caps[0].name}`);
  assert.ok(caps[1].name.includes('count'), caps[1].name);
  assert.deepEqual(
    caps[0].labels.map((l: { value: string }) => l.value),
    ['default', 'color'],
    'the labels list still shows the placeholder',
  );
});

test('centred group means subtract the size-weighted mean of the groups at each checkpoint; the text gate multiplies clipped cosines', async () => {
  const { centredMeans, gateByText } = await import('../../../src/core/capabilities/graph');
  // T = 2, G = 2, D = 2; sizes 1 and 3: the pool mean at t is (m0 + 3·m1) / 4.
  const means = Float64Array.from([4, 0, 0, 4, /* t = 1 */ 1, 1, 1, 1]);
  const c = centredMeans(means, 2, 2, 2, Int32Array.from([1, 3]));
  assert.deepEqual(Array.from(c), [3, -3, -1, 1, 0, 0, 0, 0]);
  // Groups with no members weigh nothing; all-empty leaves the means as they are.
  assert.deepEqual(Array.from(centredMeans(means, 2, 2, 2, Int32Array.from([0, 0]))), Array.from(means));
  const gate = gateByText(Float32Array.from([1, 0.5, -0.2, 0.8]), Float32Array.from([1, 0.4, 0.9, -0.3]));
  assert.deepEqual(Array.from(gate), [1, 0.5 * 0.4, 0, 0].map(Math.fround));
  assert.throws(() => gateByText(new Float32Array(4), new Float32Array(9)), /differ in size/);
});

test('the trajectories-and-text graph: groups learned alike but asked differently are not linked', async () => {
  // Three disjoint vocabularies (topics); the proxy's trajectories make topics 0 and 1 alike (one
  // direction) and topic 2 another. On the trajectory graph topics 0 and 1 become one capability; with
  // the text gate every topic is its own, and no text group is split across capabilities.
  const n = 180;
  const L = 4;
  const pool = tinyPool(n, { L, Q: 64 });
  pool.questionNgrams.fill(64);
  const topic = (i: number) => i % 3;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < 3; j++) pool.questionNgrams[i * L + j] = topic(i) * 10 + ((Math.floor(i / 3) + j) % 4);
    pool.questionNgramCount[i] = 3;
  }
  const rng = new Rng(5);
  const dirs = [unit([1, 0, 0.2, 0]), unit([0, 1, 0, 0.2])];
  const rows = [0, 1].map(() => Array.from({ length: n }, (_, i) => unit(dirs[topic(i) < 2 ? 0 : 1].map((x) => x + rng.normal() * 0.05))));
  const traj = plantedTrajectories(rows, [1, 1]);
  const run = async (graph: 'trajectories' | 'trajectories-and-text') => {
    const cfg = resolveConfig({ capabilities: { probe: 'clusters', microClusters: 6, graph } });
    const model = await discoverCapabilities(pool, traj, cfg, new Rng(1), { labelCandidates: [] });
    return Int32Array.from({ length: n }, (_, i) => model.groupCapability[model.probe.of[i]]);
  };
  const plain = await run('trajectories');
  const gated = await run('trajectories-and-text');
  for (let i = 3; i < n; i++) {
    assert.equal(plain[i], plain[i % 3], `trajectory graph: sample ${i} with its topic`);
    assert.equal(gated[i], gated[i % 3], `gated graph: sample ${i} with its topic`);
  }
  assert.equal(plain[0], plain[1], 'the trajectory graph joins topics 0 and 1 (learned alike)');
  assert.notEqual(plain[0], plain[2]);
  assert.equal(new Set(gated.subarray(0, 3)).size, 3, 'the gated graph keeps the three vocabularies apart');
});
