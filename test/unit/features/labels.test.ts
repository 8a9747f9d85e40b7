// Issue 11.2: label columns are bounded — only keys that look like labels, at most MAX_LABEL_FIELDS,
// the rest counted in one diagnostic — so memory no longer grows as rows × distinct keys.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConfig } from '../../../src/core/config';
import { buildPool } from '../../../src/core/features/pool';
import { MAX_LABEL_FIELDS } from '../../../src/core/features/labels';

const cfg = resolveConfig({ features: { images: false } });

async function poolOf(rows: Record<string, unknown>[]) {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-labels-'));
  try {
    const file = join(dir, 'd.jsonl');
    writeFileSync(
      file,
      rows
        .map((r, i) =>
          JSON.stringify({
            ...r,
            conversations: [
              { from: 'human', value: `Question ${i % 17}?` },
              { from: 'gpt', value: `Answer ${i % 5}` },
            ],
          }),
        )
        .join('\n'),
    );
    return await buildPool(file, cfg, { checkImages: false });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('100 new keys on every row: none becomes a column; real labels stay; one diagnostic counts the rest', async () => {
  const rows = Array.from({ length: 600 }, (_, r) => {
    const rec: Record<string, unknown> = { id: `r${r}`, task: `t${r % 4}`, uid: `u${r}`, rare: r < 3 ? 'x' : undefined };
    for (let k = 0; k < 100; k++) rec[`k_${r}_${k}`] = `v${k}`;
    return rec;
  });
  const { pool, summary } = await poolOf(rows);
  assert.deepEqual(Object.keys(pool.labels), ['task']);
  assert.deepEqual(pool.labels.task.values, ['t0', 't1', 't2', 't3']);
  assert.deepEqual([...pool.labels.task.codes.subarray(0, 6)], [0, 1, 2, 3, 0, 1]);
  assert.equal(summary.diagnosticCounts['label-fields-dropped'], 1);
  const d = summary.diagnostics.find((x) => x.code === 'label-fields-dropped')!;
  // Per record at most 64 label keys are looked at: task, uid, rare (3 rows) and 61–62 of the k_* keys.
  assert.match(
    d.message,
    /^\d+ field\(s\) were not kept as labels \(\d+ on fewer than 5% of the samples, 1 with too many distinct values\)/,
  );
  assert.equal(d.line, 1);
  assert.deepEqual(summary.labelFields, [{ name: 'task', present: 600, distinct: 4 }]);
});

test('at most MAX_LABEL_FIELDS columns, the most present first; a label on some rows keeps -1 elsewhere', async () => {
  const rows = Array.from({ length: 100 }, (_, r) => {
    const rec: Record<string, unknown> = { id: `r${r}` };
    for (let k = 0; k < MAX_LABEL_FIELDS + 8; k++) if (k < MAX_LABEL_FIELDS || r % 2 === 0) rec[`f${k}`] = `v${(r + k) % 3}`;
    if (r % 10 === 0) rec.sometimes = 'yes';
    return rec;
  });
  const { pool, summary } = await poolOf(rows);
  const fields = Object.keys(pool.labels);
  assert.equal(fields.length, MAX_LABEL_FIELDS);
  assert.deepEqual(
    fields,
    Array.from({ length: MAX_LABEL_FIELDS }, (_, k) => `f${k}`),
  );
  assert.match(
    summary.diagnostics.find((x) => x.code === 'label-fields-dropped')!.message,
    /^9 field\(s\) .*9 over the cap of 32 label fields/,
  );
  const small = await poolOf(
    rows.slice(0, 40).map((r, i) => ({ id: r.id, task: `t${i % 2}`, ...(i % 10 === 0 ? { sometimes: 'yes' } : {}) })),
  );
  assert.deepEqual([...small.pool.labels.sometimes.codes.subarray(0, 11)], [0, -1, -1, -1, -1, -1, -1, -1, -1, -1, 0]);
  assert.equal(small.summary.diagnosticCounts['label-fields-dropped'], undefined);
});
