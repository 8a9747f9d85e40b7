// Consensus communities and the stability-chosen K (src/core/capabilities/consensus.ts), on planted blocks.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averageLinkage, coAssociation, consensusCommunities, meanPairwiseAri } from '../../../src/core/capabilities/consensus';
import { thresholdEdges } from '../../../src/core/capabilities/graph';
import { Rng } from '../../../src/core/util/rng';
import { blockCosines } from '../helpers';

const blocks = (B: number, m: number, jitter?: number) => blockCosines(B, m, 0.9, 0.05, jitter);

test('coAssociation: the share of runs holding both groups that put them together', () => {
  // Three runs over 3 groups; group 2 is left out of the last run.
  const runs = [Int32Array.from([0, 0, 1]), Int32Array.from([0, 1, 1]), Int32Array.from([1, 1, -1])];
  const m = coAssociation(runs, 3);
  assert.deepEqual(Array.from(m), [1, 2 / 3, 0, 2 / 3, 1, 1 / 2, 0, 1 / 2, 1]);
});

test('meanPairwiseAri: 1 for identical runs, on the groups two runs share', () => {
  assert.equal(meanPairwiseAri([Int32Array.from([0, 0, 1, 1]), Int32Array.from([1, 1, 0, 0])]), 1);
  // The runs differ only on group 3, which the second run left out.
  assert.equal(meanPairwiseAri([Int32Array.from([0, 0, 1, 1, 0]), Int32Array.from([0, 0, 1, 1, -1])]), 1);
  assert.ok(meanPairwiseAri([Int32Array.from([0, 0, 1, 1]), Int32Array.from([0, 1, 0, 1])]) < 0);
});

test('averageLinkage: recovers planted blocks and cuts at exactly k for every k', () => {
  const { G, cos } = blocks(3, 4);
  const sim = Float64Array.from(cos);
  const three = averageLinkage(sim, G, 3);
  assert.deepEqual(Array.from(three), [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]);
  for (let k = 1; k <= G; k++) assert.equal(new Set(averageLinkage(sim, G, k)).size, k, `k=${k}`);
});

test('consensusCommunities: auto picks the planted K (the only one every perturbed run agrees on); forced K exact', () => {
  for (const B of [3, 4, 6]) {
    // Across-block cosines jittered (symmetric, seeded): with exact ties a merge would always pick the
    // same pair of blocks, and a coarser K would look as stable as the planted one.
    const { G, cos } = blocks(B, 5, 5);
    const { edges } = thresholdEdges(cos, G, 'auto');
    const sizes = new Float64Array(G).fill(10);
    const auto = consensusCommunities(G, edges, cos, 1, 'auto', new Rng(1), sizes);
    assert.equal(auto.count, B, `B=${B}`);
    for (let g = 0; g < G; g++) assert.equal(auto.community[g], auto.community[Math.floor(g / 5) * 5], `B=${B}: group ${g} with its block`);
    const atB = auto.stability.find((s) => s.k === B)!;
    assert.equal(atB.ari, 1);
    assert.ok(
      auto.stability.every((s) => s.k === B || s.ari < 1),
      `B=${B}: only K=${B} is perfectly stable`,
    );
    // Same rng, same partition; another rng, the same partition here (the blocks are unambiguous).
    assert.deepEqual(consensusCommunities(G, edges, cos, 1, 'auto', new Rng(1), sizes).community, auto.community);
    assert.deepEqual(consensusCommunities(G, edges, cos, 1, 'auto', new Rng(9), sizes).community, auto.community);
    for (let k = 2; k <= G; k++) assert.equal(consensusCommunities(G, edges, cos, 1, k, new Rng(1), sizes).count, k, `B=${B}, k=${k}`);
  }
});

test("consensusCommunities with partition 'louvain': K by the runs' stability, the partition one Louvain run split or merged to it", () => {
  const { G, cos } = blocks(4, 5, 5);
  const { edges } = thresholdEdges(cos, G, 'auto');
  const sizes = new Float64Array(G).fill(10);
  const part = consensusCommunities(G, edges, cos, 1, 'auto', new Rng(1), sizes, 'louvain');
  assert.equal(part.count, 4);
  for (let g = 0; g < G; g++) assert.equal(part.community[g], part.community[Math.floor(g / 5) * 5]);
  for (let k = 2; k <= G; k++) assert.equal(consensusCommunities(G, edges, cos, 1, k, new Rng(1), sizes, 'louvain').count, k, `k=${k}`);
});
