// Where a curation writes its manifest and attributions for a dataset: one rule (curriculum/manifest.ts)
// for the CLI and the extension.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { attributionsPathFor, datasetStem, manifestPathFor } from '../../../src/core/curriculum/manifest';

test('manifest and attributions paths from a dataset: <out>/<stem>.cadc.json and .cadc.attributions.jsonl', () => {
  assert.equal(datasetStem('/data/pool.jsonl'), 'pool');
  assert.equal(datasetStem('/data/Pool.V2.JSON'), 'Pool.V2');
  assert.equal(datasetStem('/data/pool.txt'), 'pool.txt');
  assert.equal(datasetStem('/data/pool.json.jsonl'), 'pool.json');
  assert.equal(manifestPathFor('/out', '/data/pool.jsonl'), join('/out', 'pool.cadc.json'));
  assert.equal(attributionsPathFor('/out', 'rel/pool.json'), join('/out', 'pool.cadc.attributions.jsonl'));
});
