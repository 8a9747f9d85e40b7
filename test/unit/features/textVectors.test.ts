import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ngramIdf, TextVectors } from '../../../src/core/features/textVectors';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

/** A pool whose samples' n-gram buckets are given. */
function poolOf(rows: number[][], Q = 64, L = 4) {
  const pool = tinyPool(rows.length, { Q, L });
  pool.questionNgrams.fill(Q);
  rows.forEach((r, i) => r.forEach((b, j) => (pool.questionNgrams[i * L + j] = b)));
  pool.questionNgramCount.set(rows.map((r) => r.length));
  return pool;
}

const dot = (a: Float32Array, i: number, j: number, d: number) => {
  let s = 0;
  for (let k = 0; k < d; k++) s += a[i * d + k] * a[j * d + k];
  return s;
};

test('idf: a bucket in every sample weighs 1, rarer ones more, the padding bucket 0', () => {
  const pool = poolOf([[1, 2], [1, 3], [1, 3], [1]]);
  const idf = ngramIdf(pool);
  assert.ok(Math.abs(idf[1] - 1) < 1e-6);
  assert.ok(Math.abs(idf[2] - (Math.log(5 / 2) + 1)) < 1e-6);
  assert.ok(idf[2] > idf[3] && idf[3] > idf[1]);
  assert.equal(idf[64], 0);
});

test('text vectors: unit rows, identical texts cosine 1, disjoint texts near 0, shared rare terms pull together', async () => {
  const pool = poolOf([[1, 2, 3], [1, 2, 3], [10, 11, 12], [1, 2, 40], []]);
  const tv = new TextVectors(pool, 128, new Rng(1));
  try {
    const x = await tv.rows(0, 5);
    for (let i = 0; i < 4; i++) assert.ok(Math.abs(dot(x, i, i, 128) - 1) < 1e-5, `row ${i} is unit`);
    assert.equal(dot(x, 4, 4, 128), 0, 'no n-grams → zero row');
    assert.ok(Math.abs(dot(x, 0, 1, 128) - 1) < 1e-5);
    assert.ok(Math.abs(dot(x, 0, 2, 128)) < 0.35, `disjoint ${dot(x, 0, 2, 128)}`);
    assert.ok(dot(x, 0, 3, 128) > 0.4, `two of three shared ${dot(x, 0, 3, 128)}`);
    const some = await tv.rowsOf([3, 0]);
    assert.deepEqual(Array.from(some.subarray(128, 256)), Array.from(x.subarray(0, 128)));
  } finally {
    await tv.release();
  }
});
