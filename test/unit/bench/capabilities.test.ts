// The capability benchmark's smoke run (in-repo fixtures, 2 seeds, nothing written): every dataset and
// label scored for every variant and baseline, with numbers in range, so the script cannot rot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');

test('bench:capabilities --smoke scores every variant and baseline against every label', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/capabilities.ts', '--smoke', '--only', 'owleval,vision-flan-205,demo'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 240_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  const report = JSON.parse(lines[lines.length - 1]);
  assert.equal(report.benchmark, 'capabilities');
  assert.deepEqual(
    report.datasets.map((d: { name: string }) => d.name),
    ['owleval', 'vision-flan-205', 'demo'],
  );
  for (const d of report.datasets) {
    const labels = Object.keys(d.labels);
    assert.ok(labels.length >= 1);
    assert.ok(d.variants.some((v: { isDefault: boolean }) => v.isDefault));
    for (const v of d.variants) {
      assert.equal(v.perSeed.length, 2);
      for (const l of labels) {
        assert.ok(v.mean[l].nmi >= 0 && v.mean[l].nmi <= 1, `${d.name} ${v.name} ${l}`);
        assert.ok(v.mean[l].ari >= -1 && v.mean[l].ari <= 1);
      }
      assert.ok(v.stability >= -1 && v.stability <= 1);
      // Baselines exist at every K a variant found.
      for (const p of v.perSeed) assert.ok(d.baselines[String(p.K)], `${d.name}: baselines at K=${p.K}`);
    }
    for (const [K, b] of Object.entries(d.baselines) as [string, Record<string, { mean: Record<string, { nmi: number }> }>][]) {
      assert.deepEqual(
        Object.keys(b).sort(),
        ['k-means on raw features', 'k-means on trajectories', 'random partition', 'tf-idf k-means (instruction text)'],
        K,
      );
    }
  }
});
