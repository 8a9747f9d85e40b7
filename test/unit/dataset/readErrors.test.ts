// Issue 10/14: files that are not a dataset throw DatasetReadError — from their first bytes when
// that is enough, else after the full pass found no usable record — with a one-line message saying
// what was found, what is supported and where reading stopped. A file with some bad lines is not one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../../src/core/dataset/reader';
import { DatasetReadError, SUPPORTED_FORMATS_TEXT } from '../../../src/core/dataset/errors';
import type { DatasetReadErrorCode } from '../../../src/core/dataset/errors';

const good = JSON.stringify({
  id: 'g',
  conversations: [
    { from: 'human', value: 'Q?' },
    { from: 'gpt', value: 'A' },
  ],
});
const demo = readFileSync(join(__dirname, '../../../demo/demo.jsonl'));

const cases: {
  name: string;
  file: string;
  content: string | Buffer;
  code: DatasetReadErrorCode;
  found: RegExp;
  line?: number;
  byte?: number;
}[] = [
  { name: 'empty file', file: 'e.jsonl', content: '', code: 'empty', found: /an empty file/, line: 1, byte: 0 },
  { name: 'whitespace only', file: 'w.jsonl', content: '\n  \r\n\t\n', code: 'empty', found: /only whitespace/, line: 3 },
  {
    name: 'blank lines beyond the sniffed window',
    file: 'wl.jsonl',
    content: ' '.repeat(70_000) + '\n'.repeat(10),
    code: 'empty',
    found: /no records/,
    line: 10,
  },
  { name: 'empty JSON array', file: 'a.json', content: '[\n]\n', code: 'empty', found: /an empty JSON array/ },
  {
    name: 'CSV',
    file: 'd.csv',
    content: 'id,question,answer\n1,"What, here?",yes\n2,b,no\n',
    code: 'unsupported-format',
    found: /CSV text \(header "id,question,answer", 3 columns\)/,
    line: 1,
  },
  { name: 'TSV', file: 'd.tsv', content: 'id\tquestion\tanswer\n1\ta\tb\n', code: 'unsupported-format', found: /TSV text/, line: 1 },
  {
    name: 'Parquet',
    file: 'd.parquet',
    content: Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(200, 7), Buffer.from('PAR1')]),
    code: 'unsupported-format',
    found: /Parquet/,
    line: 1,
    byte: 0,
  },
  {
    name: 'gzip-compressed JSONL',
    file: 'd.jsonl.gz',
    content: Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]),
    code: 'unsupported-format',
    found: /gzip/,
  },
  {
    name: 'binary (NULs)',
    file: 'b.jsonl',
    content: Buffer.concat([Buffer.from('{"a":'), Buffer.alloc(2000, 0)]),
    code: 'binary',
    found: /binary data/,
    line: 1,
    byte: 5,
  },
  {
    name: 'binary (invalid UTF-8)',
    file: 'u.jsonl',
    content: Buffer.from(Array.from({ length: 3000 }, (_, i) => 0x80 + (i % 64))),
    code: 'binary',
    found: /binary data/,
    byte: 0,
  },
  {
    name: 'truncated JSON array with no usable record',
    file: 't.json',
    content: `[\n  ${good.slice(0, 40)}`,
    code: 'truncated',
    found: /ends before it is closed/,
    line: 2,
  },
  {
    name: 'text without a record',
    file: 'x.jsonl',
    content: '# A title\n\nSome prose.\nMore prose.\n',
    code: 'no-records',
    found: /3 record\(s\), none of a supported shape; line 1: Invalid JSON/,
    line: 4,
  },
  {
    name: 'JSON of another shape',
    file: 'o.jsonl',
    content: '{"a":1}\n{"b":2}\n',
    code: 'no-records',
    found: /none of a supported shape; line 1: Not a record/,
  },
];

for (const c of cases) {
  test(`not a dataset: ${c.name} → DatasetReadError ${c.code}`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cadc-readerr-'));
    try {
      const file = join(dir, c.file);
      writeFileSync(file, c.content);
      let samples = 0;
      await assert.rejects(
        readDataset(file, { checkImages: false }, () => samples++),
        (e: unknown) => {
          assert.ok(e instanceof DatasetReadError, `a DatasetReadError, got ${(e as Error).stack}`);
          assert.equal(e.code, c.code);
          assert.match(e.message, c.found);
          assert.ok(e.message.includes(SUPPORTED_FORMATS_TEXT), e.message);
          assert.ok(!e.message.includes('\n'), 'one line');
          assert.match(e.message, /reading stopped at (line|byte) \d+/);
          if (c.line !== undefined) assert.equal(e.line, c.line);
          if (c.byte !== undefined) assert.equal(e.byte, c.byte);
          return true;
        },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('a file with some bad lines (even a garbage or binary first line) is read, not refused', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-readerr-'));
  try {
    const file = join(dir, 'mixed.jsonl');
    writeFileSync(file, Buffer.concat([Buffer.from('a,b,c\n'), Buffer.from([0, 1, 2, 0xff, 0xfe, 10]), Buffer.from('not json\n'), demo]));
    let samples = 0;
    const summary = await readDataset(file, { checkImages: false }, () => samples++);
    assert.equal(samples, demo.toString().trim().split('\n').length);
    assert.equal(summary.invalid, 3);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
