// `cadc compare` end to end through the built CLI bundle, and compareStrategies in the core.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { runCuration } from '../../../src/core/pipeline/run';
import { compareStrategies, jaccard } from '../../../src/core/report/compare';
import { cliSandbox, FIXTURES } from './sandbox';

const FLAN = join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl');
const { out, cadc } = cliSandbox('cadc-cli-compare-');

test('compare --json: counts, symmetric Jaccard matrix, compositions summing to 1, deltas', () => {
  const r = cadc(['compare', FLAN, '--strategies', 'cadc,random', '--budget', '20%', '--json', '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.equal(c.schema, 'cadc.compare/v1');
  assert.deepEqual(
    c.strategies.map((s: { strategy: string }) => s.strategy),
    ['cadc', 'random'],
  );
  for (const s of c.strategies) {
    assert.equal(s.selected, 41);
    assert.equal(s.quality.samples, 41);
    assert.equal(s.deltas.samples, 41 - 205);
    assert.equal(s.deltas.meanAnswerWords, Math.round((s.quality.headline.meanAnswerWords - c.pool.headline.meanAnswerWords) * 1e6) / 1e6);
    for (const part of ['capabilities', 'styles', 'labels']) {
      const total = s.composition[part].reduce((n: number, e: { count: number }) => n + e.count, 0);
      assert.equal(total, 41, part);
    }
  }
  assert.equal(c.overlap[0][0], 1);
  assert.equal(c.overlap[1][1], 1);
  assert.equal(c.overlap[0][1], c.overlap[1][0]);
  assert.ok(c.overlap[0][1] < 1);
  assert.equal(c.labelField, 'task_name');
});

test('compare writes Markdown + JSON, refuses to overwrite, exit 2 for unknown strategies, 3 unreadable', () => {
  const dir = join(out, 'files');
  const r = cadc(['compare', FLAN, '--strategies', 'cadc,random', '--budget', '20%', '--out', dir, '--no-cache', '--quiet']);
  assert.equal(r.status, 0, r.stderr);
  const md = readFileSync(join(dir, 'vision-flan-205.cadc.compare.md'), 'utf8');
  assert.match(md, /## Overlap \(Jaccard of selected sets\)/);
  assert.match(md, /\| cadc \| 1 \|/);
  assert.match(md, /## Composition: style/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'vision-flan-205.cadc.compare.json'), 'utf8')).strategies.length, 2);
  const again = cadc(['compare', FLAN, '--strategies', 'cadc,random', '--out', dir, '--no-cache', '--quiet']);
  assert.equal(again.status, 4);
  const unknown = cadc(['compare', FLAN, '--strategies', 'cadc,nonsense', '--json', '--no-cache', '--quiet']);
  assert.equal(unknown.status, 2);
  assert.match(unknown.stderr, /nonsense/);
  assert.equal(cadc(['compare', FLAN, '--json']).status, 2, '--strategies is required');
  assert.equal(cadc(['compare', FLAN, '--strategies', 'cadc', '--strategy', 'random']).status, 2);
  assert.equal(cadc(['compare', join(out, 'nope.jsonl'), '--strategies', 'cadc,random', '--json']).status, 3);
});

test('compareStrategies on a run: overlap equals Jaccard of the reselected sets', async () => {
  const run = await runCuration({ datasetPath: FLAN, config: resolveConfig({ budget: 0.2 }), cacheDir: null });
  const c = await compareStrategies(run, { budget: 0.3, strategies: ['cadc', 'random'] });
  assert.equal(c.budget.count, Math.round(205 * 0.3));
  assert.equal(c.strategies[0].selected, c.budget.count);
  const cadcSel = c.strategies[0].composition.capabilities.reduce((n, e) => n + e.count, 0);
  assert.equal(cadcSel, c.budget.count);
  assert.ok(c.overlap[0][1] >= 0 && c.overlap[0][1] < 1);
  assert.equal(jaccard([1, 2], [2, 3]), 1 / 3);
  await assert.rejects(compareStrategies(run, { budget: 0.3, strategies: ['cadc', 'made-up'] }), /made-up/);
});
