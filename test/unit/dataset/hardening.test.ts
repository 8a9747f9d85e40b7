// Issue 11: hostile records cost only their own line — a diagnostic with the true line number and a
// bounded message — and the rest of the file is still read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDataset } from '../../../src/core/dataset/reader';
import { MAX_MESSAGE_CHARS } from '../../../src/core/dataset/describe';
import { buildLineIndex, readLines } from '../../../src/core/dataset/lineIndex';
import type { DatasetSummary, Sample } from '../../../src/core/dataset/types';

const good = (id: string) =>
  JSON.stringify({
    id,
    conversations: [
      { from: 'human', value: `Question ${id}?` },
      { from: 'gpt', value: `Answer ${id}` },
    ],
  });

async function withFile(content: string | Buffer, fn: (file: string) => Promise<void>, name = 'd.jsonl'): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'cadc-hard-'));
  try {
    const file = join(dir, name);
    writeFileSync(file, content);
    await fn(file);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function read(file: string): Promise<{ samples: Sample[]; summary: DatasetSummary }> {
  const samples: Sample[] = [];
  const summary = await readDataset(file, { checkImages: false }, (s) => samples.push(s));
  return { samples, summary };
}

const errorsAt = (summary: DatasetSummary) => summary.diagnostics.filter((d) => d.severity === 'error').map((d) => [d.line, d.code]);

test('a from/role/type value nested 5,000 deep is one diagnostic on its line, not a stack overflow', async () => {
  const deep = (n: number) => '['.repeat(n) + '1' + ']'.repeat(n);
  const lines = [
    good('a'),
    `{"conversations":[{"from":${deep(5000)},"value":"q"},{"from":"gpt","value":"a"}]}`,
    `{"messages":[{"role":${deep(5000)},"content":"q"},{"role":"assistant","content":"a"}]}`,
    `{"messages":[{"role":"user","content":[{"type":${deep(5000)}}]},{"role":"assistant","content":"a"}]}`,
    good('b'),
  ];
  await withFile(lines.join('\n') + '\n', async (file) => {
    const { samples, summary } = await read(file);
    assert.deepEqual(
      samples.map((s) => s.line),
      [1, 5],
    );
    assert.deepEqual(
      errorsAt(summary).map(([l]) => l),
      [2, 3, 4],
    );
    assert.equal(summary.invalid, 3);
  });
});

test('a 3 MB "from" string is described by type and size; the message stays short', async () => {
  const big = 'x'.repeat(3_000_000);
  const lines = [
    `{"conversations":[{"from":"${big}","value":"q"},{"from":"gpt","value":"a"}]}`,
    `{"id":"${big}","conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}`,
    `{"id":"${big}","conversations":[{"from":"human","value":"q2"},{"from":"gpt","value":"a"}]}`,
    `{"${big}":1}`,
  ];
  await withFile(lines.join('\n'), async (file) => {
    const { summary } = await read(file);
    assert.deepEqual(
      summary.diagnostics.map((d) => [d.line, d.code]),
      [
        [1, 'wrong-shape'],
        [3, 'duplicate-id'],
        [4, 'wrong-shape'],
      ],
    );
    for (const d of summary.diagnostics) assert.ok(d.message.length <= MAX_MESSAGE_CHARS, `${d.code}: ${d.message.length} chars`);
    assert.match(summary.diagnostics[0].message, /a string of 3,000,000 chars "x{20}…"/);
  });
});

test('JSON nested 100,000 deep is skipped before parsing, reported as too deep (not "found object")', async () => {
  const lines = [
    good('a'),
    '['.repeat(100_000) + ']'.repeat(100_000),
    `{"id":"d","meta":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)},"conversations":[]}`,
    '[1,2]',
    good('b'),
  ];
  await withFile(lines.join('\n'), async (file) => {
    const { samples, summary } = await read(file);
    assert.deepEqual(
      samples.map((s) => s.line),
      [1, 5],
    );
    assert.deepEqual(errorsAt(summary), [
      [2, 'too-deep'],
      [3, 'too-deep'],
      [4, 'wrong-shape'],
    ]);
    assert.match(summary.diagnostics.find((d) => d.line === 4)!.message, /found an array of 2 items/);
  });
});

test('a byte-order mark is allowed only at byte 0: one at the start of a later line is diagnosed, not stripped', async () => {
  const BOM = '\ufeff';
  const lines = [BOM + good('a'), BOM + good('b'), `  ${BOM}${good('c')}`, good('d').replace('Answer d', `Answer${BOM}d`), good('e')];
  await withFile(lines.join('\r\n') + '\r\n', async (file) => {
    const { samples, summary } = await read(file);
    assert.deepEqual(
      samples.map((s) => s.line),
      [1, 4, 5],
      'a BOM inside a string is text',
    );
    assert.deepEqual(errorsAt(summary), [
      [2, 'misplaced-bom'],
      [3, 'misplaced-bom'],
    ]);
    assert.equal(samples[1].turns[1].text, `Answer${BOM}d`);
  });
});

test('JSON array: a truncated tail and content after ] are counted as invalid', async () => {
  const arr = `[\n${good('a')},\n${good('b')},\n${good('c').slice(0, 30)}`;
  await withFile(
    arr,
    async (file) => {
      const { samples, summary } = await read(file);
      assert.equal(samples.length, 2);
      assert.deepEqual(errorsAt(summary), [[4, 'invalid-json']]);
      assert.equal(summary.invalid, 1);
      assert.equal(summary.records, 3);
    },
    'd.json',
  );
  await withFile(
    `[${good('a')}]\n{"x":1}\n`,
    async (file) => {
      const { summary } = await read(file);
      assert.equal(summary.invalid, 1);
      assert.deepEqual(errorsAt(summary), [[2, 'invalid-json']]);
    },
    'd.json',
  );
});

test('__proto__ and constructor keys neither pollute nor break labels', async () => {
  const rec = (p: string) =>
    `{"__proto__":{"polluted":1},"constructor":"c","toString":"t","__proto__x":"${p}","task":"t1","conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"a"}]}`;
  await withFile(
    [rec('1'), rec('2'), `{"__proto__":"x","task":"t2","conversations":[{"from":"human","value":"q"},{"from":"gpt","value":"b"}]}`].join(
      '\n',
    ),
    async (file) => {
      const { samples } = await read(file);
      assert.equal(samples.length, 3);
      for (const s of samples) {
        assert.equal(Object.getPrototypeOf(s.labels), Object.prototype);
        assert.ok(!Object.prototype.hasOwnProperty.call(s.labels, '__proto__'));
        assert.ok(!Object.prototype.hasOwnProperty.call(s.labels, 'constructor'));
      }
      assert.deepEqual(samples[0].labels, { __proto__x: '1', task: 't1' });
      assert.equal(({} as Record<string, unknown>).polluted, undefined);
    },
  );
});

test('line numbers are true 1-based lines under a file BOM, CRLF, blank and over-long lines; the line index agrees', async () => {
  const long = `{"id":"long","conversations":[{"from":"human","value":"${'y'.repeat(70_000)}"},{"from":"gpt","value":"a"}]}`;
  const lines = ['\ufeff' + good('a'), '', good('b'), long, 'garbage', '', '   ', good('c'), long.replace('long', 'long2'), good('d')];
  await withFile(lines.join('\r\n'), async (file) => {
    const samples: Sample[] = [];
    const summary = await readDataset(file, { checkImages: false, maxLineBytes: 65_536 }, (s) => samples.push(s));
    assert.deepEqual(
      samples.map((s) => s.line),
      [1, 3, 8, 10],
    );
    assert.deepEqual(errorsAt(summary), [
      [4, 'line-too-long'],
      [5, 'invalid-json'],
      [9, 'line-too-long'],
    ]);
    assert.equal(summary.lines, 10);
    const index = await buildLineIndex(file, 3);
    assert.equal(index.lines, summary.lines);
    const text = await readLines(
      index,
      samples.map((s) => s.line),
    );
    for (const s of samples) assert.equal(text.get(s.line)!.replace(/^\ufeff/, ''), lines[s.line - 1].replace(/^\ufeff/, ''));
  });
});

test('JSON array: an element nested 100,000 deep is one too-deep record at its line; its neighbours are read', async () => {
  const deep = '['.repeat(100_000) + ']'.repeat(100_000);
  await withFile(
    `[\n${good('a')},\n${deep},\n${good('b')}\n]\n`,
    async (file) => {
      const { samples, summary } = await read(file);
      assert.deepEqual(
        samples.map((s) => s.line),
        [2, 4],
      );
      assert.deepEqual(errorsAt(summary), [[3, 'too-deep']]);
      assert.equal(summary.invalid, 1);
    },
    'd.json',
  );
});
