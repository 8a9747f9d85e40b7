import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset, readRecordAt, readRecordsAt } from '../../../src/core/dataset/reader';
import { ImageResolver } from '../../../src/core/dataset/images';
import type { Sample } from '../../../src/core/dataset/types';
import { FIXTURES } from '../helpers';

const FIX = join(FIXTURES, 'formats');

async function read(file: string, opts = {}) {
  const samples: Sample[] = [];
  const summary = await readDataset(file, opts, (s) => samples.push(s));
  return { samples, summary };
}

test('broken JSONL: every problem reported at its line, valid lines still read', async () => {
  const { samples, summary } = await read(join(FIX, 'broken.jsonl'), { maxLineBytes: 4096 });
  const at = (code: string) => summary.diagnostics.filter((d) => d.code === code).map((d) => d.line);
  assert.deepEqual(at('bom'), [1]);
  assert.deepEqual(at('invalid-json'), [2]);
  assert.deepEqual(at('empty-turns'), [3]);
  assert.deepEqual(at('wrong-shape'), [4]);
  assert.deepEqual(at('image-outside-root'), [5]);
  assert.deepEqual(at('image-token-mismatch'), [6]);
  assert.deepEqual(at('duplicate-id'), [8]);
  assert.deepEqual(at('line-too-long'), [9]);
  assert.deepEqual(at('invalid-utf8'), [10]);
  assert.deepEqual(at('crlf'), [1]);
  assert.deepEqual(
    samples.map((s) => s.line),
    [1, 5, 6, 8, 11],
  );
  assert.equal(summary.samples, 5);
  assert.equal(summary.invalid, 5);
  assert.equal(summary.records, 10);
  assert.equal(summary.lines, 11);
  assert.equal(samples[0].images[0].problem, undefined, 'img/a.png exists inside the root');
  assert.equal(samples[1].images[0].problem, 'outside-root');
  assert.equal(samples[3].id, 'ok-1#line-8', 'a duplicate id is made unique');
  const bytes = readFileSync(join(FIX, 'broken.jsonl'));
  assert.equal(summary.sha256, createHash('sha256').update(bytes).digest('hex'));
  // Byte offsets point at the records themselves (after the BOM).
  for (const s of samples) {
    const again = await readRecordAt(join(FIX, 'broken.jsonl'), s.byteOffset, s.byteLength, { line: s.line });
    assert.equal(again?.id.replace(/#.*/, ''), s.id.replace(/#.*/, ''));
  }
  // Many at once with one open file (more than the reads kept in flight), in the order asked, each read
  // as if alone (a repeated id keeps its own id); a range that holds no record gives undefined.
  const order = [...samples, ...samples, ...samples, ...samples, ...samples, ...samples, ...samples, ...samples].reverse();
  assert.ok(order.length > 32);
  const items = [...order.map((s) => ({ offset: s.byteOffset, length: s.byteLength, line: s.line })), { offset: 0, length: 3, line: 1 }];
  const many = await readRecordsAt(join(FIX, 'broken.jsonl'), items);
  assert.equal(many.length, order.length + 1);
  order.forEach((s, r) => {
    assert.equal(many[r]?.id.replace(/#.*/, ''), s.id.replace(/#.*/, ''));
    assert.deepEqual(many[r]?.turns, s.turns);
  });
  assert.equal(many[order.length], undefined);
});

test('formats: LLaVA JSON array, OpenAI parts, The Cauldron, ShareGPT and Alpaca fixtures', async () => {
  const arr = await read(join(FIX, 'array.json'));
  assert.equal(arr.summary.container, 'json-array');
  assert.deepEqual(
    arr.samples.map((s) => [s.id, s.line]),
    [
      ['a1', 2],
      ['a2', 4],
    ],
  );
  assert.equal(arr.samples[0].turns[0].text, '<image>\nQ1 with "quotes", [brackets] and {braces}');
  const again = await readRecordAt(join(FIX, 'array.json'), arr.samples[1].byteOffset, arr.samples[1].byteLength);
  assert.equal(again?.id, 'a2');

  const oa = await read(join(FIX, 'openai.jsonl'));
  assert.equal(oa.samples[0].format, 'openai');
  assert.deepEqual(
    oa.samples[0].images.map((i) => i.raw),
    ['img/a.png'],
  );
  assert.equal(oa.samples[0].turns[0].text, 'What is shown?\n<image>');

  const ca = await read(join(FIX, 'cauldron.jsonl'));
  assert.equal(ca.samples[0].format, 'cauldron');
  assert.equal(ca.samples[0].turns.length, 4);
  assert.equal(ca.samples[0].labels.source, 'vqav2');

  const sg = await read(join(FIXTURES, 'format-fixtures/mllm_demo.json'));
  assert.equal(sg.summary.format, 'sharegpt');
  assert.equal(sg.samples.length, 6);
  assert.equal(sg.samples[0].images.length, 2);
  assert.ok(
    sg.samples[0].images.every((i) => !i.problem),
    'mllm_demo_data images resolve',
  );

  const al = await read(join(FIXTURES, 'format-fixtures/alpaca_en_demo.json'));
  assert.equal(al.summary.format, 'alpaca');
  // jq length test/fixtures/format-fixtures/alpaca_en_demo.json → 100 (the first 100 of the upstream 999).
  assert.equal(al.samples.length, 100);
  assert.equal(al.summary.invalid, 0);
});

test('real datasets: counts, labels and the missing image match counts taken independently', async () => {
  // Counted with jq/grep on the fixture files (test/fixtures/PROVENANCE.md says how they were cut):
  // grep -c . vision-flan-205/vision-flan-205.jsonl → 205; grep -c . llava-eval-pool/llava-eval-pool.jsonl → 3790;
  // jq -r .source llava-eval-pool/llava-eval-pool.jsonl | sort | uniq -c → the per-source counts below.
  const vf = await read(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl'));
  assert.equal(vf.samples.length, 205);
  assert.equal(vf.summary.diagnosticCounts['missing-image'], 1);
  const spaced = vf.samples.filter((s) => s.images.some((i) => i.raw.includes(' ')));
  assert.ok(spaced.length >= 1 && spaced.every((s) => !s.images[0].problem), 'the file name with spaces resolves');
  assert.equal(new Set(vf.samples.map((s) => s.labels.task_name)).size, 205);

  const pool = await read(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'));
  assert.equal(pool.samples.length, 3790);
  const bySource: Record<string, number> = {};
  for (const s of pool.samples) bySource[s.labels.source] = (bySource[s.labels.source] ?? 0) + 1;
  assert.deepEqual(bySource, { mme: 198, gqa: 1048, pope: 743, textvqa: 417, vizwiz: 666, scienceqa: 354, mmbench: 364 });
  const withImage = pool.samples.filter((s) => s.images.length > 0).length;
  assert.equal(pool.summary.diagnosticCounts['missing-image'], withImage, 'every referenced image is missing on disk');

  const owl = await read(join(FIXTURES, 'owleval/owleval.jsonl'));
  assert.equal(owl.samples.length, 414);
  assert.equal(owl.samples[0].labels.ability, 'a,b,e');
});

test('a symlink that escapes the image root is rejected', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-link-'));
  const outside = mkdtempSync(join(tmpdir(), 'cadc-out-'));
  try {
    cpSync(join(FIX, 'img/a.png'), join(outside, 'secret.png'));
    symlinkSync(join(outside, 'secret.png'), join(dir, 'link.png'));
    writeFileSync(
      join(dir, 'd.jsonl'),
      JSON.stringify({
        image: 'link.png',
        conversations: [
          { from: 'human', value: '<image> ?' },
          { from: 'gpt', value: 'x' },
        ],
      }) + '\n',
    );
    const { samples } = await read(join(dir, 'd.jsonl'));
    assert.equal(samples[0].images[0].problem, 'outside-root');
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('image references: files, links inside the root, dangling links, directories, and a root reached through a link', () => {
  const base = mkdtempSync(join(tmpdir(), 'cadc-res-'));
  try {
    const root = join(base, 'root');
    mkdirSync(join(root, 'sub'), { recursive: true });
    cpSync(join(FIX, 'img/a.png'), join(root, 'sub/a.png'));
    symlinkSync(join(root, 'sub/a.png'), join(root, 'inner.png'));
    symlinkSync(join(root, 'gone.png'), join(root, 'dangling.png'));
    symlinkSync(root, join(base, 'via'));
    cpSync(join(FIX, 'img/a.png'), join(base, 'outside.png'));
    const real = realpathSync(join(root, 'sub/a.png'));
    for (const r of [new ImageResolver(root, undefined, true), new ImageResolver(join(base, 'via'), undefined, true)]) {
      assert.deepEqual(r.resolve('sub/a.png'), { raw: 'sub/a.png', path: real });
      assert.deepEqual(r.resolve('inner.png'), { raw: 'inner.png', path: real }, 'a link inside the root resolves to its file');
      assert.equal(r.resolve('dangling.png').problem, 'missing');
      assert.equal(r.resolve('sub').problem, 'missing', 'a directory is not an image');
      assert.equal(r.resolve('sub/none.png').problem, 'missing');
      assert.equal(r.resolve('sub/a.png/x.png').problem, 'missing', 'a path through a file');
      assert.equal(r.resolve('../outside.png').problem, 'outside-root');
    }
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});
