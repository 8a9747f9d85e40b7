// The text of the editor's annotations: ranks within a capability (known answers), the line tags in
// each mode, record previews of the dataset formats, and Markdown escaping of untrusted text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { escapeMarkdown, rankWithinCapability, recordPreview, tagOf, topPercent } from '../../../src/extension/annotationText';
import type { AttributionRow } from '../../../src/core/store/attributionTable';
import { FIXTURES } from '../helpers';

test('rankWithinCapability: rank 1 is the most influential sample of its capability; ties by line', () => {
  const { rank, of } = rankWithinCapability([
    { line: 1, cap: 0, value: 0.2 },
    { line: 2, cap: 1, value: 5 },
    { line: 3, cap: 0, value: 0.9 },
    { line: 4, cap: 0, value: -1 },
    { line: 6, cap: 0, value: 0.9 },
  ]);
  assert.deepEqual([rank[1], rank[3], rank[4], rank[6]], [3, 1, 4, 2]);
  assert.deepEqual([of[1], of[3], of[4], of[6]], [4, 4, 4, 4]);
  assert.deepEqual([rank[2], of[2]], [1, 1], 'a capability of one');
  assert.equal(rank[5], 0, 'a line without a row has no rank');
  assert.equal(topPercent({ rank: 1, of: 4 }), 25);
  assert.equal(topPercent({ rank: 4, of: 4 }), 100);
  assert.equal(topPercent({ rank: 1, of: 1000 }), 1, 'never "top 0%"');
});

const row = (selected: boolean): AttributionRow => ({
  line: 7,
  id: 'x',
  capability: 'c3',
  influence: { c1: 0.1, c3: 0.5 },
  selfInfluence: 1,
  loss: 2,
  style: 'short',
  selected,
  stage: selected ? 's2' : null,
});

test('tagOf: short names the capability (and the stage when selected); full adds id, state and rank', () => {
  assert.equal(tagOf(row(true), 'Chart reading', 'short'), 'Chart reading ✓ s2');
  assert.equal(tagOf(row(false), 'Chart reading', 'short'), 'Chart reading');
  assert.equal(tagOf(row(true), 'Chart reading', 'full', { rank: 3, of: 150 }), 'c3 Chart reading · selected s2 · top 2% of c3');
  assert.equal(tagOf(row(false), 'Chart reading', 'full'), 'c3 Chart reading · not selected');
  assert.equal(tagOf(row(false), 'A very long capability name that goes on and on', 'short'), 'A very long capability name…');
});

test('recordPreview: instruction and answer of LLaVA, messages and Alpaca records; <image> and whitespace removed', () => {
  const llava = readFileSync(join(FIXTURES, 'vision-flan-205', 'vision-flan-205.jsonl'), 'utf8').split('\n')[0];
  const rec = JSON.parse(llava) as { conversations: { value: string }[] };
  const p = recordPreview(llava);
  assert.equal(
    p.instruction,
    rec.conversations[0].value
      .replace(/<image>/g, '')
      .replace(/\s+/g, ' ')
      .trim(),
  );
  assert.equal(p.answer, rec.conversations[1].value.replace(/\s+/g, ' ').trim());
  assert.deepEqual(
    recordPreview(
      JSON.stringify({ messages: [{ content: [{ type: 'text', text: 'What\nis' }, { type: 'image' }] }, { content: 'A cat.' }] }),
    ),
    { instruction: 'What is', answer: 'A cat.' },
  );
  assert.deepEqual(recordPreview(JSON.stringify({ instruction: 'Add', input: '2+2', output: '4' })), {
    instruction: 'Add 2+2',
    answer: '4',
  });
  assert.deepEqual(recordPreview('not json'), { instruction: '', answer: '' });
});

test('escapeMarkdown: links, HTML, emphasis and autolinks from the data stay text', () => {
  const hostile = '[x](command:workbench.action.quit) <img src=x> **b** https://e.invalid';
  const out = escapeMarkdown(hostile);
  assert.ok(!out.includes('](command'), out);
  assert.ok(!out.includes('<'), 'no < left: HTML becomes entities');
  assert.ok(out.includes('&lt;img src=x&gt;'));
  assert.equal(escapeMarkdown('&lt;b&gt;'), '&amp;lt;b&amp;gt;', 'an entity in the data stays text');
  assert.ok(!/(^|[^\\])\*/.test(out), 'every * escaped');
  assert.ok(out.includes('https\\:'), 'no bare autolink');
});
