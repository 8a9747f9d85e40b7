// Issue 16: Parquet datasets (a file or a folder of shards) read row group by row group, with the
// fixtures of test/fixtures/parquet (written by parquet-wasm and hyparquet-writer from the real JSONL
// subsets, scripts/makeParquetFixtures.mjs): the same samples as the JSONL they came from, embedded
// images, shard + row addresses, the folder hash, and the failures (corrupt shard, unknown layout).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/core/config';
import { DatasetReadError } from '../../../src/core/dataset/errors';
import { readEmbeddedImage, shardRowOf, shardSetHash, splitImages } from '../../../src/core/dataset/parquet';
import { readDataset, rereadSamples } from '../../../src/core/dataset/reader';
import type { Sample } from '../../../src/core/dataset/types';
import { imageFeatures } from '../../../src/core/features/images';
import { buildPool } from '../../../src/core/features/pool';
import { IMAGE_FEATURE_DIM } from '../../../src/core/features/types';
import { FIXTURES } from '../helpers';

const PQ = join(FIXTURES, 'parquet');
const jsonl = (p: string) =>
  readFileSync(join(FIXTURES, p), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { id: string; image: string; conversations: { from: string; value: string }[]; [k: string]: unknown });

async function read(file: string) {
  const samples: (Sample & { bytes: (Uint8Array | undefined)[] })[] = [];
  // The bytes ride on the sample only while it is in the sink: copy what the test looks at.
  const summary = await readDataset(file, {}, (s) => samples.push({ ...s, bytes: s.images.map((i) => i.bytes && Buffer.from(i.bytes)) }));
  return { samples, summary };
}

const turnsOf = (r: { conversations: { from: string; value: string }[] }) =>
  r.conversations.map((c) => ({ role: c.from === 'human' ? 'user' : 'assistant', text: c.value }));

test('parquet-wasm, zstd, conversations + one image struct: the rows of the JSONL it came from; a null list is a diagnostic at its row', async () => {
  const { samples, summary } = await read(join(PQ, 'owleval-40.zstd.parquet'));
  const rows = jsonl('owleval/owleval.jsonl').slice(0, 40);
  assert.equal(summary.container, 'parquet');
  assert.equal(summary.records, 40);
  assert.equal(summary.lines, 40);
  assert.equal(summary.invalid, 1);
  assert.deepEqual(
    summary.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.code]),
    [[8, 'wrong-shape']],
  );
  const expected = rows.filter((_, i) => i !== 7);
  assert.deepEqual(
    samples.map((s) => s.id),
    expected.map((r) => r.id),
  );
  for (const [k, s] of samples.entries()) {
    const r = expected[k];
    assert.deepEqual(s.turns, turnsOf(r));
    assert.equal(s.labels.model, r.model);
    assert.equal(s.labels.ability, (r.ability as string[]).join(','));
    assert.equal(s.shard, 'owleval-40.zstd.parquet');
    assert.equal(s.line, s.row! + 1);
    assert.equal(s.images.length, 1);
    assert.equal(s.images[0].raw, r.image);
    assert.deepEqual(s.images[0].embedded, { shard: 'owleval-40.zstd.parquet', row: s.row, image: 0 });
    assert.equal(s.bytes[0]![0], 0xff); // JPEG
  }
});

test('parquet-wasm, snappy, The Cauldron layout: texts pairs become turns, source the label; a struct without bytes is a path', async () => {
  const { samples, summary } = await read(join(PQ, 'vision-flan-cauldron.snappy.parquet'));
  const rows = jsonl('vision-flan-205/vision-flan-205.jsonl').slice(0, 30);
  assert.equal(summary.format, 'cauldron');
  assert.equal(samples.length, 30);
  for (const [k, s] of samples.entries()) {
    assert.deepEqual(s.turns, turnsOf(rows[k]));
    assert.equal(s.labels.source, rows[k].task_name);
  }
  // The one image missing upstream has no bytes: it is resolved as a path, and missing.
  const noBytes = samples.filter((s) => !s.bytes[0]);
  assert.equal(noBytes.length, 1);
  assert.equal(noBytes[0].images[0].problem, 'missing');
  assert.equal(summary.diagnosticCounts['missing-image'], 1);
});

test('a folder of shards (hyparquet-writer) is one dataset: running lines, shard + row, the folder hash over its shards', async () => {
  const dir = join(PQ, 'shards');
  const { samples, summary } = await read(dir);
  const rows = jsonl('vision-flan-205/vision-flan-205.jsonl').slice(30, 90);
  assert.equal(summary.format, 'sharegpt');
  assert.deepEqual(
    samples.map((s) => s.line),
    rows.map((_, i) => i + 1),
  );
  assert.deepEqual(
    samples.map((s) => `${s.shard}:${s.row}`),
    rows.map((_, i) => `train-0000${Math.floor(i / 20)}-of-00003.parquet:${i % 20}`),
  );
  for (const [k, s] of samples.entries()) assert.deepEqual(s.turns, turnsOf(rows[k]));
  assert.equal(samples[3].labels.task_name, undefined, 'a null label is no label');
  assert.equal(samples[4].labels.task_name, rows[4].task_name);
  const names = ['train-00000-of-00003.parquet', 'train-00001-of-00003.parquet', 'train-00002-of-00003.parquet'];
  const lines = names
    .map(
      (n) =>
        `${n}\t${createHash('sha256')
          .update(readFileSync(join(dir, n)))
          .digest('hex')}\n`,
    )
    .join('');
  assert.equal(summary.sha256, createHash('sha256').update(lines).digest('hex'));
  assert.deepEqual(
    summary.shards!.map((s) => [s.name, s.rows]),
    names.map((n) => [n, 20]),
  );
});

test('samples re-read by running line (names, examples): a shard folder and a file give the turns of a read; past the byte budget, none', async () => {
  for (const [target, jsonlFile, rows] of [
    [join(PQ, 'shards'), 'vision-flan-205/vision-flan-205.jsonl', [30, 90]],
    [join(PQ, 'owleval-40.zstd.parquet'), 'owleval/owleval.jsonl', [0, 40]],
  ] as const) {
    const { samples } = await read(target);
    const source = jsonl(jsonlFile).slice(rows[0], rows[1]);
    // Lines out of order and across shards; the items' byte ranges mean nothing for Parquet.
    const pick = [samples[samples.length - 1], samples[0], samples[Math.floor(samples.length / 2)], samples[1]];
    const again = await rereadSamples(
      target,
      pick.map((s) => ({ offset: 0, length: 0, line: s.line })),
      { checkImages: false },
    );
    assert.equal(again.length, pick.length);
    pick.forEach((s, r) => {
      assert.deepEqual(again[r]?.turns, s.turns, `line ${s.line}`);
      assert.deepEqual(again[r]?.turns, turnsOf(source.find((x) => x.id === s.id) ?? source[s.line - 1]));
    });
    const none = await rereadSamples(target, [{ offset: 0, length: 0, line: samples[0].line }], { checkImages: false }, 0);
    assert.deepEqual(none, [undefined], 'no bytes to read: no sample');
    const past = await rereadSamples(target, [{ offset: 0, length: 0, line: samples.length + 5 }], { checkImages: false });
    assert.deepEqual(past, [undefined], 'a line no shard holds');
  }
});

test('a corrupt shard (cut in half) is one error diagnostic; the other shards are read', async () => {
  const { samples, summary } = await read(join(PQ, 'shards-corrupt'));
  assert.equal(samples.length, 40);
  const errs = summary.diagnostics.filter((d) => d.severity === 'error');
  assert.equal(errs.length, 1);
  assert.equal(errs[0].code, 'unreadable-shard');
  assert.match(errs[0].message, /train-00001-of-00003\.parquet/);
  assert.deepEqual([...new Set(samples.map((s) => s.shard))], ['train-00000-of-00003.parquet', 'train-00002-of-00003.parquet']);
  assert.equal(summary.shards![1].rows, 0);
});

test('an unknown layout fails as a whole, naming the columns found; a lone corrupt file too', async () => {
  await assert.rejects(
    readDataset(join(PQ, 'unknown-layout.parquet'), {}, () => {}),
    (e: unknown) => {
      assert.ok(e instanceof DatasetReadError);
      assert.equal(e.code, 'unsupported-format');
      assert.match(e.message, /columns question, answer, score/);
      return true;
    },
  );
  await assert.rejects(
    readDataset(join(PQ, 'shards-corrupt', 'train-00001-of-00003.parquet'), {}, () => {}),
    /footer cannot be read/,
  );
});

test('readEmbeddedImage reads back the bytes of one row; an address that is not there gives undefined', async () => {
  const dir = join(PQ, 'shards');
  const { samples } = await read(dir);
  const s = samples[27];
  const back = await readEmbeddedImage(dir, s.images[0].embedded!);
  assert.ok(back);
  assert.deepEqual(Buffer.from(back), s.bytes[0]);
  assert.equal(await readEmbeddedImage(dir, { ...s.images[0].embedded!, image: 1 }), undefined);
  assert.equal(await readEmbeddedImage(dir, { ...s.images[0].embedded!, row: 20 }), undefined);
  const file = join(PQ, 'owleval-40.zstd.parquet');
  const one = await readEmbeddedImage(file, { shard: 'owleval-40.zstd.parquet', row: 0, image: 0 });
  assert.equal(one?.[0], 0xff);
});

test('embedded images are featurised in memory: the pool has the features of the bytes', async () => {
  const dir = join(PQ, 'shards');
  const { samples } = await read(dir);
  const { pool } = await buildPool(dir, DEFAULT_CONFIG);
  assert.equal(pool.n, 60);
  assert.equal(
    pool.hasImage.reduce((a, b) => a + b, 0),
    60,
  );
  for (const i of [0, 33, 59]) {
    const f = await imageFeatures(samples[i].bytes[0]!);
    assert.deepEqual(Array.from(pool.imageFeatures!.subarray(i * IMAGE_FEATURE_DIM, (i + 1) * IMAGE_FEATURE_DIM)), Array.from(f!));
  }
});

test('shardRowOf, shardSetHash and splitImages on small known cases', () => {
  const shards = [
    { name: 'a', rows: 2 },
    { name: 'b', rows: 0 },
    { name: 'c', rows: 3 },
  ];
  assert.deepEqual(shardRowOf(shards, 1), { shard: 'a', row: 0 });
  assert.deepEqual(shardRowOf(shards, 2), { shard: 'a', row: 1 });
  assert.deepEqual(shardRowOf(shards, 3), { shard: 'c', row: 0 });
  assert.deepEqual(shardRowOf(shards, 5), { shard: 'c', row: 2 });
  assert.equal(shardRowOf(shards, 6), undefined);
  const h = shardSetHash([
    { name: 'b', sha256: '2' },
    { name: 'a', sha256: '1' },
  ]);
  assert.equal(h, createHash('sha256').update('a\t1\nb\t2\n').digest('hex'));
  const bytes = new Uint8Array([1, 2]);
  const split = splitImages([{ bytes, path: 'x.jpg' }, null, { bytes: null, path: 'y.jpg' }, 'z.png', bytes], 's', 4);
  assert.ok(typeof split !== 'string');
  assert.deepEqual(
    split.embedded.map((e) => [e.raw, e.embedded]),
    [
      ['x.jpg', { shard: 's', row: 4, image: 0 }],
      ['s#4/3', { shard: 's', row: 4, image: 3 }],
    ],
  );
  assert.deepEqual(split.paths, ['y.jpg', 'z.png']);
  assert.equal(typeof splitImages([{ bytes: null, path: null }], 's', 0), 'string');
});
