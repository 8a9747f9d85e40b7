// The sample preview document's text and the editor's bounded sample cache: dataset text is shown
// literally (a fence longer than any backtick run inside it), names escaped, the thumbnail last;
// the LRU keeps within its entry and byte bounds, least recently used out first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fenced, firstExchange, sampleDocumentText } from '../../../src/extension/sampleText';
import { Lru } from '../../../src/extension/util/lru';
import type { SamplePreview } from '../../../src/protocol/sample';

const preview: SamplePreview = {
  line: 12,
  shard: 'train-00000-of-00003.parquet',
  row: 11,
  id: 'vf_1',
  turns: [
    { role: 'user', text: '<image>\nWhat is ``` this? <script>alert(1)</script>' },
    { role: 'assistant', text: 'A [link](command:evil) and ![x](file:///etc/passwd)' },
  ],
  labels: [{ field: 'task_name', value: 'VQA_*bold*' }],
  truncated: false,
  images: 1,
  embedded: true,
  thumbnail: {
    dataUri: 'data:image/jpeg;base64,AAAA',
    width: 64,
    height: 48,
    source: { format: 'jpeg', width: 64, height: 48, bytes: 900 },
  },
};

test('fenced: a fence one longer than the longest backtick run, at least three', () => {
  assert.equal(fenced('plain'), '```text\nplain\n```');
  assert.equal(fenced('a ```` b'), '`````text\na ```` b\n`````');
});

test('the preview document: shard and row, attribution, labels escaped, turns fenced literally, the thumbnail last', () => {
  const text = sampleDocumentText(preview, 'pool/shards', {
    capability: 'c2',
    name: 'Charts_and (tables)',
    selected: true,
    stage: 's1',
    style: 'short-answer',
    influence: 0.12345,
  });
  const lines = text.trimEnd().split('\n');
  assert.equal(lines[0], '# train\\-00000\\-of\\-00003\\.parquet · row 11');
  assert.ok(text.includes('**c2** Charts\\_and \\(tables\\) · selected, stage s1 · style short\\-answer · influence 0.1235'));
  assert.ok(text.includes('**labels** task\\_name: VQA\\_\\*bold\\*'));
  // Dataset text inside fences longer than its own backtick run: never parsed as Markdown or HTML.
  assert.ok(text.includes('````text\n<image>\nWhat is ``` this? <script>alert(1)</script>\n````'));
  assert.ok(text.includes('```text\nA [link](command:evil) and ![x](file:///etc/passwd)\n```'));
  assert.equal(lines.at(-1), '![image](data:image/jpeg;base64,AAAA)');
  assert.ok(text.indexOf('## Image') > text.indexOf('## Assistant'));
  assert.deepEqual(firstExchange(preview), { instruction: 'What is ``` this? <script>alert(1)</script>', answer: preview.turns[1].text });
  const none = sampleDocumentText(
    { ...preview, thumbnail: undefined, imageProblem: 'image not shown: 40.0 MiB, over the 32.0 MiB cap' },
    'p',
  );
  assert.ok(none.trimEnd().endsWith('*image not shown\\: 40\\.0 MiB, over the 32\\.0 MiB cap*'));
});

test('Lru: bounded by entries and by cost, least recently used evicted first, a value over the budget not kept', () => {
  const lru = new Lru<string, string>(3, 10, (v) => v.length);
  lru.set('a', 'xx');
  lru.set('b', 'xx');
  lru.set('c', 'xx');
  assert.equal(lru.get('a'), 'xx'); // a is now the most recent
  lru.set('d', 'xx'); // over 3 entries: b goes
  assert.deepEqual([lru.get('b'), lru.size, lru.cost], [undefined, 3, 6]);
  lru.set('e', 'xxxxxx'); // 4 entries, cost 12: c goes, which leaves 3 entries at cost 10
  assert.deepEqual([lru.get('c'), lru.get('a'), lru.get('d'), lru.get('e')], [undefined, 'xx', 'xx', 'xxxxxx']);
  assert.equal(lru.cost, 10);
  lru.set('big', 'x'.repeat(11));
  assert.deepEqual([lru.get('big'), lru.cost], [undefined, 10]);
  lru.set('f', 'x'); // cost 11: a (least recent) goes
  assert.deepEqual([lru.get('a'), lru.size, lru.cost], [undefined, 3, 9]);
  lru.set('d', 'x'); // replacing re-costs
  assert.equal(lru.cost, 8);
  lru.clear();
  assert.deepEqual([lru.size, lru.cost], [0, 0]);
});
