// buildPool on hostile sizes: a sample with a huge answer costs features of its first
// MAX_FEATURE_CHARS characters only (its true length is kept).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { buildPool, MAX_FEATURE_CHARS } from '../../../src/core/features/pool';

test('a 2 MB answer: answer tokens and styles from its first MAX_FEATURE_CHARS characters, its length whole', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-pool-'));
  try {
    const file = join(dir, 'd.jsonl');
    const long = 'word '.repeat(400_000);
    const rec = (id: string, a: string) => JSON.stringify({ id, conversations: [{ from: 'human', value: `Describe ${'the scene '.repeat(30_000)}` }, { from: 'gpt', value: a }] });
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
