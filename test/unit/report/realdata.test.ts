// The quality report on the real-data fixtures (test/fixtures), checked against facts counted independently here
// with plain JSON parsing (no project code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildQualityReport } from '../../../src/core/report/report';
import { FIXTURES } from '../helpers';

const POOL = join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl');
const FLAN = join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl');
const OWL = join(FIXTURES, 'owleval/owleval.jsonl');

interface Row {
  image?: string;
  source?: string;
  model?: string;
  conversations: { from: string; value: string }[];
}
function rows(file: string): { line: number; row: Row }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((l, i) => ({ l, line: i + 1 }))
    .filter((x) => x.l.trim() !== '')
    .map((x) => ({ line: x.line, row: JSON.parse(x.l) as Row }));
}
function countBy<T>(xs: T[], key: (x: T) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const x of xs) m.set(key(x), (m.get(key(x)) ?? 0) + 1);
  return m;
}

test('llava-eval-pool: rows per source, POPE yes/no questions and answers, images and tokens', async () => {
  const all = rows(POOL);
  const popeLines = all.filter((r) => r.row.source === 'pope').map((r) => r.line);
  const report = await buildQualityReport(POOL, { lines: { name: 'pope', lines: popeLines } });

  // Rows per source.
  const bySource = countBy(all, (r) => r.row.source ?? '');
  const src = report.pool.diversity.labels.find((l) => l.field === 'source');
  assert.ok(src);
  assert.equal(src.distinct.distinct, bySource.size);
  assert.deepEqual(new Map(src.top.map((v) => [v.value, v.count])), bySource);
  // Counted independently: jq -r .source test/fixtures/llava-eval-pool/llava-eval-pool.jsonl | grep -cx pope → 743.
  assert.equal(bySource.get('pope'), 743);

  // POPE: the question line (the human turn minus <image> and the answer-format line) is a yes/no
  // question by its form, and the answer starts with yes/no.
  const pope = all.filter((r) => r.row.source === 'pope');
  const questionLine = (r: Row) =>
    r.conversations[0].value.split('\n').filter((l) => l !== '<image>' && !l.startsWith('Answer the question'))[0] ?? '';
  const yesNoForm = pope.filter(
    (r) => /^(is|are|does|do|did|can|was|were|has|have)\s.*\?$/i.test(questionLine(r.row)) && !/\sor\s/i.test(questionLine(r.row)),
  );
  const answeredYesNo = yesNoForm.filter((r) => /^(yes|no)\b/i.test(r.row.conversations[1].value.trim()));
  assert.ok(report.selection);
  assert.equal(report.selection.samples, 743);
  assert.equal(report.selection.correctness.yesNo.questions, yesNoForm.length);
  assert.equal(report.selection.correctness.yesNo.questions - report.selection.correctness.yesNo.mismatch, answeredYesNo.length);
  assert.equal(report.selection.diversity.labels.find((l) => l.field === 'source')?.top[0].count, 743);

  // No image is on disk: every row with an image path is "image missing".
  assert.equal(report.pool.correctness.imageMissing.count, all.filter((r) => r.row.image).length);
  // <image> tokens in human turns vs images (0 or 1 per row).
  const tokenMismatch = all.filter((r) => {
    const tokens = r.row.conversations.filter((c) => c.from === 'human').reduce((n, c) => n + (c.value.match(/<image>/g) ?? []).length, 0);
    return tokens !== (r.row.image ? 1 : 0);
  });
  assert.equal(report.pool.correctness.imageTokenMismatch.count, tokenMismatch.length);
  // Single-turn rows: rounds are all 1.
  assert.equal(report.pool.complexity.rounds.mean, 1);
  // grep -c . test/fixtures/llava-eval-pool/llava-eval-pool.jsonl → 3790 (every 12th row of the 45,480).
  assert.equal(report.pool.samples, 3790);
});

test('vision-flan-205: exactly the one missing image file; tasks; answer words', async () => {
  const all = rows(FLAN);
  const missing = all.filter((r) => r.row.image && !existsSync(join(dirname(FLAN), r.row.image)));
  assert.equal(missing.length, 1);
  const report = await buildQualityReport(FLAN);
  assert.equal(report.pool.correctness.imageMissing.count, missing.length);
  assert.equal(report.pool.correctness.imageProblems.missing, 1);
  const tasks = report.pool.diversity.labels.find((l) => l.field === 'task_name');
  assert.equal(tasks?.distinct.distinct, new Set(all.map((r) => (r.row as { task_name?: string }).task_name)).size);
  const words = all.reduce(
    (n, r) => n + r.row.conversations.filter((c) => c.from === 'gpt').reduce((m, c) => m + (c.value.match(/\S+/g) ?? []).length, 0),
    0,
  );
  assert.equal(report.pool.complexity.answerWords.mean, Math.round((words / all.length) * 1e6) / 1e6);
});

test('owleval: rows per model; the same question+image answered by several models', async () => {
  const all = rows(OWL);
  const report = await buildQualityReport(OWL);
  const model = report.pool.diversity.labels.find((l) => l.field === 'model');
  assert.deepEqual(
    new Map(model?.top.map((v) => [v.value, v.count])),
    countBy(all, (r) => r.row.model ?? ''),
  );
  // Groups of rows with the same (trimmed, lower-cased) first question and image, size ≥ 2.
  const key = (r: Row) =>
    `${r.conversations[0].value
      .replace(/<image>/g, '')
      .trim()
      .toLowerCase()
      .replace(/\s+/g, ' ')
      .replace(/[.!?\s]+$/, '')}|${r.image}`;
  const groups = [...countBy(all, (r) => key(r.row)).values()].filter((n) => n >= 2);
  assert.equal(report.pool.correctness.duplicates.groups, groups.length);
  assert.equal(
    report.pool.correctness.duplicates.samples,
    groups.reduce((a, b) => a + b, 0),
  );
});
