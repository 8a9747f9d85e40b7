import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { addSegmentSums, matmulNT, rowNormalize, segmentIndex } from '../../../src/core/ort/kernels';
import { toHalf } from '../../../src/core/gradients/trajectories';
import { Rng } from '../../../src/core/util/rng';

test('matmulNT matches a JS reference on a random case', async () => {
  const rng = new Rng(5);
  const m = 37,
    k = 19,
    n = 23;
  const a = Float32Array.from({ length: m * k }, () => rng.normal());
  const b = Float32Array.from({ length: n * k }, () => rng.normal());
  const y = await matmulNT(a, m, k, b, n);
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += a[i * k + t] * b[j * k + t];
      assert.ok(Math.abs(y[i * n + j] - s) < 1e-4, `y[${i},${j}] ${y[i * n + j]} vs ${s}`);
    }
});

test('matmulNT on a hand-computed case and shape errors', async () => {
  const y = await matmulNT(new Float32Array([1, 2, 3, 4]), 2, 2, new Float32Array([1, 0, 0, 1, 1, 1]), 3);
  assert.deepEqual(Array.from(y), [1, 2, 3, 3, 4, 7]);
  await assert.rejects(() => matmulNT(new Float32Array(3), 2, 2, new Float32Array(2), 1), /shapes/);
});

test('rowNormalize gives unit rows and keeps zero rows zero', async () => {
  const y = await rowNormalize(new Float32Array([3, 4, 0, 0, 1, 0]), 3, 2);
  assert.deepEqual(
    Array.from(y).map((v) => Math.round(v * 1e6) / 1e6),
    [0.6, 0.8, 0, 0, 1, 0],
  );
});

test('onnxruntime leaves no telemetry files in HOME when telemetry is off', () => {
  const home = mkdtempSync(join(tmpdir(), 'cadc-home-'));
  try {
    const script = `
      const { configureOrt } = require(${JSON.stringify(resolve('src/core/ort/session.ts'))});
      const { matmulNT } = require(${JSON.stringify(resolve('src/core/ort/kernels.ts'))});
      configureOrt({ telemetry: false });
      matmulNT(new Float32Array([1,2]), 1, 2, new Float32Array([3,4]), 1).then((y) => { if (y[0] !== 11) process.exit(3); });`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      env: { ...process.env, HOME: home, XDG_CACHE_HOME: join(home, '.cache'), ORT_DISABLE_TELEMETRY: '' },
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(existsSync(join(home, '.cache', 'Microsoft')), false, 'ORT wrote under ~/.cache/Microsoft');
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('segment sums: rows added into their segment, skipped rows left out, float16 cast in the graph, views honoured', async () => {
  // 4 rows of d = 2 into 2 segments; row 2 skipped. Taken as a view at offset 1 row of a larger array.
  const backing = Float32Array.from([99, 99, 1, 2, 3, 4, 50, 60, 0.5, -1, 99, 99]);
  const x = backing.subarray(2, 10);
  const into = Float64Array.from([10, 20, 0, 0]);
  await addSegmentSums(x, 4, 2, segmentIndex([1, 0, -1, 1], 2), 2, into);
  assert.deepEqual(Array.from(into), [13, 24, 1.5, 1]);
  const half = Uint16Array.from([0, 0, 1, 2, 3, 4, 5, 6, 7, 8].map((v) => toHalf(v / 4)));
  const h = new Float64Array(2);
  await addSegmentSums(half.subarray(2), 4, 2, segmentIndex([0, 0, 0, 0], 1), 1, h);
  assert.deepEqual(Array.from(h), [(1 + 3 + 5 + 7) / 4, (2 + 4 + 6 + 8) / 4]);
  assert.throws(() => segmentIndex([0, 2], 2), /outside/);
  await assert.rejects(() => addSegmentSums(x, 3, 2, segmentIndex([0, 0, 0, 0], 1), 1, h), /do not match/);
});

test('segment sums of 50,000 rows into 3 segments: the float64 sums to float32 precision, the same bits twice', async () => {
  // Many rows per segment is where a multi-threaded add-reduction raced (different sums run to run).
  const rng = new Rng(9);
  const m = 50_000,
    d = 16;
  const x = Float32Array.from({ length: m * d }, () => rng.normal());
  const seg = Int32Array.from({ length: m }, () => rng.int(4) - 1);
  const want = new Float64Array(3 * d);
  for (let i = 0; i < m; i++) if (seg[i] >= 0) for (let j = 0; j < d; j++) want[seg[i] * d + j] += x[i * d + j];
  const a = new Float64Array(3 * d);
  const b = new Float64Array(3 * d);
  await addSegmentSums(x, m, d, segmentIndex(seg, 3), 3, a);
  await addSegmentSums(x, m, d, segmentIndex(seg, 3), 3, b);
  assert.deepEqual(Array.from(a), Array.from(b));
  for (let j = 0; j < 3 * d; j++) assert.ok(Math.abs(a[j] - want[j]) < 0.05, `sum ${j}: ${a[j]} vs ${want[j]}`);
});
