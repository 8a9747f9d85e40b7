// Restoring a committed manifest: reading and validating it, finding its dataset, comparing a
// selection with the manifest's, and the backend's re-run with the manifest's config and seed on a
// real fixture (the same samples come back; a manifest that was edited, or a dataset that changed,
// is told apart).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFromArgs, curateToFiles } from '../../../src/app/curate';
import { stableStringify } from '../../../src/core/util/stableJson';
import { settingsToCurateParams } from '../../../src/app/options';
import {
  compareSelection,
  curateParamsFromManifest,
  datasetCandidates,
  findDataset,
  manifestSelection,
  parseManifest,
  readManifestFile,
  RestoreRefused,
  restoreByRerun,
} from '../../../src/app/restore';
import { CurationCache } from '../../../src/core/store/cache';
import { FIXTURES } from '../helpers';

test('compareSelection: same, missing, extra and moved samples, counted', () => {
  const expected = new Map([
    [3, 's1'],
    [5, 's1'],
    [9, 's2'],
  ]);
  const same = compareSelection(expected, [
    { line: 1, stage: null },
    { line: 3, stage: 's1' },
    { line: 5, stage: 's1' },
    { line: 9, stage: 's2' },
  ]);
  assert.deepEqual(same, { same: true, missing: 0, extra: 0, moved: 0, message: '' });
  const diff = compareSelection(expected, [
    { line: 3, stage: 's2' },
    { line: 5, stage: 's1' },
    { line: 7, stage: 's1' },
    { line: 8, stage: 's2' },
  ]);
  assert.equal(diff.same, false);
  assert.deepEqual([diff.missing, diff.extra, diff.moved], [1, 2, 1]);
  assert.match(
    diff.message,
    /1 selected sample\(s\) of the manifest not selected, 2 other sample\(s\) selected, 1 sample\(s\) in another stage/,
  );
});

test('datasetCandidates: relative to the manifest first, then the workspace; absolute or escaping paths refused', () => {
  const ws = mkdtempSync(join(tmpdir(), 'cadc-restore-ws-'));
  const manifest = join(ws, 'curation', 'demo.cadc.json');
  assert.deepEqual(
    datasetCandidates(manifest, '../demo.jsonl', ws),
    [join(ws, 'demo.jsonl')],
    'the second reading would leave the workspace',
  );
  assert.deepEqual(datasetCandidates(manifest, 'data/demo.jsonl', ws), [
    join(ws, 'curation', 'data', 'demo.jsonl'),
    join(ws, 'data', 'demo.jsonl'),
  ]);
  assert.deepEqual(datasetCandidates(manifest, '/etc/passwd', ws), []);
  assert.deepEqual(datasetCandidates(manifest, '../../outside.jsonl', ws), [], 'a path out of the workspace is not followed');
  // Existence decides between the candidates.
  mkdirSync(join(ws, 'data'));
  writeFileSync(join(ws, 'data', 'demo.jsonl'), '{}\n');
  assert.equal(findDataset(manifest, 'data/demo.jsonl', ws), join(ws, 'data', 'demo.jsonl'));
  assert.equal(findDataset(manifest, 'nothing.jsonl', ws), undefined);
  assert.ok(!findDataset(manifest, '../curation', ws), 'a folder is not a dataset');
  // … unless it holds Parquet shards: then it is one dataset.
  mkdirSync(join(ws, 'pool'));
  writeFileSync(join(ws, 'pool', 'train-00000-of-00001.parquet'), 'PAR1');
  assert.equal(findDataset(manifest, '../pool', ws), join(ws, 'pool'));
});

test('parseManifest: not JSON, and JSON that is not a valid manifest, come back as errors', () => {
  assert.match(parseManifest('{').errors?.[0] ?? '', /not JSON/);
  const bad = parseManifest(JSON.stringify({ schema: 'cadc.manifest/v1' }));
  assert.ok(bad.errors && bad.errors.length > 0 && !bad.manifest);
});

test('restoreByRerun: the manifest of a real curation comes back with the same selection; an edited manifest and a changed dataset do not', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'cadc-restore-'));
  const dataset = join(ws, 'vf.jsonl');
  copyFileSync(join(FIXTURES, 'vision-flan-205', 'vision-flan-205.jsonl'), dataset);
  const out = join(ws, 'curation');
  // The fixture's images are not beside this copy: without includeFlagged every sample is flagged and none selected.
  const params = settingsToCurateParams(
    (key) => (key === 'cadc.selection.includeFlagged' ? true : undefined),
    { dataset, out, force: false, cache: null },
    { 'cadc.curation.budget': '20%' },
  );
  const curated = await curateToFiles(params);
  assert.equal(curated.code, 0, curated.message);
  const manifestFile = curated.result!.manifest;
  const read = await readManifestFile(manifestFile);
  assert.ok(read.manifest, read.errors?.join('; '));
  assert.equal(findDataset(manifestFile, read.manifest.dataset.path, ws), dataset);

  // A fresh clone: no cache. The re-run fills one, with the same selection as the manifest.
  const cache = join(ws, 'cache');
  const before = readFileSync(manifestFile, 'utf8');
  const rerun = { ...params, cache };
  const r = await restoreByRerun({ manifest: manifestFile, curate: rerun });
  assert.equal(r.same, true, r.difference);
  assert.equal(r.selected, read.manifest.budget.selected);
  assert.equal(r.sha256, read.manifest.dataset.sha256);
  const table = await CurationCache.open(cache).openAttributions(r.sha256);
  assert.ok(table, 'the re-run left its attribution table in the cache');
  const fromTable = compareSelection(
    manifestSelection(read.manifest),
    Array.from(table.scan(), (x) => ({ line: x.line, stage: x.stage > 0 ? `s${x.stage}` : null })),
  );
  table.close();
  assert.equal(fromTable.same, true, 'the cached table holds exactly the manifest selection');
  assert.equal(readFileSync(manifestFile, 'utf8'), before, 'restoring writes no manifest');

  // Compare re-uses the run's parameters: the manifest's config comes back from curate's options exactly.
  const back = curateParamsFromManifest(manifestFile, read.manifest, { dataset, format: 'auto', cache });
  assert.ok(back, 'the config is expressible as curate options');
  assert.equal(stableStringify(configFromArgs(back)), stableStringify(read.manifest.config));
  assert.deepEqual([back.budget, back.budgetUnit, back.seed, back.strategy], [0.2, 'fraction', 42, 'cadc']);
  // A manifest written before the proxy ensemble (no `proxies`) re-runs with one proxy, as it was made.
  const older = structuredClone(read.manifest);
  delete (older.config.capabilities as { proxies?: unknown }).proxies;
  assert.equal(curateParamsFromManifest(manifestFile, older, { dataset, format: 'auto', cache })?.proxies, 1);
  assert.equal(back.proxies, read.manifest.config.capabilities.proxies);
  const odd = structuredClone(read.manifest);
  odd.config.proxy.hiddenDim += 1;
  assert.equal(
    curateParamsFromManifest(manifestFile, odd, { dataset, format: 'auto', cache }),
    undefined,
    'not expressible: no parameters',
  );

  // A manifest whose selection was edited by hand (a sample swapped for an unselected line): told apart.
  const edited = structuredClone(read.manifest);
  const selected = manifestSelection(edited);
  const other = Array.from({ length: 205 }, (_, i) => i + 1).find((l) => !selected.has(l))!;
  edited.stages[0].samples[0].line = other;
  const editedFile = join(out, 'edited.cadc.json');
  writeFileSync(editedFile, JSON.stringify(edited));
  const e = await restoreByRerun({ manifest: editedFile, curate: rerun });
  assert.equal(e.same, false);
  assert.match(e.difference, /1 selected sample\(s\) of the manifest not selected, 1 other sample\(s\) selected/);

  // The dataset changed since the manifest: refused before any run.
  appendFileSync(dataset, readFileSync(dataset, 'utf8').split('\n')[0] + '\n');
  await assert.rejects(
    restoreByRerun({ manifest: manifestFile, curate: rerun }),
    (err) => err instanceof RestoreRefused && /changed since/.test(err.message),
  );
});
