import { test } from 'node:test';
import assert from 'node:assert/strict';
import { groupTextCosines, sparseLloyd, textKMeans, tfidfRowsOf } from '../../../src/core/capabilities/textGroups';
import { ngramIdf } from '../../../src/core/features/textVectors';
import { sparseRowsArgmax, sparseRowsTimesTable } from '../../../src/core/ort/kernels';
import { rowArgmax } from '../../../src/core/capabilities/kmeansSteps';
import { Float32Scratch } from '../../../src/core/util/scratch';
import { Rng } from '../../../src/core/util/rng';
import { purity } from '../../../src/core/util/stats';
import { join } from 'node:path';
import { autoMicroClusters, probeGroupsFromClusters } from '../../../src/core/capabilities/probeGroups';
import { resolveConfig } from '../../../src/core/config';
import { buildPool } from '../../../src/core/features/pool';
import type { Trajectories } from '../../../src/core/gradients/types';
import type { TextGroupsMemo } from '../../../src/core/capabilities/types';
import { FIXTURES, tinyPool } from '../helpers';

test('sparse rows times a table: Σ_j w[i,j] · table[ids[i,j]] in onnxruntime', async () => {
  // table [4, 2]: row b = [b, 10·b]
  const table = Float32Array.from([0, 0, 1, 10, 2, 20, 3, 30]);
  // Rows of 2, 2, 0 and 1 pairs (batched by length inside, returned in the callers' order).
  const ids = Int32Array.from([1, 2, 3, 0, 0, 0, 2, 0]);
  const w = Float32Array.from([1, 2, 0.5, 7, 0, 0, 3, 0]);
  const y = await sparseRowsTimesTable(ids, w, 4, 2, table, 4, 2);
  assert.deepEqual(Array.from(y), [5, 50, 1.5, 15, 0, 0, 6, 60]);
  await assert.rejects(sparseRowsTimesTable(ids, w, 4, 2, table, 4, 3), /do not match/);
});

test("sparse rows' argmax in the graph: the first maximum of each row's products, 0 for a row without pairs", async () => {
  // table [4, 3]: b0 = 0, b1 = [1, 3, 2], b2 = [2, 1, 2], b3 = [3, 3, 0]
  const table = Float32Array.from([0, 0, 0, 1, 3, 2, 2, 1, 2, 3, 3, 0]);
  // [5, 5, 6] → 2; [1.5, 1.5, 0] → 0 (a tie: the first wins); no pairs → 0; [1, 3, 2] → 1
  const ids = Int32Array.from([1, 2, 3, 0, 0, 0, 1, 0]);
  const w = Float32Array.from([1, 2, 0.5, 7, 0, 0, 1, 0]);
  assert.deepEqual(Array.from(await sparseRowsArgmax(ids, w, 4, 2, table, 4, 3)), [2, 0, 0, 1]);
  await assert.rejects(sparseRowsArgmax(ids, w, 4, 2, table, 4, 2), /do not match/);
});

test("sparse rows' argmax in the graph equals rowArgmax of the products on real rows", async () => {
  // llava-eval-pool fixture (3,790 instructions) against 200 of its rows as unit centroid columns, and
  // against a random table (fewer ties): the same row of every sample, batches of every length included.
  const { pool } = await buildPool(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), resolveConfig({}), { imageRoot: undefined });
  const m = pool.n;
  const L = pool.dims.maxQuestionNgrams;
  const V = pool.dims.questionBuckets + 1;
  const { ids, w } = tfidfRowsOf(
    pool,
    ngramIdf(pool),
    Int32Array.from({ length: m }, (_, i) => i),
  );
  const seeds = Array.from({ length: 200 }, (_, c) => c * 18);
  const rng = new Rng(5);
  for (const [k, table] of [
    [200, seedTable(ids, w, L, seeds, V)],
    [7, Float32Array.from({ length: V * 7 }, () => rng.next() - 0.5)],
  ] as const) {
    const want = new Int32Array(m);
    rowArgmax(await sparseRowsTimesTable(ids, w, m, L, table, V, k), m, k, want);
    const got = await sparseRowsArgmax(ids, w, m, L, table, V, k);
    let same = 0;
    for (let i = 0; i < m; i++) if (got[i] === want[i]) same++;
    assert.equal(same, m, `k ${k}: ${m - same} of ${m} rows differ`);
    assert.ok(new Set(got).size > Math.min(k, 5), `k ${k}: more than a few columns win`);
  }
});

/** n samples on three topics: sample i draws three of topic (i % 3)'s five n-grams; the rest is padding. */
function topicPool(n: number) {
  const Q = 64;
  const L = 6;
  const pool = tinyPool(n, { L, Q });
  const rng = new Rng(9);
  pool.questionNgrams.fill(Q);
  for (let i = 0; i < n; i++) {
    const t = i % 3;
    const picks = rng.sample(5, 3);
    for (let j = 0; j < 3; j++) pool.questionNgrams[i * L + j] = t * 5 + picks[j];
    pool.questionNgramCount[i] = 3;
  }
  return pool;
}

test('text k-means on the exact TF-IDF recovers planted topics, seeded and renumbered by first appearance', async () => {
  const pool = topicPool(120);
  const of = await textKMeans(pool, 3, new Rng(3));
  assert.deepEqual(Array.from(of.subarray(0, 3)), [0, 1, 2]);
  for (let i = 0; i < pool.n; i++) assert.equal(of[i], i % 3, `sample ${i}`);
  assert.deepEqual(Array.from(await textKMeans(pool, 3, new Rng(3))), Array.from(of));
  // Fitted on a sample of 30, every sample is still assigned.
  const sampled = await textKMeans(pool, 3, new Rng(3), 30);
  for (let i = 0; i < pool.n; i++) assert.equal(sampled[i], sampled[i % 3], `sample ${i}`);
});

test('text k-means: TF-IDF rows are unit; more clusters than distinct texts leaves no empty id', async () => {
  const pool = topicPool(9);
  const idf = ngramIdf(pool);
  const { w } = tfidfRowsOf(pool, idf, [0, 4]);
  for (const r of [0, 1]) assert.ok(Math.abs(w.subarray(r * 6, r * 6 + 6).reduce((a, x) => a + x * x, 0) - 1) < 1e-6);
  assert.deepEqual(Array.from(w.subarray(3, 6)), [0, 0, 0]);
  const blank = tinyPool(5);
  blank.questionNgrams.fill(16);
  blank.questionNgramCount.fill(0);
  const of = await textKMeans(blank, 3, new Rng(1));
  const ids = new Set(of);
  assert.deepEqual(
    [...ids].sort(),
    Array.from({ length: ids.size }, (_, i) => i),
  );
});

test('real data: groups on the exact TF-IDF are purer against `source` than on a 128-d projection of it', async () => {
  // llava-eval-pool fixture (3,790 rows, 7 sources); the label is read only to score the groups.
  const { pool } = await buildPool(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), resolveConfig({}), { imageRoot: undefined });
  const codes = pool.labels.source.codes;
  const k = autoMicroClusters(pool.n);
  const noTraj = { n: pool.n, T: 1, D: 1 } as unknown as Trajectories; // unused by the text signal
  for (const seed of [0, 1, 2]) {
    const exact = purity(await textKMeans(pool, k, new Rng(seed)), codes);
    const projected = purity((await probeGroupsFromClusters(pool, noTraj, k, new Rng(seed), 'text', 20_000, 128)).of, codes);
    assert.ok(exact >= 0.85, `seed ${seed}: exact purity ${exact}`);
    assert.ok(exact > projected + 0.05, `seed ${seed}: exact ${exact} vs projected ${projected}`);
  }
});

/**
 * Plain spherical Lloyd in float64 as the definition: every round, every row to its most similar
 * centroid (first maximum), centroids rebuilt as normalised sums, an empty one restarted at the row least
 * similar to its own centroid; stop when at most 0.5% of the rows move.
 */
function referenceLloyd(ids: Int32Array, w: Float32Array, m: number, L: number, seeds: number[], V: number, iterations: number) {
  const k = seeds.length;
  const unitRow = (r: number) => {
    const v = new Float64Array(V);
    for (let j = r * L; j < r * L + L; j++) v[ids[j]] += w[j];
    return v;
  };
  let C = seeds.map(unitRow);
  const assign = new Int32Array(m).fill(-1);
  for (let it = 0; it < iterations; it++) {
    const sims = new Float64Array(m * k);
    let moved = 0;
    for (let i = 0; i < m; i++) {
      let best = 0;
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = i * L; j < i * L + L; j++) s += w[j] * C[c][ids[j]];
        sims[i * k + c] = s;
        if (s > sims[i * k + best]) best = c;
      }
      if (best !== assign[i]) moved++;
      assign[i] = best;
    }
    if (moved <= m / 200) return assign;
    let worst = 0;
    for (let i = 1; i < m; i++) if (sims[i * k + assign[i]] < sims[worst * k + assign[worst]]) worst = i;
    const sums = Array.from({ length: k }, () => new Float64Array(V));
    const counts = new Int32Array(k);
    for (let i = 0; i < m; i++) {
      counts[assign[i]]++;
      for (let j = i * L; j < i * L + L; j++) sums[assign[i]][ids[j]] += w[j];
    }
    C = sums.map((v, c) => {
      if (counts[c] === 0) return unitRow(worst);
      const norm = Math.sqrt(v.reduce((a, x) => a + x * x, 0));
      return norm > 0 ? v.map((x) => x / norm) : v;
    });
  }
  return undefined;
}

/** The seeds as the unit columns of a [V, k] table. */
function seedTable(ids: Int32Array, w: Float32Array, L: number, seeds: number[], V: number) {
  const k = seeds.length;
  const table = new Float32Array(V * k);
  seeds.forEach((r, c) => {
    for (let j = r * L; j < r * L + L; j++) table[ids[j] * k + c] += w[j];
  });
  return table;
}

test("sparse Lloyd (centroid sums moved by the rows that change group) gives plain Lloyd's groups on real rows", async () => {
  // llava-eval-pool fixture: 3,790 instructions, 62 seeds spread over the file.
  const { pool } = await buildPool(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), resolveConfig({}), { imageRoot: undefined });
  const idf = ngramIdf(pool);
  const m = pool.n;
  const L = pool.dims.maxQuestionNgrams;
  const V = pool.dims.questionBuckets + 1;
  const { ids, w } = tfidfRowsOf(
    pool,
    idf,
    Int32Array.from({ length: m }, (_, i) => i),
  );
  const seeds = Array.from({ length: 62 }, (_, c) => c * 61);
  const table = seedTable(ids, w, L, seeds, V);
  const got = await sparseLloyd(ids, w, m, L, table, V, seeds.length, 15);
  const want = referenceLloyd(ids, w, m, L, seeds, V, 15);
  assert.ok(got && want, 'both converge within 15 rounds');
  let same = 0;
  for (let i = 0; i < m; i++) if (got[i] === want[i]) same++;
  assert.equal(same, m, `${m - same} of ${m} rows in another group`);
  // The table is left as unit centroid columns.
  for (const c of [0, 30, 61]) {
    let s = 0;
    for (let b = 0; b < V; b++) s += table[b * seeds.length + c] ** 2;
    assert.ok(Math.abs(s - 1) < 1e-4, `column ${c}: ‖·‖² ${s}`);
  }
});

test('sparse Lloyd: an empty centroid restarts at the row least like its own, as plain Lloyd does', async () => {
  // Seeds 0 and 0 again: the second column ties with the first and loses every row (first maximum wins).
  const pool = topicPool(120);
  const L = pool.dims.maxQuestionNgrams;
  const V = pool.dims.questionBuckets + 1;
  const { ids, w } = tfidfRowsOf(
    pool,
    ngramIdf(pool),
    Int32Array.from({ length: 120 }, (_, i) => i),
  );
  const seeds = [0, 0, 1, 2];
  const got = await sparseLloyd(ids, w, 120, L, seedTable(ids, w, L, seeds, V), V, 4, 15);
  const want = referenceLloyd(ids, w, 120, L, seeds, V, 15);
  assert.ok(got && want);
  assert.deepEqual(Array.from(got), Array.from(want));
  assert.equal(new Set(got).size, 4, 'the restarted centroid won rows back');
});

test('group text cosines: exact centroid cosines, 1 within a topic, 0 across disjoint vocabularies, 1 for a blank group', async () => {
  // topicPool: topics 0, 1, 2 use disjoint n-grams; groups 0 and 1 are both topic 0, group 2 topic 1,
  // group 3 topic 2, group 4 holds only blank rows.
  const pool = topicPool(60);
  const L = pool.dims.maxQuestionNgrams;
  for (let i = 57; i < 60; i++) pool.questionNgrams.fill(pool.dims.questionBuckets, i * L, i * L + L);
  const of = Int32Array.from({ length: 60 }, (_, i) => (i >= 57 ? 4 : i % 3 === 0 ? (i < 30 ? 0 : 1) : i % 3 === 1 ? 2 : 3));
  const cos = await groupTextCosines(pool, of, 5, new Rng(1));
  const at = (a: number, b: number) => cos[a * 5 + b];
  for (let g = 0; g < 4; g++) assert.ok(Math.abs(at(g, g) - 1) < 1e-5, `self ${g}`);
  assert.ok(at(0, 1) > 0.9, `same topic: ${at(0, 1)}`);
  assert.equal(at(0, 2), 0);
  assert.equal(at(2, 3), 0);
  for (let g = 0; g < 5; g++) assert.equal(at(4, g), 1, 'a blank group is neither joined nor parted by text');
  // Against a hand computation: the centroid of group 2 is the sum of its unit TF-IDF rows.
  const idf = ngramIdf(pool);
  const sum = (g: number) => {
    const v = new Float64Array(pool.dims.questionBuckets + 1);
    const rows = [...of.keys()].filter((i) => of[i] === g);
    const { ids, w } = tfidfRowsOf(pool, idf, rows);
    for (let j = 0; j < ids.length; j++) v[ids[j]] += w[j];
    return v;
  };
  const a = sum(0);
  const b = sum(1);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let j = 0; j < a.length; j++) {
    dot += a[j] * b[j];
    na += a[j] ** 2;
    nb += b[j] ** 2;
  }
  assert.ok(Math.abs(at(0, 1) - dot / Math.sqrt(na * nb)) < 1e-5, `${at(0, 1)} vs ${dot / Math.sqrt(na * nb)}`);
  // With at most 2 members per group, the same seed picks the same members; small groups stay whole.
  const few = await groupTextCosines(pool, of, 5, new Rng(1), 2);
  assert.deepEqual(Array.from(few), Array.from(await groupTextCosines(pool, of, 5, new Rng(1), 2)));
  assert.equal(few[0 * 5 + 2], 0);
});

test('the text-groups memo serves the default fitting sample only: an explicit sample size is computed afresh', async () => {
  const pool = topicPool(120);
  const noTraj = { n: pool.n, T: 0, D: 0 } as unknown as Trajectories;
  const asked: number[] = [];
  const memo: TextGroupsMemo = async (k, compute) => {
    asked.push(k);
    return compute();
  };
  const byDefault = await probeGroupsFromClusters(pool, noTraj, 3, new Rng(3), 'text', undefined, undefined, { memo });
  assert.deepEqual(asked, [3]);
  assert.deepEqual(Array.from(byDefault.of), Array.from(await textKMeans(pool, 3, new Rng(3))));
  const sampled = await probeGroupsFromClusters(pool, noTraj, 3, new Rng(3), 'text', 30, undefined, { memo });
  assert.deepEqual(asked, [3], 'an explicit sample size never reaches the memo');
  assert.deepEqual(Array.from(sampled.of), Array.from(await textKMeans(pool, 3, new Rng(3), 30)));
});

test('a work buffer shared by the text k-means and the text centroids changes neither, whatever it held', async () => {
  const pool = topicPool(120);
  const scratch = new Float32Scratch();
  scratch.zeros(1 << 20).fill(7); // larger than either needs, and dirty
  const of = await textKMeans(pool, 4, new Rng(5), undefined, undefined, scratch);
  assert.deepEqual(Array.from(of), Array.from(await textKMeans(pool, 4, new Rng(5))));
  scratch.zeros(1 << 20).fill(-3);
  const G = Math.max(...of) + 1;
  const cos = await groupTextCosines(pool, of, G, new Rng(2), undefined, scratch);
  assert.deepEqual(Array.from(cos), Array.from(await groupTextCosines(pool, of, G, new Rng(2))));
});
