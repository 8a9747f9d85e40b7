import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { serializeManifest } from '../../../src/core/curriculum/manifest';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { runCuration } from '../../../src/core/pipeline/run';
import { FIXTURES } from '../helpers';

test('a probe file defines the probe groups; pool samples land in their nearest probe group', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-probe-'));
  try {
    // Probe: 30 rows from each of four llava-eval-pool sources (a real, labelled validation set).
    const lines = readFileSync(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), 'utf8').trim().split('\n');
    const want = ['pope', 'scienceqa', 'textvqa', 'mmbench'];
    const probe: string[] = [];
    for (const src of want) probe.push(...lines.filter((l) => JSON.parse(l).source === src).slice(0, 30));
    writeFileSync(join(dir, 'probe.jsonl'), probe.join('\n') + '\n');
    const run = await runCuration({
      datasetPath: join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl'),
      probeFile: join(dir, 'probe.jsonl'),
      config: resolveConfig({ budget: 0.2, capabilities: { labelField: 'source' } }),
      cacheDir: null,
      manifestBase: dir,
    });
    assert.equal(run.capabilities.probe.source, 'file');
    assert.equal(run.capabilities.probe.field, 'source');
    assert.deepEqual([...run.capabilities.probe.names].sort(), [...want].sort());
    assert.ok(run.capabilities.K >= 2);
    assert.equal(run.capabilities.probe.of.length, 205);
    assert.ok(
      Array.from(run.capabilities.probe.of).every((g) => g >= 0 && g < 4),
      'every pool sample has a probe group',
    );
    assert.equal(run.manifest.probe.file, 'probe.jsonl');
    // 'auto' sizes the sketch by the pool (205 samples: 32²), and the probe file's trajectories share it.
    assert.equal(run.manifest.proxy.projectionDim, 32);
    assert.equal(run.trajectories.D, 2 * 32 * 32);
    assert.equal(run.selection.selected.length, 41);
    assert.deepEqual(validateManifest(JSON.parse(serializeManifest(run.manifest))), { valid: true, errors: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an 'auto' sketch is sized by the pool, and a probe file's trajectories use the pool's size", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-probe-'));
  try {
    // 3,790 pool rows over 5 checkpoints: 3,790 × 5 × 2 × 32² > 2^25, so 'auto' gives 16²; the 40-row
    // probe file alone would get 32², and its group trajectories would not compare with the pool's.
    const dataset = join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl');
    const lines = readFileSync(dataset, 'utf8').trim().split('\n');
    const probe = ['pope', 'scienceqa'].flatMap((src) => lines.filter((l) => JSON.parse(l).source === src).slice(0, 20));
    writeFileSync(join(dir, 'probe.jsonl'), probe.join('\n') + '\n');
    const run = await runCuration({
      datasetPath: dataset,
      probeFile: join(dir, 'probe.jsonl'),
      config: resolveConfig({ budget: 0.05, proxy: { checkpoints: 5 }, capabilities: { labelField: 'source' } }),
      cacheDir: null,
      manifestBase: dir,
    });
    assert.equal(run.manifest.config.gradients.projectionDim, 'auto');
    assert.equal(run.manifest.proxy.projectionDim, 16);
    assert.equal(run.trajectories.D, 2 * 16 * 16);
    assert.equal(run.capabilities.probe.source, 'file');
    assert.equal(run.capabilities.probe.of.length, 3790);
    assert.ok(run.capabilities.K >= 2);
    assert.deepEqual(validateManifest(JSON.parse(serializeManifest(run.manifest))), { valid: true, errors: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
