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
    assert.equal(run.selection.selected.length, 41);
    assert.deepEqual(validateManifest(JSON.parse(serializeManifest(run.manifest))), { valid: true, errors: [] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
