// buildPool on hostile sizes: a sample with a huge answer costs features of its first
// MAX_FEATURE_CHARS characters only (its true length is kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { TASK_LABEL_FIELDS } from '../../../src/core/features/labels';
import { buildPool, labelCandidates, MAX_FEATURE_CHARS } from '../../../src/core/features/pool';
import { resolveTaskGroups } from '../../../src/core/selection/helpers';

test('a 2 MB answer: answer tokens and styles from its first MAX_FEATURE_CHARS characters, its length whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-pool-'));
  try {
    const file = join(dir, 'd.jsonl');
    const long = 'word '.repeat(400_000);
    const rec = (id: string, a: string) =>
      JSON.stringify({
        id,
        conversations: [
          { from: 'human', value: `Describe ${'the scene '.repeat(30_000)}` },
          { from: 'gpt', value: a },
        ],
      });
    writeFileSync(file, `${rec('big', long)}\n${rec('small', 'A short answer.')}\n`);
    const { pool } = await buildPool(file, resolveConfig({ features: { images: false } }), { checkImages: false });
    assert.equal(pool.n, 2);
    assert.equal(pool.answerChars[0], long.length);
    assert.equal(pool.answerPtr[1] - pool.answerPtr[0], MAX_FEATURE_CHARS / 'word '.length);
    assert.equal(pool.answerPtr[2] - pool.answerPtr[1], 3);
    assert.ok(pool.questionChars[0] > MAX_FEATURE_CHARS);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('one task-field order for probe groups and for tasks: source before category, as the docs say', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-pool-'));
  try {
    const file = join(dir, 'd.jsonl');
    const rows = Array.from({ length: 40 }, (_, i) =>
      JSON.stringify({
        id: `r${i}`,
        category: `cat${i % 4}`,
        source: `src${i % 5}`,
        subtask: `sub${i % 3}`,
        conversations: [
          { from: 'human', value: `Question ${i}?` },
          { from: 'gpt', value: `Answer ${i}.` },
        ],
      }),
    );
    writeFileSync(file, `${rows.join('\n')}\n`);
    const config = resolveConfig({ features: { images: false } });
    const { pool } = await buildPool(file, config, { checkImages: false });
    assert.deepEqual(TASK_LABEL_FIELDS, ['task_name', 'task', 'source', 'category', 'dataset', 'ability']);
    // Probe groups (labelCandidates) and task groups (resolveTaskGroups) agree on the field.
    assert.deepEqual(labelCandidates(pool), ['source', 'category', 'subtask']);
    const groups = resolveTaskGroups(pool, config);
    assert.equal(groups.field, 'source');
    assert.equal(groups.names.length, 5);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
