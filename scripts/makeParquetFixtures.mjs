// Regenerates test/fixtures/parquet/ from the real JSONL subsets in test/fixtures (no network, no
// other input): `node scripts/makeParquetFixtures.mjs`. Two writers independent of the reader
// (hyparquet): parquet-wasm (Rust arrow-rs, fed by apache-arrow) and hyparquet-writer. Images are
// shrunk to 64 px (JPEG q60) and embedded as `{bytes, path}` structs. Deterministic: the same
// inputs give the same bytes. See test/fixtures/parquet/README.md for what each file holds.
import { createRequire } from 'node:module';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));
const arrow = require('apache-arrow');
const pw = require('parquet-wasm');
const sharp = require('sharp');
const { parquetWriteBuffer } = await import('hyparquet-writer');

const fx = join(root, 'test/fixtures');
const out = join(fx, 'parquet');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const jsonl = (p) =>
  readFileSync(join(fx, p), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));

const shrunk = new Map();
async function imageBytes(folder, rel) {
  const key = `${folder}/${rel}`;
  if (!shrunk.has(key)) {
    let bytes = null;
    try {
      bytes = new Uint8Array(
        await sharp(readFileSync(join(fx, folder, rel)))
          .resize(64, 64, { fit: 'inside' })
          .jpeg({ quality: 60 })
          .toBuffer(),
      );
    } catch {
      bytes = null; // missing upstream: the struct keeps its path, without bytes
    }
    shrunk.set(key, bytes);
  }
  return shrunk.get(key);
}

// --- 1. parquet-wasm + apache-arrow, ZSTD: OwlEval, `conversations` + one `image` struct, 2 row groups.
{
  const { Field, Struct, List, Utf8, Binary, vectorFromArray, Table, tableToIPC } = arrow;
  const rows = jsonl('owleval/owleval.jsonl').slice(0, 40);
  const image = [];
  for (const r of rows) image.push({ bytes: await imageBytes('owleval', r.image), path: r.image });
  const conversations = rows.map((r) => r.conversations);
  conversations[7] = null; // a null list: the row is reported, not read
  const turn = new Struct([new Field('from', new Utf8(), true), new Field('value', new Utf8(), true)]);
  const img = new Struct([new Field('bytes', new Binary(), true), new Field('path', new Utf8(), true)]);
  const t = new Table({
    id: vectorFromArray(
      rows.map((r) => r.id),
      new Utf8(),
    ),
    conversations: vectorFromArray(conversations, new List(new Field('item', turn, true))),
    image: vectorFromArray(image, img),
    ability: vectorFromArray(
      rows.map((r) => r.ability),
      new List(new Field('item', new Utf8(), true)),
    ),
    model: vectorFromArray(
      rows.map((r) => r.model),
      new Utf8(),
    ),
  });
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.ZSTD).setMaxRowGroupSize(20).build();
  writeFileSync(join(out, 'owleval-40.zstd.parquet'), pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, 'stream')), props));
}

// --- 2. parquet-wasm + apache-arrow, SNAPPY: Vision-Flan rows 0–29 in The Cauldron's layout
//        (`texts` list of {user, assistant, source}, `images` list of {bytes, path}).
{
  const { Field, Struct, List, Utf8, Binary, vectorFromArray, Table, tableToIPC } = arrow;
  const rows = jsonl('vision-flan-205/vision-flan-205.jsonl').slice(0, 30);
  const texts = rows.map((r) => {
    const pairs = [];
    for (let k = 0; k + 1 < r.conversations.length; k += 2)
      pairs.push({ user: r.conversations[k].value, assistant: r.conversations[k + 1].value, source: r.task_name });
    return pairs;
  });
  const images = [];
  for (const r of rows) images.push([{ bytes: await imageBytes('vision-flan-205', r.image), path: r.image }]);
  const pair = new Struct([
    new Field('user', new Utf8(), true),
    new Field('assistant', new Utf8(), true),
    new Field('source', new Utf8(), true),
  ]);
  const img = new Struct([new Field('bytes', new Binary(), true), new Field('path', new Utf8(), true)]);
  const t = new Table({
    images: vectorFromArray(images, new List(new Field('item', img, true))),
    texts: vectorFromArray(texts, new List(new Field('item', pair, true))),
  });
  const props = new pw.WriterPropertiesBuilder().setCompression(pw.Compression.SNAPPY).setMaxRowGroupSize(16).build();
  writeFileSync(join(out, 'vision-flan-cauldron.snappy.parquet'), pw.writeParquet(pw.Table.fromIPCStream(tableToIPC(t, 'stream')), props));
}

// --- 3. hyparquet-writer, SNAPPY: Vision-Flan rows 30–89 as `messages` ({role, content}) + `images`
//        list, in a folder of 3 shards (20 rows each, row groups of 8); a copy of the folder with its
//        middle shard cut in half (a corrupt shard: no footer).
{
  const str = (name) => ({ name, type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' });
  const listOfStruct = (name, fields) => [
    { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
    { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
    { name: 'element', repetition_type: 'OPTIONAL', num_children: fields.length },
    ...fields,
  ];
  const schema = [
    { name: 'root', num_children: 4 },
    str('id'),
    ...listOfStruct('messages', [str('role'), str('content')]),
    ...listOfStruct('images', [{ name: 'bytes', type: 'BYTE_ARRAY', repetition_type: 'OPTIONAL' }, str('path')]),
    str('task_name'),
  ];
  const rows = jsonl('vision-flan-205/vision-flan-205.jsonl').slice(30, 90);
  const images = [];
  for (const r of rows) images.push([{ bytes: await imageBytes('vision-flan-205', r.image), path: r.image }]);
  const messages = rows.map((r) => r.conversations.map((c) => ({ role: c.from === 'human' ? 'user' : 'assistant', content: c.value })));
  const taskName = rows.map((r) => r.task_name);
  taskName[3] = null; // a null label
  mkdirSync(join(out, 'shards'));
  mkdirSync(join(out, 'shards-corrupt'));
  for (let s = 0; s < 3; s++) {
    const at = (a) => a.slice(s * 20, s * 20 + 20);
    const buf = new Uint8Array(
      parquetWriteBuffer({
        schema,
        rowGroupSize: 8,
        columnData: [
          { name: 'id', data: at(rows.map((r) => r.id)) },
          { name: 'messages', data: at(messages) },
          { name: 'images', data: at(images) },
          { name: 'task_name', data: at(taskName) },
        ],
      }),
    );
    const name = `train-0000${s}-of-00003.parquet`;
    writeFileSync(join(out, 'shards', name), buf);
    writeFileSync(join(out, 'shards-corrupt', name), s === 1 ? buf.subarray(0, buf.length >> 1) : buf);
  }
}

// --- 4. A Parquet file whose columns are no known layout (exit 3 naming them): hyparquet-writer.
writeFileSync(
  join(out, 'unknown-layout.parquet'),
  new Uint8Array(
    parquetWriteBuffer({
      columnData: [
        { name: 'question', data: ['What is shown?', 'Which colour?'], type: 'STRING' },
        { name: 'answer', data: ['A cat', 'Red'], type: 'STRING' },
        { name: 'score', data: [1, 2], type: 'INT32' },
      ],
    }),
  ),
);
console.log(`wrote ${out}`);
