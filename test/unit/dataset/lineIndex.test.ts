import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, appendFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildLineIndex, isStale, readLines } from '../../../src/core/dataset/lineIndex';

const dir = mkdtempSync(join(tmpdir(), 'cadc-lineindex-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

/** What a plain split says line n is (1-based), CR dropped. */
function expected(text: string): string[] {
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (text.endsWith('\n')) lines.pop();
  return text === '' ? [] : lines;
}

for (const [name, text] of [
  ['no final newline', 'a\nbb\nccc'],
  ['final newline', 'a\nbb\nccc\n'],
  ['CRLF, blank lines, multi-byte UTF-8', '{"q":"héllo ✓"}\r\n\r\n{"q":"日本語"}\r\nlast'],
  ['empty file', ''],
  ['one newline', '\n'],
] as const) {
  test(`readLines matches a plain split: ${name}, at every block size`, async () => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.txt`);
    writeFileSync(file, text);
    const want = expected(text);
    for (const every of [1, 2, 3, 1024]) {
      const index = await buildLineIndex(file, every);
      assert.equal(index.lines, want.length, `line count (every ${every})`);
      const got = await readLines(index, [0, ...want.map((_, i) => i + 1), want.length + 1]);
      assert.deepEqual(
        [...got.keys()].sort((a, b) => a - b),
        want.map((_, i) => i + 1),
        'only lines that exist',
      );
      want.forEach((l, i) => assert.equal(got.get(i + 1), l, `line ${i + 1} (every ${every})`));
    }
  });
}

test('a large file across many read chunks and blocks: sampled lines are exact', async () => {
  const file = join(dir, 'big.jsonl');
  const lines = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ id: i, text: 'x'.repeat((i * 37) % 300), u: 'é' }));
  writeFileSync(file, lines.join('\n') + '\n');
  const index = await buildLineIndex(file, 64);
  assert.equal(index.lines, 5000);
  assert.equal(index.offsets.length, Math.ceil(5000 / 64));
  const wanted = [1, 64, 65, 128, 129, 2500, 4999, 5000, 3333];
  const got = await readLines(index, wanted);
  for (const w of wanted) assert.equal(got.get(w), lines[w - 1], `line ${w}`);
});

test('an over-long line is cut at maxLineBytes; a changed file is stale', async () => {
  const file = join(dir, 'long.txt');
  writeFileSync(file, `short\n${'y'.repeat(200_000)}\nend\n`);
  const index = await buildLineIndex(file, 2);
  const got = await readLines(index, [1, 2, 3], 1000);
  assert.equal(got.get(1), 'short');
  assert.equal(got.get(2), 'y'.repeat(1000));
  assert.equal(got.get(3), 'end');
  assert.equal(await isStale(index), false);
  appendFileSync(file, 'more\n');
  assert.equal(await isStale(index), true);
});
