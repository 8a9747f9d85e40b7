import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { matmulNT, rowNormalize } from '../../../src/core/ort/kernels';
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
