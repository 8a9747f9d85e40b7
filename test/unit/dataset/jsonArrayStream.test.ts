// Issue 16: a JSON array (the llava_v1_5_mix665k.json shape: one array, each element over several
// lines) is split into elements as the bytes stream — never parsed whole. The split does not depend
// on where the chunks end (a 1-byte chunk inside a string, an escape, a bracket), and every element
// keeps its array index, its start line and byte offset (what hovers and manifests point at).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RecordSplitter } from '../../../src/core/dataset/splitter';
import type { RawRecord } from '../../../src/core/dataset/splitter';

const elements = [
  {
    id: 'a',
    conversations: [
      { from: 'human', value: 'Say "[hi]", \\ then {go}\n<image>' },
      { from: 'gpt', value: 'ok, ]' },
    ],
  },
  {
    id: 'b',
    conversations: [
      { from: 'human', value: 'é ✓ 🙂' },
      { from: 'gpt', value: '' },
    ],
  },
  {
    id: 'c',
    image: 'x.jpg',
    conversations: [
      { from: 'human', value: '\\"' },
      { from: 'gpt', value: '[[{' },
    ],
  },
];
// Two-space indented, one element over many lines, as json.dump(indent=2) writes it.
const text = `[\n${elements.map((e) => JSON.stringify(e, null, 2).replace(/^/gm, '  ')).join(',\n')}\n]\n`;
const bytes = Buffer.from(text, 'utf8');

function split(chunk: number): RawRecord[] {
  const out: RawRecord[] = [];
  const s = new RecordSplitter(
    1 << 20,
    (r) => out.push({ ...r, bytes: Buffer.from(r.bytes) }),
    () => assert.fail('too long'),
    (line, msg) => assert.fail(`structure at ${line}: ${msg}`),
  );
  for (let i = 0; i < bytes.length; i += chunk) s.push(bytes.subarray(i, i + chunk));
  s.end();
  assert.equal(s.container, 'json-array');
  return out;
}

test('JSON array elements: the same records, start lines and offsets whatever the chunk size', () => {
  // Known answer: element k starts at the line of its opening brace, at the byte of that brace.
  const lines = text.split('\n');
  const startLines = lines.map((l, i) => (l === '  {' ? i + 1 : 0)).filter(Boolean);
  assert.equal(startLines.length, 3);
  const offsets = [...text.matchAll(/^ {2}\{/gm)].map((m) => Buffer.byteLength(text.slice(0, m.index!)) + 2);
  for (const chunk of [1, 2, 3, 7, 64, 1 << 20]) {
    const recs = split(chunk);
    assert.deepEqual(
      recs.map((r) => JSON.parse(r.bytes.toString('utf8'))),
      elements,
      `chunk ${chunk}`,
    );
    assert.deepEqual(
      recs.map((r) => r.line),
      startLines,
      `chunk ${chunk}`,
    );
    assert.deepEqual(
      recs.map((r) => r.offset),
      offsets,
      `chunk ${chunk}`,
    );
  }
});
