import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ari, nmi, purity } from '../../../src/core/util/stats';

test('ari matches known values (same cases as scikit-learn adjusted_rand_score)', () => {
  assert.equal(ari([0, 0, 1, 1], [0, 0, 1, 1]), 1);
  assert.equal(ari([0, 0, 1, 1], [1, 1, 0, 0]), 1); // label names do not matter
  assert.ok(Math.abs(ari([0, 0, 1, 2], [0, 0, 1, 1]) - 4 / 7) < 1e-12); // 0.5714…
  assert.equal(ari([0, 0, 0, 0], [0, 1, 2, 3]), 0);
  assert.ok(Math.abs(ari([0, 0, 1, 1], [0, 1, 0, 1]) + 0.5) < 1e-12);
});

test('ari ignores negative entries and is symmetric', () => {
  assert.equal(ari([0, 0, -1, 1, 1], [0, 0, 5, 1, 1]), 1);
  const a = [0, 1, 1, 2, 2, 2, 0, 1];
  const b = [1, 1, 0, 2, 2, 0, 0, 1];
  assert.ok(Math.abs(ari(a, b) - ari(b, a)) < 1e-12);
});

test('nmi of identical partitions is 1 and of independent ones 0', () => {
  assert.ok(Math.abs(nmi([0, 0, 1, 1], [1, 1, 0, 0]) - 1) < 1e-12);
  assert.ok(Math.abs(nmi([0, 0, 1, 1], [0, 1, 0, 1])) < 1e-12);
});

test("purity: the share of samples carrying their part's most common label; negatives ignored", () => {
  // part 0: labels 1,1,2 → 2 hits; part 1: labels 3,3 → 2 hits; one unlabelled sample skipped.
  assert.equal(purity([0, 0, 0, 1, 1, 1], [1, 1, 2, 3, 3, -1]), 4 / 5);
  assert.equal(purity([0, 1, 2], [5, 5, 5]), 1);
  assert.equal(purity([0, 0, 0, 0], [0, 1, 2, 3]), 1 / 4);
  assert.equal(purity([], []), 0);
});
