// The quality report on hand-made JSONL files where every figure is known by hand.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQualityReport } from '../../../src/core/report/report';
import { reportToMarkdown, escapeMd } from '../../../src/core/report/markdown';
import { HEADLINE_FIGURES } from '../../../src/core/report/figures';
import { jaccard } from '../../../src/core/report/compare';
import { DistinctCounter, IntHistogram, hash53 } from '../../../src/core/report/sketches';
import {
  answersOption,
  instructionTemplate,
  isYesNoQuestion,
  parseOptions,
  sampleSignals,
  truncation,
} from '../../../src/core/report/signals';

const dir = mkdtempSync(join(tmpdir(), 'cadc-report-'));
after(() => rmSync(dir, { recursive: true, force: true }));

type Conv = [string, string][];
function row(id: string, conv: Conv, extra: Record<string, unknown> = {}): string {
  const conversations = conv.flatMap(([q, a]) => [
    { from: 'human', value: q },
    { from: 'gpt', value: a },
  ]);
  return JSON.stringify({ id, ...extra, conversations });
}

const LONG_CUT =
  'The man is standing next to a red car parked on the side of a busy street while people walk past him and the sun sets behind the tall buildings in the';
const LONG_OK = `${LONG_CUT} distance.`;

// Line numbers are 1-based; comments give what each row contributes.
const ROWS = [
  /* 1 */ row('a', [['<image>\nIs there a cat in the image?', 'Yes']], { image: 'img/cat.jpg', task: 't1' }), // yes/no ok
  /* 2 */ row('b', [['<image>\nIs there a dog in the image?', 'A brown dog.']], { image: 'img/cat.jpg', task: 't1' }), // yes/no mismatch
  /* 3 */ row('c', [['<image>\nIs it red or blue?', 'Blue']], { image: 'img/cat.jpg', task: 't1' }), // alternative: not yes/no
  /* 4 */ row('d', [['<image>\nWhat is shown?\nA. a cat\nB. a dog\nC. a bird', 'B']], { image: 'img/cat.jpg', task: 't2' }), // mc ok (letter)
  /* 5 */ row('e', [['<image>\nWhat is shown?\nA. a cat\nB. a dog\nC. a bird', 'It is a dog.']], { image: 'img/cat.jpg', task: 't2' }), // mc ok (text)
  /* 6 */ row('f', [['<image>\nWhat is shown?\nA. a cat\nB. a dog\nC. a bird', 'Something else']], { image: 'img/cat.jpg', task: 't2' }), // mc mismatch
  /* 7 */ row('g', [['<image>\nDescribe the scene.', LONG_CUT]], { image: 'img/cat.jpg', task: 't3' }), // truncated (no punct.)
  /* 8 */ row('h', [['<image>\nDescribe the scene.', LONG_OK]], { image: 'img/cat.jpg', task: 't3' }), // complete
  /* 9 */ row('i', [['<image>\nDescribe the scene.', 'A man and...']], { image: 'img/cat.jpg', task: 't3' }), // truncated (ellipsis)
  /* 10 */ row('j', [['<image>\n<image>\nWhat is the colour of the car?', 'Red']], { image: 'img/cat.jpg', task: 't4' }), // 2 tokens, 1 image
  /* 11 */ row('k', [['What is the colour of the car?', 'Red']], { image: 'img/cat.jpg', task: 't4' }), // 0 tokens, 1 image
  /* 12 */ row('l', [['<image>\nWhat is the colour of the car?', 'Blue']], { image: 'img/missing.jpg', task: 't4' }), // missing image
  /* 13 */ row('m', [['<image>\nWhat colour is the bus?', 'Yellow']], { image: 'img/cat.jpg', task: 't4' }), // duplicate group 1 …
  /* 14 */ row('n', [['<image>\nwhat colour is the bus', 'Green']], { image: 'img/cat.jpg', task: 't4' }), // … conflicting (same normalised q)
  /* 15 */ row('o', [['<image>\nWhat colour is the bus?', 'yellow.']], { image: 'img/cat.jpg', task: 't4' }), // … third member (agrees with 13)
  /* 16 */ row('p', [['<image>\nHow many people are there?', 'Two']], { image: 'img/cat.jpg', task: 't4' }), // duplicate group 2 …
  /* 17 */ row('q', [['<image>\nHow many people are there?', 'Two']], { image: 'img/cat.jpg', task: 't4' }), // … agreeing
  /* 18 */ row(
    'r',
    [
      ['<image>\nWhy is the man running?', 'He runs because he is late, therefore he hurries.'],
      ['What happens first?', 'First, he wakes up; then he runs.'],
      ['And now?', 'He rests.'],
    ],
    { image: 'img/cat.jpg', task: 't5' },
  ), // 3 rounds, reasoning
];

const ds = join(dir, 'hand.jsonl');
writeFileSync(ds, `${ROWS.join('\n')}\n`);
// Images: only img/cat.jpg exists.
mkdirSync(join(dir, 'img'));
writeFileSync(join(dir, 'img/cat.jpg'), 'x');

test('signals: yes/no form, alternatives, requests, explicit instructions', () => {
  assert.equal(isYesNoQuestion('<image>\nIs there a cat?\nAnswer the question using a single word or phrase.'), true);
  assert.equal(isYesNoQuestion('The image shows code. Is the output 7?'), true);
  assert.equal(isYesNoQuestion('Is it red or blue?'), false);
  assert.equal(isYesNoQuestion('Can you describe the image?'), false);
  assert.equal(isYesNoQuestion('Can you see a cat?'), true);
  assert.equal(isYesNoQuestion('The cat sits on the mat. Please answer yes or no.'), true);
  assert.equal(isYesNoQuestion('What is this?'), false);
  assert.equal(isYesNoQuestion('Is this a cat?\nA. yes\nB. no'), false, 'multiple-choice wins');
});

test('signals: options, option answers, truncation, templates', () => {
  assert.deepEqual(parseOptions('Pick one.\nA. a cat\nB. a dog'), [
    { letter: 'A', text: 'a cat' },
    { letter: 'B', text: 'a dog' },
  ]);
  assert.deepEqual(
    parseOptions('Options: (a) red (b) green (c) blue').map((o) => o.text),
    ['red', 'green', 'blue'],
  );
  assert.deepEqual(
    parseOptions('Team B and Team C.\nA. x\nB. y').map((o) => o.letter),
    ['A', 'B'],
  );
  assert.deepEqual(parseOptions('Just a question about plan B.'), []);
  const opts = parseOptions('A. a cat\nB. a dog');
  assert.equal(answersOption(opts, '(B)'), true);
  assert.equal(answersOption(opts, 'The answer is: (A).'), true);
  assert.equal(answersOption(opts, 'I see a dog'), true);
  assert.equal(answersOption(opts, 'C'), false);
  assert.equal(answersOption(opts, 'Something'), false);
  assert.equal(truncation('Yes'), null);
  assert.equal(truncation('Wait...'), 'ellipsis');
  assert.equal(truncation('"Wait…"'), 'ellipsis');
  assert.equal(truncation(LONG_CUT), 'no-terminal-punctuation');
  assert.equal(truncation(LONG_OK), null);
  assert.equal(truncation(`${LONG_OK.slice(0, -1)}!")`), null);
  assert.equal(
    instructionTemplate('<image>\nIs there a cat in the image?\nAnswer the question using a single word or phrase.'),
    'is there a … answer the question',
  );
  assert.equal(instructionTemplate('How many "big dogs" are there in 3 rooms?'), 'how many ‹q›');
  assert.equal(instructionTemplate('What is 12 plus 7?'), 'what is ‹n›');
  assert.equal(instructionTemplate('Which?\nA. red\nB. blue'), 'which? … ‹opt›');
  const s = sampleSignals([
    { role: 'user', text: 'Q1?' },
    { role: 'assistant', text: 'Because it is, step by step.' },
    { role: 'user', text: 'Q2?' },
    { role: 'assistant', text: '' },
  ]);
  assert.equal(s.rounds, 2);
  assert.equal(s.emptyAnswer, true);
  assert.deepEqual(s.reasoningMarkers.length, 2);
});

test('aggregates: distinct counts, exact then approximate; nearest-rank quantiles', () => {
  const d = new DistinctCounter(100);
  for (let i = 0; i < 50; i++) d.add(hash53(`w${i % 20}`));
  assert.deepEqual(d.result(), { distinct: 20, exact: true });
  for (let i = 0; i < 5000; i++) d.add(hash53(`v${i}`));
  const r = d.result();
  assert.equal(r.exact, false);
  assert.ok(Math.abs(r.distinct - 5020) / 5020 < 0.05, `HLL estimate ${r.distinct}`);
  const h = new IntHistogram();
  for (const v of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) h.add(v);
  assert.deepEqual(h.distribution(), { mean: 5.5, median: 5, p90: 9, max: 10 });
});

test('pool report: every correctness, diversity and complexity figure by hand', async () => {
  const r = await buildQualityReport(ds);
  const c = r.pool.correctness;
  assert.equal(r.pool.samples, 18);
  assert.deepEqual(c.yesNo, { questions: 2, mismatch: 1, rate: 0.5 });
  assert.deepEqual(c.multipleChoice, { questions: 3, mismatch: 1, rate: round(1 / 3) });
  assert.equal(c.truncated.count, 2);
  assert.equal(c.truncated.ellipsis, 1);
  assert.equal(c.truncated.noTerminalPunctuation, 1);
  assert.equal(c.emptyAnswer.count, 0);
  assert.equal(c.imageMissing.count, 1);
  assert.equal(c.imageProblems.missing, 1);
  // Row 10 (2 tokens, 1 image) is a mismatch; row 11 (an image, no token) is not: LLaVA-style loaders accept it.
  assert.deepEqual(c.imageTokenMismatch, { count: 1, rate: round(1 / 18), moreTokens: 1, fewerTokens: 0 });
  // Duplicate groups (same normalised question + image): lines 1–3? no (different questions).
  // 4,5,6 (same MC question, answers B / It is a dog. / Something else: conflicting), 7,8,9 (conflicting),
  // 10? (two <image> tokens normalise away: same as 11, and 11 same as 10 — answers agree "Red"), 13–15 (conflicting), 16–17 (agree).
  assert.equal(c.duplicates.groups, 5);
  assert.equal(c.duplicates.samples, 3 + 3 + 2 + 3 + 2);
  assert.equal(c.duplicates.conflictingGroups, 3);
  assert.equal(c.duplicates.conflicting.count, 9);
  const d = r.pool.diversity;
  const task = d.labels.find((l) => l.field === 'task');
  assert.ok(task);
  assert.equal(task.distinct.distinct, 5);
  assert.deepEqual(
    task.top.map((t) => [t.value, t.count]),
    [
      ['t4', 8],
      ['t1', 3],
      ['t2', 3],
      ['t3', 3],
      ['t5', 1],
    ],
  );
  // Templates: "is there a", "is it red", "what is shown? … ‹opt›", "describe the scene.", "what is the",
  // "what colour is", "how many people", "why is the".
  assert.equal(d.templates.distinct, 8);
  assert.equal(d.templates.exact, true);
  assert.equal(d.templates.top[0].count, 3);
  // Complexity: 17 one-round samples, one with 3 rounds.
  const x = r.pool.complexity;
  assert.equal(x.rounds.mean, round(20 / 18));
  assert.equal(x.rounds.max, 3);
  assert.deepEqual(x.rounds.histogram.slice(0, 3), [
    { rounds: '1', count: 17 },
    { rounds: '2', count: 0 },
    { rounds: '3', count: 1 },
  ]);
  assert.equal(x.multiTurn.count, 1);
  assert.equal(x.reasoning.count, 1);
  const marker = (name: string) => x.reasoning.markers.find((m) => m.marker === name)?.samples;
  assert.equal(marker('because'), 1);
  assert.equal(marker('therefore'), 1);
  assert.equal(marker('first … then'), 1);
  assert.equal(marker('step by step'), 0);
  assert.equal(r.selection, undefined);
  assert.equal(r.deltas, undefined);
});

test('distinct-n ratios on a two-row file', async () => {
  const f = join(dir, 'ngrams.jsonl');
  writeFileSync(f, `${row('1', [['a b a', 'x y']])}\n${row('2', [['a b c', 'x y']])}\n`);
  const r = await buildQualityReport(f);
  const q = r.pool.diversity.questions;
  // Question unigrams: a b a a b c → 6 tokens, 3 distinct; bigrams: ab ba ab bc → 4, 3 distinct.
  assert.deepEqual([q.tokens, q.distinct1, q.distinct2], [6, 0.5, 0.75]);
  const a = r.pool.diversity.answers;
  assert.deepEqual([a.tokens, a.distinct1, a.distinct2], [4, 0.5, 0.5]);
  assert.equal(r.pool.complexity.answerWords.mean, 2);
});

test('selection as a line set: its own figures and deltas = selection − pool', async () => {
  const r = await buildQualityReport(ds, { lines: { name: 'picked', lines: [1, 2, 7, 99] } });
  assert.ok(r.selection && r.deltas && r.selectionSource);
  assert.deepEqual(r.selectionSource, { kind: 'lines', name: 'picked', requested: 4, matched: 3 });
  assert.equal(r.selection.samples, 3);
  assert.deepEqual(r.selection.correctness.yesNo, { questions: 2, mismatch: 1, rate: 0.5 });
  assert.equal(r.selection.correctness.truncated.count, 1);
  assert.equal(r.deltas.samples, 3 - 18);
  assert.equal(r.deltas.truncatedRate, round(round(1 / 3) - round(2 / 18)));
  assert.equal(r.deltas.yesNoMismatchRate, 0);
  assert.ok(r.warnings.some((w) => /1 selected line/.test(w)));
});

test('manifest + attributions: selection from stages, per-capability pool and selection', async () => {
  const manifest = {
    schema: 'cadc.manifest/v1',
    dataset: { sha256: 'not-this-file' },
    capabilities: [
      { id: 'c1', name: 'yes-no things' },
      { id: 'c2', name: 'the rest' },
    ],
    stages: [
      { id: 's1', name: 'one', capabilities: ['c1'], samples: [{ line: 1, id: 'a', capability: 'c1', influence: 0 }] },
      {
        id: 's2',
        name: 'two',
        capabilities: ['c2'],
        samples: [
          { line: 4, id: 'd', capability: 'c2', influence: 0 },
          { line: 6, id: 'f', capability: 'c2', influence: 0 },
        ],
      },
    ],
  };
  const mPath = join(dir, 'hand.cadc.json');
  writeFileSync(mPath, JSON.stringify(manifest));
  // Without attributions: per capability only for the selected samples.
  const r1 = await buildQualityReport(ds, { manifest: mPath });
  assert.equal(r1.capabilitySource, 'manifest');
  assert.equal(r1.selection?.samples, 3);
  assert.deepEqual(
    r1.perCapability?.map((c) => [c.id, c.name, c.pool?.samples, c.selection?.samples]),
    [
      ['c1', 'yes-no things', undefined, 1],
      ['c2', 'the rest', undefined, 2],
    ],
  );
  assert.ok(r1.warnings.some((w) => /different file/.test(w)));
  // With the attributions file beside the manifest: every sample has a capability (lines 1–3 c1, rest c2).
  const rows = Array.from({ length: 18 }, (_, i) => JSON.stringify({ line: i + 1, capability: i < 3 ? 'c1' : 'c2' }));
  writeFileSync(join(dir, 'hand.cadc.attributions.jsonl'), `${rows.join('\n')}\n`);
  const r2 = await buildQualityReport(ds, { manifest: mPath });
  assert.equal(r2.capabilitySource, 'attributions');
  const c1 = r2.perCapability?.find((c) => c.id === 'c1');
  const c2 = r2.perCapability?.find((c) => c.id === 'c2');
  assert.ok(c1?.pool && c1.selection && c1.deltas && c2?.pool && c2.selection);
  assert.equal(c1.pool.samples, 3);
  assert.deepEqual(c1.pool.correctness.yesNo, { questions: 2, mismatch: 1, rate: 0.5 });
  assert.deepEqual(c1.selection.correctness.yesNo, { questions: 1, mismatch: 0, rate: 0 });
  assert.equal(c1.deltas.yesNoMismatchRate, -0.5);
  assert.equal(c2.pool.samples, 15);
  assert.deepEqual(c2.selection.correctness.multipleChoice, { questions: 2, mismatch: 1, rate: 0.5 });
});

test('Markdown: tables, and dataset text escaped', async () => {
  const f = join(dir, 'evil.jsonl');
  writeFileSync(
    f,
    `${row(
      '1',
      [
        ['<script>alert(1)</script> | `x` what?', 'ok'],
        ['and?', 'yes'],
      ],
      { task: 'a|b\n<img src=x>' },
    )}\n`,
  );
  const r = await buildQualityReport(f, { lines: { name: 'sel|`x`', lines: [1] } });
  const md = reportToMarkdown(r);
  assert.match(md, /\| figure \| pool \| selection \| Δ selection − pool \|/);
  assert.match(md, /\| yes\/no question not answered yes\/no \|/);
  assert.match(md, /#### Most frequent instruction templates/);
  assert.doesNotMatch(md, /(^|[^\\])<(script|img)/, 'no raw HTML');
  assert.doesNotMatch(md, /&(lt|gt|amp);/, 'no HTML entities: Markdown escapes instead');
  assert.ok(md.includes('a\\|b ⏎ \\<img src=x\\>'), 'label value escaped');
  assert.ok(md.includes('| \\<script\\>alert(‹n›)\\</script\\> \\| \\`x\\` | 1 |'), 'template escaped');
  assert.ok(md.includes('| `<image>` tokens ≠ images |'), 'the literal <image> in a code span');
  assert.ok(md.includes('sel\\|\\`x\\`'));
  assert.equal(escapeMd('a|b`c`\n<d> &lt;'), 'a\\|b\\`c\\` ⏎ \\<d\\> \\&lt;');
});

test('headline figures: one table names every figure the report computes, once, and the Markdown shows each', async () => {
  const f = join(dir, 'figures.jsonl');
  writeFileSync(f, `${row('1', [['Is it red?', 'yes']])}\n${row('2', [['Describe the scene.', 'A red car on a road.']])}\n`);
  const r = await buildQualityReport(f);
  const keys = HEADLINE_FIGURES.map((x) => x.key);
  assert.deepEqual([...keys].sort(), Object.keys(r.pool.headline).sort());
  assert.equal(new Set(keys).size, keys.length);
  const md = reportToMarkdown(r);
  for (const { label } of HEADLINE_FIGURES) assert.ok(md.includes(`| ${escapeMd(label)} |`), label);
});

test('Jaccard on known sets', () => {
  assert.equal(jaccard([1, 2, 3], [2, 3, 4]), 0.5);
  assert.equal(jaccard([1, 2], [3]), 0);
  assert.equal(jaccard([5, 6], [6, 5]), 1);
  assert.equal(jaccard([], []), 1);
  assert.equal(jaccard(Int32Array.from([1, 2, 3, 4]), [4]), 0.25);
});

function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

test('a file with thousands of one-off label keys: the report lists the 64 fields present most often', async () => {
  // 300 rows, each with a `task` label and 20 keys no other row has (6,000 one-off fields): the
  // report used to keep a 16 KB distinct counter per field and list every one of them.
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) {
    const extra: Record<string, unknown> = { task: `t${i % 3}` };
    for (let k = 0; k < 20; k++) extra[`k_${i}_${k}`] = `v${k}`;
    lines.push(row(`m${i}`, [[`Question number ${i}?`, `Answer ${i}.`]], extra));
  }
  const file = join(dir, 'many-keys.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const r = await buildQualityReport(file);
  const fields = r.pool.diversity.labels;
  assert.ok(fields.length <= 64, `${fields.length} label fields listed`);
  const task = fields.find((l) => l.field === 'task');
  assert.ok(task, 'the field present on every row is listed');
  assert.equal(task.present, 300);
  assert.deepEqual(task.distinct, { distinct: 3, exact: true });
});

test('Markdown deltas say what they mean: percentage points, better or worse by the figure’s direction, a legend; left-out flagged samples named', async () => {
  // Lines 1–3 of the hand-made set: no multiple-choice question, one yes/no question answered yes/no.
  const r = await buildQualityReport(ds, { lines: { name: 'sel', lines: [1, 2, 3] } });
  const md = reportToMarkdown(r);
  const rows = md.split('\n').filter((l) => l.startsWith('| '));
  for (const f of HEADLINE_FIGURES) {
    const row = rows.find((l) => l.startsWith(`| ${escapeMd(f.label)} |`));
    assert.ok(row, f.label);
    const delta = row.split(' | ').at(-1)!.replace(/ \|$/, '');
    const x = r.deltas![f.key];
    if (f.fmt === 'pct') assert.match(delta, /^(0|[+-]?[\d.]+ pp)/, `${f.label}: ${delta}`);
    const judged = /\((better|worse)\)$/.exec(delta)?.[1];
    if (f.better === 'none' || Math.abs(x) < 1e-9) assert.equal(judged, undefined, `${f.label}: ${delta}`);
    else assert.equal(judged, x > 0 === (f.better === 'up') ? 'better' : 'worse', `${f.label}: ${delta}`);
  }
  // The pool's multiple-choice mismatch rate is 1/3 and the selection's 0: 33.3 points lower, better.
  assert.ok(md.includes('| multiple-choice answers without an option | 33.3% | 0% | -33.3 pp (better) |'));
  assert.match(md, /Δ = the selection’s figure minus the pool’s\. Shares differ in percentage points \(pp\)/);
  assert.doesNotMatch(md, /left out \d+ flagged/);
  const withExcluded = reportToMarkdown({ ...r, excluded: { total: 3, reasons: [{ code: 'missing-image', count: 3 }] } });
  assert.match(withExcluded, /The selection left out 3 flagged pool samples \(missing-image 3; `--include-flagged` keeps them in\)/);
});
