// bench/gradientsImport.ts --smoke (2,000 in-repo rows, D = 64, nothing written to bench/results): the
// benchmark runs end to end, so it cannot rot; its numbers are not checked beyond being there.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const REPO = resolve(__dirname, '../../..');

test('bench/gradientsImport.ts --smoke: import alone, curate imported and built-in, each with a peak RSS', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/gradientsImport.ts', '--smoke'], {
    cwd: REPO,
    encoding: 'utf8',
    timeout: 180_000,
  });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim().split('\n').pop() as string);
  assert.equal(rep.benchmark, 'gradientsImport');
  const [run] = rep.runs;
  assert.deepEqual([run.samples, run.D, run.checkpoints], [2000, 64, 4]);
  assert.equal(run.importOnly.residence, 'memory');
  assert.ok(run.importOnly.peakRssMB > 0 && run.curateImported.peakRssMB > 0 && rep.curateProxy.peakRssMB > 0);
  assert.equal(run.curateImported.stagesMs['warm-up'], 0, 'no warm-up with imported gradients');
  assert.equal(run.curateImported.trajectoryBytesPerSample, 4 * 64 * 2 + 4 * 8);
  assert.equal(run.curateImported.selected, rep.curateProxy.selected, 'the same budget on the same pool');
});
