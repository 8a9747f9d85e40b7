// Issue 16: `cadc export` — a curated manifest written for LLaVA, ShareGPT, ms-swift (openai) and
// LLaMA-Factory. Each export is checked against a JSON Schema of the framework's documented format
// (written here from the docs, URL beside each), and read back with the project's own reader: the
// same samples, in stage order, with the same text and the same images (files or embedded bytes).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { exportToFiles, runExport } from '../../../src/app/export';
import { curateToFiles } from '../../../src/app/curate';
import { defaultsOf } from '../../../src/app/options';
import { EXIT } from '../../../src/app/outcome';
import type { ManifestV1 } from '../../../src/core/curriculum/types';
import { readDataset } from '../../../src/core/dataset/reader';
import type { Sample } from '../../../src/core/dataset/types';
import { EXPORT_FORMATS, exportRecord, withImageTokens } from '../../../src/core/export/formats';
import type { ExportFormat } from '../../../src/core/export/formats';
import type { CurateParams } from '../../../src/protocol/backend';
import { parseArgs } from '../../../src/cli/args';
import type { ExportArgs } from '../../../src/cli/args';
import { helpText } from '../../../src/cli/usage';
import { FIXTURES } from '../helpers';

const ajv = new Ajv({ allErrors: true });
const str = { type: 'string' };
const strList = { type: 'array', items: str };

// LLaVA: https://github.com/haotian-liu/LLaVA/blob/main/docs/Finetune_Custom_Data.md and
// llava/train/train.py (LazySupervisedDataset: `image` joined to --image_folder; preprocess maps
// `from` human/gpt; `<image>` in the text of the first human turn).
const LLAVA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['id', 'conversations'],
    properties: {
      id: str,
      image: { anyOf: [str, strList] },
      conversations: {
        type: 'array',
        minItems: 2,
        items: {
          type: 'object',
          required: ['from', 'value'],
          additionalProperties: false,
          properties: { from: { enum: ['human', 'gpt'] }, value: str },
        },
      },
    },
  },
};
// ShareGPT as LLaMA-Factory documents it (https://github.com/hiyouga/LLaMA-Factory/blob/main/data/README.md,
// "Sharegpt Format"): conversations [{from: human|gpt, value}], optional system, images.
const SHAREGPT = {
  type: 'array',
  items: {
    type: 'object',
    required: ['conversations'],
    properties: {
      conversations: {
        type: 'array',
        minItems: 2,
        items: {
          type: 'object',
          required: ['from', 'value'],
          properties: { from: { enum: ['human', 'gpt', 'observation', 'function_call'] }, value: str },
        },
      },
      system: str,
      images: strList,
    },
  },
};
// LLaMA-Factory's sharegpt formatting with OpenAI-style tags (same README, "OpenAI format" and the
// dataset_info.json description: formatting, columns {messages, images}, tags {role_tag, content_tag,
// user_tag, assistant_tag, system_tag}).
const LF_MESSAGES = {
  type: 'object',
  required: ['messages'],
  properties: {
    messages: {
      type: 'array',
      minItems: 2,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: { role: { enum: ['system', 'user', 'assistant'] }, content: str },
      },
    },
    images: strList,
  },
};
const LF_FILE = { type: 'array', items: LF_MESSAGES };
const LF_INFO = {
  type: 'object',
  minProperties: 1,
  additionalProperties: {
    type: 'object',
    required: ['file_name', 'formatting', 'columns', 'tags'],
    properties: {
      file_name: str,
      formatting: { enum: ['alpaca', 'sharegpt'] },
      columns: { type: 'object', required: ['messages', 'images'], properties: { messages: str, images: str } },
      tags: {
        type: 'object',
        required: ['role_tag', 'content_tag', 'user_tag', 'assistant_tag'],
        properties: { role_tag: str, content_tag: str, user_tag: str, assistant_tag: str, system_tag: str },
      },
    },
  },
};
// ms-swift's standard format (https://swift.readthedocs.io/en/latest/Customization/Custom-dataset.html):
// one JSON object a line, `messages` [{role: system|user|assistant, content}], `images` paths or URLs.
const SWIFT_LINE = LF_MESSAGES;

function schemaCheck(format: ExportFormat, file: string): void {
  const text = readFileSync(file, 'utf8');
  const check = (schema: object, value: unknown) => {
    const v = ajv.compile(schema);
    assert.ok(v(value), `${file}: ${ajv.errorsText(v.errors)}`);
  };
  if (format === 'openai') for (const line of text.split('\n').filter(Boolean)) check(SWIFT_LINE, JSON.parse(line));
  else check(format === 'llava' ? LLAVA : format === 'sharegpt' ? SHAREGPT : LF_FILE, JSON.parse(text));
  // Every framework places image k at the k-th <image> token: as many tokens as images.
  const records =
    format === 'openai'
      ? text
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l))
      : JSON.parse(text);
  for (const r of records as Record<string, unknown>[]) {
    const imgs = format === 'llava' ? (r.image === undefined ? [] : [r.image].flat()) : ((r.images as string[]) ?? []);
    const texts =
      format === 'llava' || format === 'sharegpt'
        ? (r.conversations as { value: string }[]).map((c) => c.value)
        : (r.messages as { content: string }[]).map((m) => m.content);
    const tokens = texts.join('\n').match(/<image>/g)?.length ?? 0;
    assert.equal(tokens, imgs.length, `${file}: ${JSON.stringify(r).slice(0, 120)}`);
  }
}

async function curate(dataset: string, out: string, budget = 0.2, includeFlagged = false): Promise<string> {
  const params = { ...(defaultsOf('curate') as unknown as CurateParams), dataset, out, budget, cache: null, force: false, includeFlagged };
  const outcome = await curateToFiles(params);
  assert.equal(outcome.code, EXIT.ok, outcome.message);
  return outcome.result!.manifest;
}

async function samplesOf(file: string): Promise<{ byLine: Map<number, Sample>; bytes: Map<number, Buffer[]> }> {
  const byLine = new Map<number, Sample>();
  const bytes = new Map<number, Buffer[]>();
  await readDataset(file, {}, (s) => {
    byLine.set(s.line, s);
    bytes.set(
      s.line,
      s.images.filter((i) => i.bytes).map((i) => Buffer.from(i.bytes!)),
    );
  });
  return { byLine, bytes };
}

/** Export, check the schema, read back: same samples in stage order, same text, same images. */
async function roundTrip(dataset: string, manifestFile: string, format: ExportFormat, out: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ManifestV1;
  const outcome = await exportToFiles({ manifest: manifestFile, format, out, force: false });
  assert.equal(outcome.code, EXIT.ok, outcome.message);
  const r = outcome.result!;
  assert.deepEqual(
    r.stages.map((s) => s.id),
    manifest.stages.map((s) => s.id),
  );
  const source = await samplesOf(dataset);
  for (const [k, st] of manifest.stages.entries()) {
    const file = join(out, r.stages[k].file);
    schemaCheck(format, file);
    const back: Sample[] = [];
    // Image files stay where the dataset has them (paths relative to the export folder lead out of
    // it): the read-back lets them resolve anywhere, as a training framework does.
    await readDataset(file, { confineTo: '/' }, (s) => back.push(s));
    assert.equal(back.length, st.samples.length, `${format} ${st.id}`);
    for (const [j, x] of st.samples.entries()) {
      const orig = source.byLine.get(x.line)!;
      const got = back[j];
      assert.equal(got.id, x.id);
      const expected = withImageTokens(orig.turns, orig.images.length).turns.filter((t) => format !== 'llava' || t.role !== 'system');
      assert.deepEqual(got.turns, expected, `${format} ${st.id} #${j}`);
      assert.equal(got.images.length, orig.images.length);
      const embedded = source.bytes.get(x.line)!;
      for (const [m, im] of got.images.entries()) {
        if (orig.images[m].bytes || embedded.length > 0) assert.deepEqual(readFileSync(im.path!), embedded[m]);
        else assert.equal(im.path, orig.images[m].path);
      }
    }
  }
  if (format === 'llama-factory') {
    const info = JSON.parse(readFileSync(join(out, 'dataset_info.json'), 'utf8')) as Record<string, unknown>;
    const v = ajv.compile(LF_INFO);
    assert.ok(v(info), ajv.errorsText(v.errors));
    assert.deepEqual(
      Object.values(info).map((e) => (e as { file_name: string }).file_name),
      r.stages.map((s) => s.file),
      'one entry per stage, in stage order',
    );
  }
  const readme = readFileSync(join(out, 'README.md'), 'utf8');
  for (const s of r.stages) assert.ok(readme.includes(s.file), `README names ${s.file}`);
}

test('withImageTokens and exportRecord on small known cases', () => {
  const turns = [
    { role: 'system' as const, text: 'Be brief.' },
    { role: 'user' as const, text: 'What is it?' },
    { role: 'assistant' as const, text: 'A cat.' },
  ];
  assert.deepEqual(withImageTokens(turns, 2).turns[1], { role: 'user', text: '<image><image>\nWhat is it?' });
  assert.equal(withImageTokens(turns, 0).added, 0);
  const tokened = [{ role: 'user' as const, text: 'Look: <image>' }, turns[2]];
  assert.equal(withImageTokens(tokened, 1).turns, tokened);
  const s = { id: 'x', turns, images: ['images/a.jpg'] };
  assert.deepEqual(exportRecord('llava', s), {
    record: {
      id: 'x',
      image: 'images/a.jpg',
      conversations: [
        { from: 'human', value: '<image>\nWhat is it?' },
        { from: 'gpt', value: 'A cat.' },
      ],
    },
    droppedSystem: 1,
    addedTokens: 1,
  });
  assert.deepEqual(exportRecord('sharegpt', s).record.system, 'Be brief.');
  assert.deepEqual(exportRecord('openai', s).record.messages, [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: '<image>\nWhat is it?' },
    { role: 'assistant', content: 'A cat.' },
  ]);
  assert.deepEqual(exportRecord('llama-factory', { ...s, images: ['a', 'b'] }).record.images, ['a', 'b']);
});

test('round trip, JSONL with image files (OwlEval): every format, schema-valid, same samples, text and image files', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cadc-export-')));
  try {
    const dataset = join(FIXTURES, 'owleval/owleval.jsonl');
    const manifest = await curate(dataset, join(dir, 'cur'));
    for (const f of EXPORT_FORMATS) await roundTrip(dataset, manifest, f, join(dir, f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('round trip, Parquet shards with embedded images: the images are written to images/ and read back byte for byte', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cadc-export-')));
  try {
    const dataset = join(FIXTURES, 'parquet/shards');
    const manifest = await curate(dataset, join(dir, 'cur'), 0.5);
    const m = JSON.parse(readFileSync(manifest, 'utf8')) as ManifestV1;
    assert.equal(m.dataset.container, 'parquet');
    assert.ok(m.stages.every((s) => s.samples.every((x) => x.shard && x.row === (x.line - 1) % 20)));
    for (const f of EXPORT_FORMATS) await roundTrip(dataset, manifest, f, join(dir, f));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an existing export is never replaced without force; a changed dataset is refused before anything is written', async () => {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'cadc-export-')));
  try {
    const dataset = join(dir, 'pool.jsonl');
    writeFileSync(dataset, readFileSync(join(FIXTURES, 'vision-flan-205/vision-flan-205.jsonl')));
    // The copy has no images beside it: every sample is flagged, so include them to have stages to export.
    const manifest = await curate(dataset, join(dir, 'cur'), 0.2, true);
    const out = join(dir, 'out');
    const first = await exportToFiles({ manifest, format: 'openai', out, force: false });
    assert.equal(first.code, EXIT.ok);
    const stage = join(out, first.result!.stages[0].file);
    writeFileSync(stage, 'mine\n');
    const again = await exportToFiles({ manifest, format: 'openai', out, force: false });
    assert.equal(again.code, EXIT.exists);
    assert.equal(readFileSync(stage, 'utf8'), 'mine\n');
    const forced = await runExport({ manifest, format: 'openai', out, force: true });
    assert.notEqual(readFileSync(stage, 'utf8'), 'mine\n');
    assert.equal(forced.files.length, first.result!.files.length);
    // The dataset's lines now mean other samples: refused, nothing written.
    const lines = readFileSync(dataset, 'utf8').split('\n');
    writeFileSync(dataset, [lines[1], lines[0], ...lines.slice(2)].join('\n').replace(/"id": "/g, '"id": "x'));
    const out2 = join(dir, 'out2');
    const refused = await exportToFiles({ manifest, format: 'llava', out: out2, force: false });
    assert.equal(refused.code, EXIT.unreadable);
    assert.match(refused.message!, /dataset changed/);
    assert.ok(!existsSync(join(out2, 'README.md')));
    assert.ok(statSync(out2).isDirectory());
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('cadc export arguments: the manifest and --format (required, one of the four), --out, --force', () => {
  const a = parseArgs(['export', 'c/pool.cadc.json', '--format', 'llama-factory', '--out', 'x', '--force']) as ExportArgs;
  assert.deepEqual([a.command, a.manifest, a.format, a.out, a.force], ['export', 'c/pool.cadc.json', 'llama-factory', 'x', true]);
  assert.throws(() => parseArgs(['export', 'c/pool.cadc.json']), /export needs --format/);
  assert.throws(() => parseArgs(['export', 'c/pool.cadc.json', '--format', 'alpaca']), /llava, sharegpt, openai, llama-factory/);
  assert.throws(() => parseArgs(['export', '--format', 'llava']), /export needs a manifest path/);
  assert.match(helpText('export'), /Usage: cadc export <manifest> --format/);
  assert.match(helpText(), /export <manifest>/);
});
