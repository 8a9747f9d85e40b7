// Problems as a summary: the summariser on a hand-made read with known counts, then the real reader
// on the demo and the fixtures, whose expected counts come from jq (commands in the comments).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DIAGNOSTICS_PER_CODE, imageTokenMismatch } from '../../../src/core/dataset/parser';
import { problemLines, seriousProblemsText, summariseProblems } from '../../../src/core/dataset/problems';
import type { ProblemSummary } from '../../../src/core/dataset/problems';
import { readDataset } from '../../../src/core/dataset/reader';
import { SAMPLE_FLAG } from '../../../src/core/dataset/types';
import type { DatasetDiagnostic, DatasetSummary, Sample } from '../../../src/core/dataset/types';
import { FIXTURES } from '../helpers';

const REPO = join(__dirname, '../../..');

function summaryWith(
  diagnostics: DatasetDiagnostic[],
  counts: DatasetSummary['diagnosticCounts'],
  extra: Partial<DatasetSummary> = {},
): DatasetSummary {
  return {
    path: '/d.jsonl',
    container: 'jsonl',
    format: 'llava',
    sha256: '0'.repeat(64),
    bytes: 100,
    lines: 12,
    records: 12,
    samples: 10,
    invalid: 2,
    imageRefs: 8,
    diagnosticCounts: counts,
    diagnostics,
    labelFields: [],
    ...extra,
  };
}

const d = (line: number, code: DatasetDiagnostic['code'], severity: DatasetDiagnostic['severity'] = 'warning'): DatasetDiagnostic => ({
  line,
  code,
  severity,
  message: `${code} at ${line}`,
});

test('the summariser: one summary per code, counts of their totals, first lines, errors first, the image-root action when no image resolves', () => {
  // 8 image paths, all missing (7 kept per line, 1 only counted); 2 token mismatches; 2 invalid JSON lines; CRLF once.
  const kept = [
    d(1, 'crlf', 'info'),
    ...[2, 3, 4, 5, 6, 7, 8].map((l) => d(l, 'missing-image')),
    d(4, 'image-token-mismatch'),
    d(9, 'image-token-mismatch'),
    d(10, 'invalid-json', 'error'),
    d(12, 'invalid-json', 'error'),
  ];
  const s = summaryWith(kept, { 'missing-image': 8, 'image-token-mismatch': 2, 'invalid-json': 2, crlf: 1 });
  const p = summariseProblems(s);
  assert.deepEqual(
    p.map((x) => [x.code, x.severity, x.count, x.total, x.shown]),
    [
      ['invalid-json', 'error', 2, 12, 2],
      ['missing-image', 'warning', 8, 8, 7],
      ['image-token-mismatch', 'warning', 2, 10, 2],
      ['crlf', 'info', 1, undefined, 1],
    ],
  );
  const missing = p[1];
  assert.deepEqual(missing.lines, [2, 3, 4, 5, 6], 'the first five lines');
  assert.equal(missing.headline, '8 of 8 image paths do not resolve to a readable image (left out of the selection)');
  assert.deepEqual(missing.action, { setting: 'cadc.dataset.imageRoot', action: 'pickFolder' });
  assert.match(missing.fix, /cadc\.dataset\.imageRoot.*--image-root/);
  assert.equal(missing.serious, true);
  assert.equal(p[2].headline, '2 of 10 samples have <image> tokens that do not match their images (left out of the selection)');
  assert.equal(p[2].action, undefined, 'no setting fixes a token mismatch');
  assert.deepEqual(
    p.map((x) => x.excludesSamples),
    [false, true, true, false],
  );
  assert.deepEqual(
    p.map((x) => x.serious),
    [true, true, true, false],
  );
  assert.equal(p[3].headline, 'crlf at 1', 'a note on the whole file reads as its message');
  // Included flagged samples: nothing is left out, and only errors and an all-missing image set stay serious.
  const inc = summariseProblems(s, { includeFlagged: true });
  assert.deepEqual(
    inc.map((x) => [x.code, x.excludesSamples, x.serious]),
    [
      ['invalid-json', false, true],
      ['missing-image', false, true],
      ['image-token-mismatch', false, false],
      ['crlf', false, false],
    ],
  );
  assert.equal(inc[1].headline, '8 of 8 image paths do not resolve to a readable image');
  assert.equal(
    seriousProblemsText(p),
    'Problems: 2 of 12 records are not valid JSON; 8 of 8 image paths do not resolve to a readable image (left out of the selection); 2 of 10 samples have <image> tokens that do not match their images (left out of the selection).',
  );
  assert.equal(seriousProblemsText([]), '');
  assert.equal(seriousProblemsText(undefined), '');
  assert.equal(
    problemLines('d.jsonl', p[2]).split('\n')[0],
    'd.jsonl: warning: 2 of 10 samples have <image> tokens that do not match their images (left out of the selection) (lines 4, 9) [image-token-mismatch]',
  );
});

test('a few missing images out of many point at the files, not the image root: no folder action', () => {
  const s = summaryWith([d(3, 'missing-image')], { 'missing-image': 1 }, { imageRefs: 343 });
  const [p] = summariseProblems(s);
  assert.equal(p.headline, '1 of 343 image paths do not resolve to a readable image (left out of the selection)');
  assert.equal(p.action, undefined);
  assert.match(p.cause, /missing on disk/);
  // Thousands read with separators.
  const big = summariseProblems(summaryWith([d(1, 'missing-image')], { 'missing-image': 45_480 }, { imageRefs: 45_480 }))[0];
  assert.equal(big.headline, '45,480 of 45,480 image paths do not resolve to a readable image (left out of the selection)');
  assert.equal(big.shown, 1);
});

test('the token rule: tokens without an image or a count that differs is a mismatch; an image with no token is not', () => {
  assert.equal(imageTokenMismatch(1, 0), true, 'a token, no image field');
  assert.equal(imageTokenMismatch(2, 1), true, 'more tokens than images');
  assert.equal(imageTokenMismatch(1, 2), true, 'multi-image count mismatch');
  assert.equal(imageTokenMismatch(0, 1), false, 'an image and no token: the loader handles it');
  assert.equal(imageTokenMismatch(0, 3), false, 'images placed by the format itself (The Cauldron)');
  assert.equal(imageTokenMismatch(1, 1), false);
  assert.equal(imageTokenMismatch(0, 0), false);
});

async function readAll(file: string, opts = {}) {
  const samples: Sample[] = [];
  const summary = await readDataset(file, opts, (s) => samples.push(s));
  return { samples, summary, problems: summariseProblems(summary) };
}

const byCode = (p: ProblemSummary[]) => Object.fromEntries(p.map((x) => [x.code, x]));

test('the demo: 36 of 654 image paths missing, no <image> token without its image; the text-only rows are not flagged', async () => {
  const { samples, summary, problems } = await readAll(join(REPO, 'demo/demo.jsonl'));
  // Image references: jq -r 'select(.image) | .image' demo/demo.jsonl | wc -l                                      → 654
  // Missing: jq -r 'select(.image) | .image' demo/demo.jsonl | while read p; do [ -f "demo/$p" ] || echo "$p"; done | wc -l → 36
  //   (line 7, the Vision-Flan row missing upstream, and lines 1020–1054, llava-eval-pool rows: grep -n '"source"' | grep '"image"')
  // Tokens ≠ images: the jq of the fixtures' test below                                                      → 0
  // Text-only (no image, no token): jq -c 'select(.image == null)' demo/demo.jsonl | grep -vc '<image>'       → 400
  const p = byCode(problems);
  assert.deepEqual(Object.keys(p), ['missing-image']);
  assert.equal(p['missing-image'].count, 36);
  assert.equal(p['missing-image'].total, 654);
  assert.deepEqual(p['missing-image'].lines, [7, 1020, 1021, 1022, 1023]);
  assert.equal(p['missing-image'].shown, 36, 'fewer than the cap: all kept per line');
  assert.equal(p['missing-image'].action, undefined, 'most images resolve: no image-root fix offered');
  assert.equal(
    summary.diagnostics.find((x) => x.code === 'missing-image')?.message,
    'Image not found: "images/WIT+detailed_description_48_Emperor_Alexander_I.jpg"',
  );
  // The flags the selection reads, per sample.
  const missing = samples.filter((s) => (s.flags ?? 0) & SAMPLE_FLAG.missingImage).map((s) => s.line);
  assert.deepEqual(missing, [7, ...Array.from({ length: 35 }, (_, i) => 1020 + i)]);
  assert.equal(samples.filter((s) => s.flags).length, 36);
  assert.equal(samples.filter((s) => (s.flags ?? 0) & SAMPLE_FLAG.imageTokenMismatch).length, 0);
  assert.equal(samples.filter((s) => s.images.length === 0 && !s.flags).length, 400, 'the text-only ScienceQA rows');
});

test('<image> tokens without an image on real rows (the llava-eval-pool fixture with its image key dropped): 3,597 of 3,790, per-line diagnostics capped at 100', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-problems-'));
  try {
    const file = join(dir, 'pool.jsonl');
    // What a converter that loses the image field writes (the demo before 2026-12 was made so).
    const text = readFileSync(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const { image: _image, ...rest } = JSON.parse(l) as Record<string, unknown>;
        return JSON.stringify(rest);
      });
    writeFileSync(file, text.join('\n') + '\n');
    // Tokens without an image: jq -c 'select(.image)' test/fixtures/llava-eval-pool/llava-eval-pool.jsonl | grep -c '<image>' → 3597
    // (every row with an image names it with one token; the others are ScienceQA's text-only rows).
    const { samples, summary, problems } = await readAll(file);
    const p = byCode(problems);
    assert.deepEqual(Object.keys(p), ['image-token-mismatch']);
    assert.equal(p['image-token-mismatch'].count, 3597);
    assert.equal(p['image-token-mismatch'].total, 3790);
    assert.deepEqual(p['image-token-mismatch'].lines, [1, 2, 3, 4, 5]);
    assert.equal(p['image-token-mismatch'].shown, DIAGNOSTICS_PER_CODE);
    assert.equal(summary.diagnostics.filter((x) => x.code === 'image-token-mismatch').length, 100);
    assert.equal(
      summary.diagnostics.find((x) => x.code === 'image-token-mismatch')?.message,
      '1 <image> token(s) but the record has no image.',
    );
    assert.equal(samples.filter((s) => (s.flags ?? 0) & SAMPLE_FLAG.imageTokenMismatch).length, 3597);
    assert.equal(samples.filter((s) => s.flags).length, 3597);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the fixtures: counts and totals as jq finds them; no image resolving in llava-eval-pool gives the image-root action', async () => {
  // Commands as for the demo, with the fixture's folder for the image check:
  //   vision-flan-205: refs 205, missing 1, token mismatches 0
  //   owleval:         refs 414, missing 0, token mismatches 0
  //   llava-eval-pool: refs 3597 (jq -r 'select(.image) | .image' … | wc -l), missing 3597 (never on disk), token mismatches 0
  const vf = byCode((await readAll(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl'))).problems);
  assert.deepEqual(Object.keys(vf), ['missing-image']);
  assert.deepEqual([vf['missing-image'].count, vf['missing-image'].total], [1, 205]);
  const owl = await readAll(join(FIXTURES, 'owleval/owleval.jsonl'));
  assert.deepEqual(owl.problems, []);
  assert.equal(owl.summary.imageRefs, 414);
  const pool = await readAll(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'));
  const lp = byCode(pool.problems);
  assert.deepEqual(Object.keys(lp), ['missing-image']);
  assert.deepEqual([lp['missing-image'].count, lp['missing-image'].total], [3597, 3597]);
  assert.equal(lp['missing-image'].headline, '3,597 of 3,597 image paths do not resolve to a readable image (left out of the selection)');
  assert.deepEqual(lp['missing-image'].action, { setting: 'cadc.dataset.imageRoot', action: 'pickFolder' });
  assert.equal(lp['missing-image'].shown, 100);
  assert.equal(pool.samples.filter((s) => s.flags).length, 3597);
});

test('the broken fixture: every code summarised once, errors first, with its line', async () => {
  const { problems } = await readAll(join(FIXTURES, 'formats/broken.jsonl'), { maxLineBytes: 4096 });
  // reader.test.ts pins each of these codes to its line; same severity and count: by code.
  assert.deepEqual(
    problems.map((p) => [p.code, p.lines]),
    [
      ['empty-turns', [3]],
      ['invalid-json', [2]],
      ['invalid-utf8', [10]],
      ['line-too-long', [9]],
      ['wrong-shape', [4]],
      ['duplicate-id', [8]],
      ['image-outside-root', [5]],
      ['image-token-mismatch', [6]],
      ['blank-line', [1]],
      ['bom', [1]],
      ['crlf', [1]],
    ],
  );
  for (const p of problems.filter((x) => x.severity === 'error')) assert.equal(p.total, 10, `${p.code}: of the 10 records`);
});
