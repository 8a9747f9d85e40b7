// The trajectory sketch's size (src/core/gradients/sketch.ts): 'auto' is the largest of 32, 16, 8 per side
// whose trajectories (n × T × 2 layers × d²) fit in 2^25 numbers, never below 8; a number is used as is.
// And the real pipeline: computeTrajectories on a small pool makes 32² rows under 'auto', the same bytes
// as an explicit 32.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../src/core/config';
import { AUTO_SKETCH, sketchDim } from '../../../src/core/gradients/sketch';
import { computeTrajectories } from '../../../src/core/gradients/trajectories';
import { warmUp } from '../../../src/core/proxy/warmup';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

test("'auto' sketch: 32² up to 4,096 samples, 16² up to 16,384, 8² above, at T = 4", () => {
  assert.equal(AUTO_SKETCH.numbers, 2 ** 25);
  for (const [n, d] of [
    [1, 32],
    [414, 32],
    [4096, 32],
    [4097, 16],
    [16384, 16],
    [16385, 8],
    [45480, 8],
    [65536, 8],
    [665000, 8], // over the budget even at 8²: never smaller than the floor
  ])
    assert.equal(sketchDim('auto', n, 4), d, `n = ${n}`);
});

test("'auto' sketch: more checkpoints halve the pool each size allows; a number is taken as given", () => {
  assert.equal(sketchDim('auto', 2048, 8), 32);
  assert.equal(sketchDim('auto', 2049, 8), 16);
  assert.equal(sketchDim('auto', 4096, 8), 16);
  assert.equal(sketchDim('auto', 8192, 8), 16);
  assert.equal(sketchDim('auto', 8193, 8), 8);
  assert.equal(sketchDim(8, 100, 4), 8);
  assert.equal(sketchDim(2, 10 ** 7, 4), 2);
  assert.equal(sketchDim(64, 10, 4), 64);
});

test("computeTrajectories under 'auto' on 300 samples: 2 × 32² unit rows, byte-equal to projectionDim 32", async () => {
  const pool = tinyPool(300);
  const base = { proxy: { embedDim: 8, hiddenDim: 8, minWarmup: 200, checkpoints: 3, learningRate: 0.02 } } as const;
  const auto = resolveConfig({ ...base, gradients: { projectionDim: 'auto', batchSize: 128 } });
  const fixed = resolveConfig({ ...base, gradients: { projectionDim: 32, batchSize: 128 } });
  const warm = await warmUp(pool, auto, new Rng(5));
  const a = await computeTrajectories(pool, warm, auto);
  const f = await computeTrajectories(pool, warm, fixed);
  assert.equal(a.D, 2 * 32 * 32);
  assert.equal(a.bytesPerSample, 3 * 2048 * 2 + 3 * 8);
  for (let t = 0; t < 3; t++) {
    const rows = a.slice(t, 0, 300);
    assert.deepEqual(Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength), Buffer.from(f.slice(t, 0, 300).buffer));
    for (const i of [0, 150, 299]) {
      let s = 0;
      for (let j = 0; j < a.D; j++) s += rows[i * a.D + j] ** 2;
      assert.ok(Math.abs(Math.sqrt(s) - 1) < 2e-3, `row ${i} at t=${t}: norm ${Math.sqrt(s)}`);
    }
  }
});
