// Issue 16: the sample preview of the editor (hovers, the preview document, the map's image) and its
// thumbnail path. Known answers on the real Parquet fixtures (the same rows, images and shard + row
// addresses the reader gives), and hostile inputs: bytes that are no image, a PNG header declaring
// 10^10 pixels, an SVG, an image over the byte cap, a row group over the read cap, a path that leaves
// the workspace. Every reply passes the extension's guard of the protocol.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { PREVIEW_LIMITS, samplePreview, thumbnailOf } from '../../../src/app/samplePreview';
import { readParquetRecords, readParquetRow } from '../../../src/core/dataset/parquet';
import { readDataset } from '../../../src/core/dataset/reader';
import { checkSamplePreview, checkSampleParams, MAX_THUMBNAIL_URI } from '../../../src/protocol/sample';
import type { Thumbnail } from '../../../src/protocol/sample';
import { FIXTURES } from '../helpers';

const PQ = join(FIXTURES, 'parquet');

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

/** A real 20×10 PNG whose IHDR is rewritten to declare `w`×`h` pixels (CRC fixed): a decompression bomb's header on 100 bytes. */
async function bomb(w: number, h: number): Promise<Buffer> {
  const png = Buffer.from(
    await sharp({ create: { width: 20, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toBuffer(),
  );
  png.writeUInt32BE(w, 16);
  png.writeUInt32BE(h, 20);
  png.writeUInt32BE(crc32(png.subarray(12, 29)), 29);
  return png;
}

function isThumbnail(t: Thumbnail | string): Thumbnail {
  assert.equal(typeof t, 'object', `expected a thumbnail, got ${String(t)}`);
  return t as Thumbnail;
}

test('a large photo becomes a JPEG of at most 256 px that fits a hover, with its source size', async () => {
  const photo = await sharp({ create: { width: 1600, height: 900, channels: 3, background: '#3070c0' } })
    .composite([{ input: Buffer.from('<svg width="1600" height="900"><circle cx="800" cy="450" r="300" fill="#f0a020"/></svg>') }])
    .png()
    .toBuffer();
  const t = isThumbnail(await thumbnailOf(photo));
  assert.deepEqual([t.width, t.height], [256, 144]);
  assert.deepEqual(t.source, { format: 'png', width: 1600, height: 900, bytes: photo.length });
  assert.match(t.dataUri, /^data:image\/jpeg;base64,/);
  assert.ok(t.dataUri.length <= MAX_THUMBNAIL_URI);
  const back = await sharp(Buffer.from(t.dataUri.split(',')[1], 'base64')).metadata();
  assert.deepEqual([back.format, back.width, back.height], ['jpeg', 256, 144]);
  // A cap the first try does not meet: a smaller side, still under the cap.
  let x = 2463534242;
  const noise = Buffer.alloc(600 * 600 * 3, 0).map(() => ((x ^= x << 13), (x ^= x >>> 17), (x ^= x << 5), x >>> 24));
  const noisy = await sharp(noise, {
    raw: { width: 600, height: 600, channels: 3 },
  })
    .png()
    .toBuffer();
  const small = isThumbnail(await thumbnailOf(noisy, { ...PREVIEW_LIMITS, maxThumbnailBytes: 6000 }));
  assert.ok(small.width < 256, `side ${small.width}`);
  assert.ok(Buffer.from(small.dataUri.split(',')[1], 'base64').length <= 6000);
  assert.match(String(await thumbnailOf(noisy, { ...PREVIEW_LIMITS, maxThumbnailBytes: 50 })), /no thumbnail fits/);
});

test('hostile bytes: no image, a 100-byte PNG declaring 10^10 pixels, an SVG, over the byte cap, empty — a reason each, nothing decoded', async () => {
  assert.match(String(await thumbnailOf(Buffer.from('this is not an image at all'))), /not a readable image/);
  assert.match(String(await thumbnailOf(await bomb(100_000, 100_000))), /100000×100000 pixels, over the 40,000,000-pixel cap/);
  const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><image href="/etc/passwd"/></svg>');
  assert.match(String(await thumbnailOf(svg)), /svg is not a raster image format/);
  const ok = await sharp({ create: { width: 40, height: 30, channels: 3, background: '#fff' } })
    .jpeg()
    .toBuffer();
  assert.match(String(await thumbnailOf(ok, { ...PREVIEW_LIMITS, maxImageBytes: ok.length - 1 })), /over the 0\.0 MiB cap/);
  assert.match(String(await thumbnailOf(ok, { ...PREVIEW_LIMITS, maxPixels: 40 * 30 - 1 })), /40×30 pixels, over the 1,199-pixel cap/);
  assert.match(String(await thumbnailOf(new Uint8Array(0))), /empty/);
  // A truncated JPEG: the header reads, the pixels do not.
  assert.match(String(await thumbnailOf(ok.subarray(0, ok.length >> 1))), /cannot be decoded|not a readable image/);
});

test('Parquet folder: the preview of a line is the reader’s row (shard + row, turns, labels, id) with its embedded image', async () => {
  const dir = join(PQ, 'shards');
  const samples: { line: number; id: string; shard?: string; row?: number; turns: { role: string; text: string }[] }[] = [];
  await readDataset(dir, {}, (s) => samples.push({ line: s.line, id: s.id, shard: s.shard, row: s.row, turns: s.turns }));
  for (const s of [samples[0], samples[27], samples[samples.length - 1]]) {
    const p = checkSamplePreview(await samplePreview({ dataset: dir, line: s.line, thumbnail: true }));
    assert.equal(p.shard, s.shard);
    assert.equal(p.row, s.row);
    assert.equal(p.id, s.id);
    assert.deepEqual(p.turns, s.turns);
    assert.equal(p.images, 1);
    assert.equal(p.embedded, true);
    const row = await readParquetRow(dir, s.line);
    const stored = await sharp(row!.embedded[0].bytes!).metadata();
    assert.deepEqual(p.thumbnail?.source, {
      format: 'jpeg',
      width: stored.width,
      height: stored.height,
      bytes: row!.embedded[0].bytes!.length,
    });
  }
  const labelled = checkSamplePreview(await samplePreview({ dataset: dir, line: 25, thumbnail: false }));
  assert.equal(labelled.labels.find((l) => l.field === 'task_name')?.value, 'RAF_DB+human_emotion_detection');
  assert.equal(labelled.thumbnail, undefined);
  assert.match(String((await samplePreview({ dataset: dir, line: 61, thumbnail: true })).problem), /no row at line 61/);
});

test('Parquet: a row group over the read cap and an image over the byte cap are refused with a reason', async () => {
  const file = join(PQ, 'owleval-40.zstd.parquet');
  const capped = await samplePreview({ dataset: file, line: 3, thumbnail: true }, undefined, { ...PREVIEW_LIMITS, maxChunkBytes: 200 });
  assert.match(String(capped.problem), /over the 200-byte cap of a preview/);
  assert.equal(capped.thumbnail, undefined);
  const big = await samplePreview({ dataset: file, line: 3, thumbnail: true }, undefined, { ...PREVIEW_LIMITS, maxImageBytes: 100 });
  assert.equal(big.turns[0].text, '<image>\nWhat is unusual about this image?');
  assert.match(String(big.imageProblem), /over the 0\.0 MiB cap/);
  // The corrupt shard counts no rows, as the reader counts it: line 21 is the third shard's first row.
  const corrupt = await samplePreview({ dataset: join(PQ, 'shards-corrupt'), line: 21, thumbnail: false });
  assert.deepEqual([corrupt.shard, corrupt.row], ['train-00002-of-00003.parquet', 0]);
});

test('JSONL: an image path resolves inside the workspace only (a symlink out of it is not followed)', async () => {
  const ws = mkdtempSync(join(tmpdir(), 'cadc-preview-'));
  const outside = mkdtempSync(join(tmpdir(), 'cadc-outside-'));
  try {
    await sharp({ create: { width: 30, height: 20, channels: 3, background: '#f00' } })
      .png()
      .toFile(join(ws, 'in.png'));
    await sharp({ create: { width: 30, height: 20, channels: 3, background: '#0f0' } })
      .png()
      .toFile(join(outside, 'secret.png'));
    symlinkSync(join(outside, 'secret.png'), join(ws, 'link.png'));
    const rec = (image: string) =>
      JSON.stringify({
        image,
        conversations: [
          { from: 'human', value: '<image>\nQ' },
          { from: 'gpt', value: 'A' },
        ],
      });
    const lines = [rec('in.png'), rec('link.png'), rec('../' + outside.split('/').pop() + '/secret.png'), rec('https://x.test/a.png')];
    writeFileSync(join(ws, 'd.jsonl'), lines.join('\n'));
    const readLine = async (_f: string, line: number) => lines[line - 1];
    const at = (line: number) => samplePreview({ dataset: join(ws, 'd.jsonl'), line, thumbnail: true, confineTo: ws }, readLine);
    assert.deepEqual((await at(1)).thumbnail?.source, {
      format: 'png',
      width: 30,
      height: 20,
      bytes: (await sharp(join(ws, 'in.png')).toBuffer()).length,
    });
    assert.match(String((await at(2)).imageProblem), /outside the workspace/);
    assert.match(String((await at(3)).imageProblem), /outside the workspace/);
    assert.match(String((await at(4)).imageProblem), /not a local file/);
    assert.deepEqual((await at(1)).turns, [
      { role: 'user', text: '<image>\nQ' },
      { role: 'assistant', text: 'A' },
    ]);
  } finally {
    rmSync(ws, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  }
});

test('the protocol guards: a request is checked before a file is opened; a reply with a non-image data URI is refused', () => {
  assert.throws(() => checkSampleParams({ dataset: '/x', line: 0, thumbnail: true }), /line/);
  assert.throws(() => checkSampleParams({ dataset: '/x', line: 1, thumbnail: true, extra: 1 }));
  const reply = { line: 1, turns: [], labels: [], truncated: false, images: 1, embedded: true };
  const t = { width: 1, height: 1, source: { format: 'jpeg', width: 1, height: 1, bytes: 1 } };
  assert.doesNotThrow(() => checkSamplePreview({ ...reply, thumbnail: { ...t, dataUri: 'data:image/jpeg;base64,AAAA' } }));
  for (const dataUri of [
    'data:image/svg+xml;base64,AAAA',
    'data:text/html;base64,AAAA',
    'file:///etc/passwd',
    `data:image/png;base64,${'A'.repeat(MAX_THUMBNAIL_URI)}`,
  ])
    assert.throws(() => checkSamplePreview({ ...reply, thumbnail: { ...t, dataUri } }), /dataUri/);
});

test('the map’s Parquet previews: records at scattered lines across shards and row groups, the budget honoured', async () => {
  const dir = join(PQ, 'shards');
  const ids = new Map<number, string>();
  await readDataset(dir, {}, (s) => ids.set(s.line, s.id));
  const lines = [60, 1, 9, 8, 21, 40, 41, 33, 1];
  const recs = await readParquetRecords(dir, lines, 64 * 1024 * 1024);
  assert.deepEqual(
    [...recs.keys()].sort((a, b) => a - b),
    [1, 8, 9, 21, 33, 40, 41, 60],
  );
  for (const [line, rec] of recs) {
    assert.equal(rec.id, ids.get(line), `line ${line}`);
    assert.equal(rec.images, undefined, 'the image column is not read');
    assert.ok(Array.isArray(rec.messages));
  }
  assert.equal((await readParquetRecords(dir, lines, 0)).size, 0, 'no budget, nothing read');
  // The corrupt shard has no rows: line 21 is the third shard's first row, lines past 40 do not exist.
  const corrupt = await readParquetRecords(join(PQ, 'shards-corrupt'), [1, 21, 41], 1 << 20);
  assert.deepEqual([...corrupt.keys()], [1, 21]);
  assert.equal(corrupt.get(21)?.id, ids.get(41));
});
