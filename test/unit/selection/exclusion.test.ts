// Flagged samples (missing image, image outside the root, a real <image> token mismatch) are left out
// of every selection unless included: the filter on a small pool with a known answer, then every
// strategy and the alignment stage on the real demo, the manifest's `excluded` and its schema.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { resolveConfig, STRATEGIES } from '../../../src/core/config';
import { validateManifest } from '../../../src/core/curriculum/validate';
import { SAMPLE_FLAG } from '../../../src/core/dataset/types';
import { reselectAsync } from '../../../src/core/pipeline/reselect';
import { runCuration } from '../../../src/core/pipeline/run';
import type { CurationRun } from '../../../src/core/pipeline/api';
import { eligible, exclusionOf, selectable } from '../../../src/core/selection/helpers';
import { getStrategy } from '../../../src/core/selection/strategies';
import { Rng } from '../../../src/core/util/rng';
import { tinyPool } from '../helpers';

const REPO = join(__dirname, '../../..');
const { missingImage, imageOutsideRoot, imageTokenMismatch } = SAMPLE_FLAG;

/**
 * 10 samples; duplicate clusters {0, 1, 4} (representative 0, flagged) and {3, 6} (both flagged);
 * sample 8 flagged twice (missing image and token mismatch); the others clean singletons.
 */
function flaggedPool() {
  const pool = tinyPool(10);
  pool.flags.set([missingImage, 0, 0, imageTokenMismatch, 0, 0, imageOutsideRoot, 0, missingImage | imageTokenMismatch, 0]);
  const rep = Int32Array.from([0, 0, 2, 3, 0, 5, 3, 7, 8, 9]);
  return { pool, duplicates: { rep, exactPairs: 3, nearPairs: 0 } };
}

const indices = (mask: Uint8Array) => [...mask.keys()].filter((i) => mask[i]);

test('the filter: one clean stand-in per duplicate cluster, no flagged sample; with flagged samples included, the representatives', () => {
  const { pool, duplicates } = flaggedPool();
  // Cluster {0,1,4}: 0 is flagged, 1 stands in; {3,6}: both flagged, none; 8 flagged; 2, 5, 7, 9 clean.
  assert.deepEqual(indices(selectable({ pool, duplicates, config: resolveConfig() })), [1, 2, 5, 7, 9]);
  assert.deepEqual(
    indices(selectable({ pool, duplicates, config: resolveConfig({ selection: { includeFlagged: true } }) })),
    [0, 2, 3, 5, 7, 8, 9],
  );
  // Every strategy starts from it (the self-influence filter needs attributions, absent here).
  for (const s of STRATEGIES) assert.deepEqual(indices(eligible({ pool, duplicates, config: resolveConfig() }, s)), [1, 2, 5, 7, 9], s);
  // Nothing flagged: exactly the representatives, as before the filter existed.
  const clean = tinyPool(10);
  const reps = indices(selectable({ pool: clean, duplicates, config: resolveConfig() }));
  assert.deepEqual(reps, [0, 2, 3, 5, 7, 8, 9]);
});

test('random and length with the whole pool as budget: every clean stand-in, never a flagged sample; included, the flagged ones too', () => {
  const { pool, duplicates } = flaggedPool();
  for (const name of ['random', 'length'] as const) {
    for (const [includeFlagged, want] of [
      [false, [1, 2, 5, 7, 9]],
      [true, [0, 2, 3, 5, 7, 8, 9]],
    ] as const) {
      const config = resolveConfig({ strategy: name, selection: { includeFlagged } });
      const r = getStrategy(name).select({ pool, config, rng: new Rng(1), duplicates }, pool.n);
      assert.deepEqual(
        [...r.selected].sort((a, b) => a - b),
        want,
        `${name}, includeFlagged ${includeFlagged}`,
      );
    }
  }
});

test('the manifest counts what was left out, per problem (a sample with two counts under both)', () => {
  const { pool } = flaggedPool();
  assert.deepEqual(exclusionOf(pool, resolveConfig()), {
    total: 4,
    reasons: [
      { code: 'missing-image', count: 2 },
      { code: 'image-outside-root', count: 1 },
      { code: 'image-token-mismatch', count: 2 },
    ],
  });
  assert.equal(exclusionOf(pool, resolveConfig({ selection: { includeFlagged: true } })), undefined);
  assert.equal(exclusionOf(tinyPool(4), resolveConfig()), undefined, 'nothing flagged, nothing to say');
});

const withIncluded = (run: CurationRun, includeFlagged: boolean): CurationRun => ({
  ...run,
  manifest: { ...run.manifest, config: { ...run.manifest.config, selection: { ...run.manifest.config.selection, includeFlagged } } },
});

test('the demo: no strategy (nor the alignment stage) selects a flagged line by default; with flagged samples included, they can be', async () => {
  const run = await runCuration({ datasetPath: join(REPO, 'demo/demo.jsonl'), config: resolveConfig({ budget: 0.2 }), cacheDir: null });
  const flaggedLines = new Set<number>();
  for (let i = 0; i < run.pool.n; i++) if (run.pool.flags[i]) flaggedLines.add(run.pool.lines[i]);
  assert.equal(flaggedLines.size, 36, 'line 7 and lines 1020–1054: their images are missing (problems.test.ts)');
  assert.ok(flaggedLines.has(7));
  const lines = (r: CurationRun) => r.manifest.stages.flatMap((s) => s.samples.map((x) => x.line));
  for (const strategy of STRATEGIES) {
    const r = await reselectAsync(run, { budget: 0.2, strategy });
    const picked = lines(r);
    assert.ok(picked.length > 0, strategy);
    assert.deepEqual(
      picked.filter((l) => flaggedLines.has(l)),
      [],
      `${strategy} selected flagged lines`,
    );
    assert.deepEqual(r.manifest.excluded, { total: 36, reasons: [{ code: 'missing-image', count: 36 }] });
    assert.deepEqual(validateManifest(JSON.parse(JSON.stringify(r.manifest))), { valid: true, errors: [] }, strategy);
  }
  // task-balanced turns the alignment stage on: its samples are clean too (checked above); it exists.
  const tb = await reselectAsync(run, { budget: 0.2, strategy: 'task-balanced' });
  assert.ok(tb.manifest.stages.some((s) => s.kind === 'alignment'));
  // Included: the whole pool as budget takes every duplicate cluster's representative, flagged or not (line 7 among them).
  const all = reselectAsync(withIncluded(run, true), { budget: 1, budgetUnit: 'fraction', strategy: 'random' });
  const picked = new Set(lines(await all));
  const reps = [...run.pool.lines].filter((_, i) => run.duplicates.rep[i] === i);
  assert.deepEqual(
    [...picked].sort((a, b) => a - b),
    reps,
  );
  assert.ok(picked.has(7), 'line 7 selected when flagged samples are included');
  assert.equal([...flaggedLines].filter((l) => picked.has(l)).length, reps.filter((l) => flaggedLines.has(l)).length);
  assert.equal((await all).manifest.excluded, undefined);
  assert.equal((await all).manifest.config.selection.includeFlagged, true);
  // Default, whole pool as budget: a note says why fewer were selected.
  const capped = await reselectAsync(run, { budget: 1, budgetUnit: 'fraction', strategy: 'random' });
  assert.match(capped.manifest.notes?.join(' ') ?? '', /hold only flagged samples .*--include-flagged/);
  // The schema checks the field.
  const bad = JSON.parse(JSON.stringify(capped.manifest));
  bad.excluded.reasons[0].code = 'empty-answer';
  assert.equal(validateManifest(bad).valid, false);
});
