// Benchmarks are not tests, but their smoke versions run here so they cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');

for (const bench of ['perf', 'gemm']) {
  test(`bench/${bench}.ts --smoke runs and reports`, () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${bench}.ts`, '--smoke'], { cwd: REPO, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const row = JSON.parse(r.stdout.trim().split('\n')[0]);
    if (bench === 'perf') {
      assert.equal(row.samples, 2000);
      assert.ok(row.selected > 0 && row.cacheHit === true);
    } else assert.ok(row.ort2Threads > 0 && row.naiveJs > 0);
  });
}
