// The quality report on the real-data fixtures (test/fixtures), checked against facts counted independently here
// with plain JSON parsing (no project code).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

test('a rate over some of the samples carries its count and denominator, and they give the rate', async () => {
  const { HEADLINE_FIGURES } = await import('../../../src/core/report/figures');
  const partial = HEADLINE_FIGURES.filter((f) => f.of);
  assert.deepEqual(
    partial.map((f) => f.key),
    ['yesNoMismatchRate', 'multipleChoiceMismatchRate'],
  );
  // Multiple-choice answers without an option are rare in real data: three of them written here, one
  // answered with neither a letter nor an option's text.
  const dir = mkdtempSync(join(tmpdir(), 'cadc-mc-'));
  const mc = join(dir, 'mc.jsonl');
  const ask = (a: string) =>
    JSON.stringify({
      conversations: [
        { from: 'human', value: 'Which colour is the sky?\nA. blue\nB. green\nAnswer with the option letter.' },
        { from: 'gpt', value: a },
      ],
    });
  writeFileSync(
    mc,
    ['A', 'B', 'purple', 'Describe it.']
      .map((a, i) =>
        i < 3
          ? ask(a)
          : JSON.stringify({
              conversations: [
                { from: 'human', value: 'Describe the image.' },
                { from: 'gpt', value: 'A sky.' },
              ],
            }),
      )
      .join('\n') + '\n',
  );
  const seen = new Set<string>();
  for (const file of [POOL, FLAN, OWL, mc]) {
    const report = await buildQualityReport(file, {});
    for (const f of partial) {
      const { count, of } = f.of!(report.pool);
      assert.ok(count <= of && of <= report.pool.samples, `${f.key}: ${count} of ${of} of the pool's ${report.pool.samples}`);
      const rate = of > 0 ? count / of : 0;
      assert.ok(Math.abs(rate - report.pool.headline[f.key]) < 1e-3, `${f.key}: ${count} / ${of} vs ${report.pool.headline[f.key]}`);
      if (count > 0 && count / of !== count / report.pool.samples) seen.add(f.key);
    }
  }
  // The check bites: each figure is non-zero on some fixture, where the whole pool as the denominator would give another rate.
  assert.deepEqual([...seen].sort(), partial.map((f) => f.key).sort());
  const report = await buildQualityReport(mc, {});
  assert.deepEqual(partial[1].of!(report.pool), { count: 1, of: 3 });
  rmSync(dir, { recursive: true, force: true });
});
