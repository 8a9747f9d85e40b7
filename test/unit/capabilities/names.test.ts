import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CODE_LIKE_LABEL, describeCapabilities, distinctiveTerms, labelDistinguishes } from '../../../src/core/influence/attribute';
import { exampleText } from '../../../src/core/influence/examples';
import { tinyPool } from '../helpers';
import { termId } from '../../../src/core/features/pool';

/** A pool whose samples carry the given terms (as the pool's unigram term ids). */
function withTerms(rows: string[][]) {
  const pool = tinyPool(rows.length);
  const ids = new Map<string, number>();
  const termIds: number[] = [];
  const termPtr = [0];
  for (const r of rows) {
    for (const t of r) {
      if (!ids.has(t)) ids.set(t, termId(t));
      termIds.push(ids.get(t)!);
    }
    termPtr.push(termIds.length);
  }
  pool.termOf = new Map([...ids].map(([t, id]) => [id, t]));
  pool.termIds = Uint32Array.from(termIds);
  pool.termPtr = Int32Array.from(termPtr);
  return pool;
}

test('distinctive terms: frequent in the class and rare in the others; words every class shares drop out', () => {
  const rows = [
    ...Array.from({ length: 10 }, () => ['image', 'color', 'shirt']),
    ...Array.from({ length: 10 }, () => ['image', 'count', 'people']),
  ];
  const pool = withTerms(rows);
  const classOf = Int32Array.from(rows, (_, i) => (i < 10 ? 0 : 1));
  const terms = distinctiveTerms(pool, classOf, 2);
  assert.deepEqual(terms[0], ['color', 'shirt']);
  assert.deepEqual(terms[1], ['count', 'people']);
});

test('a term that tells its class apart from each other class comes first: a template two classes share names neither', () => {
  // "answer single" is in every sample of classes 0 and 1 and in none of class 2: against the union of
  // the others it is twice as frequent in class 0 (and outscores "dining", in 2 of its 20 samples), but
  // against class 1 alone it is no more frequent. It still follows, so a class keeps terms.
  const rows = [
    ...Array.from({ length: 20 }, (_, i) => (i < 2 ? ['answer', 'single', 'dining'] : ['answer', 'single'])),
    ...Array.from({ length: 20 }, (_, i) => (i < 2 ? ['answer', 'single', 'count'] : ['answer', 'single'])),
    ...Array.from({ length: 20 }, () => ['choose', 'option']),
  ];
  const classOf = Int32Array.from(rows, (_, i) => Math.floor(i / 20));
  const terms = distinctiveTerms(withTerms(rows), classOf, 3);
  assert.deepEqual(terms[0], ['dining', 'answer', 'single']);
  assert.deepEqual(terms[1], ['count', 'answer', 'single']);
  assert.deepEqual(terms[2], ['choose', 'option']);
  // 95% vs 65% of 100 samples each: 0.93 vs 0.68 after smoothing towards the scope's 80%, a lift of
  // 1.37, below 1.5: "chart" outscores "value" (5 samples, only here) but follows it.
  const rows3 = [
    ...Array.from({ length: 100 }, (_, i) => (i < 5 ? ['chart', 'value'] : i < 95 ? ['chart'] : ['other'])),
    ...Array.from({ length: 100 }, (_, i) => (i < 65 ? ['chart', 'photo'] : ['photo'])),
  ];
  assert.deepEqual(
    distinctiveTerms(
      withTerms(rows3),
      Int32Array.from(rows3, (_, i) => Math.floor(i / 100)),
      2,
    )[0],
    ['value', 'chart'],
  );
  // 85% of one class of 1,000 against 10% of another counts, and a class of 3 samples that all hold it
  // cannot veto it: its share is pulled towards the scope's 48% (0.54 against the first class's 0.84),
  // where with plain smoothing (3.5 / 4) it would be the larger and "value" would come first.
  const rows2 = [
    ...Array.from({ length: 1000 }, (_, i) => (i < 250 ? ['chart', 'value'] : i < 850 ? ['chart'] : ['other'])),
    ...Array.from({ length: 1000 }, (_, i) => (i < 100 ? ['chart', 'photo'] : ['photo'])),
    ...Array.from({ length: 3 }, () => ['chart', 'odd']),
  ];
  const terms2 = distinctiveTerms(
    withTerms(rows2),
    Int32Array.from(rows2, (_, i) => Math.min(2, Math.floor(i / 1000))),
    3,
  );
  assert.deepEqual(terms2[0], ['chart', 'value']);
});

test('label codes never name a capability; names are unique; three distinct examples, most influential first', async () => {
  assert.ok(CODE_LIKE_LABEL.test('a,b,d') && CODE_LIKE_LABEL.test('b') && CODE_LIKE_LABEL.test('a, c'));
  assert.ok(!CODE_LIKE_LABEL.test('gqa') && !CODE_LIKE_LABEL.test('scene') && !CODE_LIKE_LABEL.test('code_reasoning'));
  const n = 30;
  // Three capabilities with the same terms (so names clash), labels "a,b,d" (a code) and "gqa".
  const pool = withTerms(Array.from({ length: n }, (_, i) => (i < 20 ? ['photo', 'what', `t${i % 3}`] : ['chart', 'value'])));
  pool.labels = {
    ability: { values: ['a,b,d', 'c'], codes: Int32Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1)) },
    source: { values: ['gqa', 'mme'], codes: Int32Array.from({ length: n }, (_, i) => (i < 10 ? 0 : 1)) },
  };
  const hard = Int32Array.from({ length: n }, (_, i) => (i < 10 ? 0 : i < 20 ? 1 : 2));
  const influence = Float32Array.from({ length: 3 * n }, (_, k) => (Math.floor(k / 3) % 10) / 10);
  const caps = [0, 1, 2].map((index) => ({ index, name: '', groups: [index], size: 0, terms: [], labels: [], styles: [] }));
  const model = {
    K: 3,
    probe: { source: 'clusters', names: ['g0', 'g1', 'g2'], of: Int32Array.from({ length: n }, (_, i) => i % 5), sizes: new Int32Array(5) },
    capabilities: caps,
  } as never;
  await describeCapabilities(pool, model, { K: 3, hard, influence } as never);
  const names = caps.map((c: { name: string }) => c.name);
  assert.equal(new Set(names).size, 3, names.join(' | '));
  for (const name of names) assert.ok(!name.includes('a,b,d'), name);
  assert.ok(names[0].includes('gqa'), `an informative label names it: ${names[0]}`);
  // Lifts against the pool: "gqa" is a third of the pool and all of c1 (lift 3); "mme" is two thirds
  // of the pool and all of c2 and c3 (lift 1.5).
  const labels = (caps as unknown as { labels: { field: string; value: string; share: number; lift: number }[] }[]).map((c) => c.labels);
  assert.deepEqual(labels[0], [
    { field: 'ability', value: 'a,b,d', share: 1, lift: 3 },
    { field: 'source', value: 'gqa', share: 1, lift: 3 },
  ]);
  assert.deepEqual(labels[1][1], { field: 'source', value: 'mme', share: 1, lift: 1.5 });
  assert.deepEqual(
    labels[0].filter((l) => labelDistinguishes(l)).map((l) => l.value),
    ['gqa'],
    'a code is never shown',
  );
  const ex = (caps[0] as unknown as { examples: number[] }).examples;
  assert.equal(ex.length, 3);
  assert.equal(ex[0], 9, 'the most influential member first');
  assert.equal(new Set(ex).size, 3);
});

test('a sub-capability is never named as its parent; a clash takes the next term among the terms', async () => {
  // Capability 0 (20 samples): 12 about "dog photo" (8 of them "grass" too), 8 about "cat run";
  // capability 1: "chart value". The parent is "dog photo · …", and so would its larger child be.
  const rows = [
    ...Array.from({ length: 12 }, (_, i) => (i < 8 ? ['dog', 'photo', 'grass'] : ['dog', 'photo'])),
    ...Array.from({ length: 8 }, () => ['cat', 'run']),
    ...Array.from({ length: 10 }, () => ['chart', 'value']),
  ];
  const n = rows.length;
  const pool = withTerms(rows);
  const hard = Int32Array.from({ length: n }, (_, i) => (i < 20 ? 0 : 1));
  const child = Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : i < 20 ? 1 : 0));
  const kids = [0, 1].map((index) => ({ index, name: '', groups: [index], anchor: new Float32Array(0), size: 0, terms: [], examples: [] }));
  const caps = [0, 1].map((index) => ({
    index,
    name: '',
    groups: [index],
    size: 0,
    terms: [],
    labels: [],
    styles: [],
    ...(index === 0 ? { children: kids } : {}),
  }));
  const model = {
    K: 2,
    probe: {
      source: 'clusters',
      names: ['g0', 'g1', 'g2'],
      of: Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : i < 20 ? 1 : 2)),
      sizes: new Int32Array(3),
    },
    capabilities: caps,
  } as never;
  await describeCapabilities(pool, model, { K: 2, hard, child, influence: new Float32Array(2 * n) } as never);
  const parent = (caps[0] as { name: string }).name;
  assert.match(parent, /^dog photo · /);
  const names = kids.map((k: { name: string }) => k.name);
  assert.ok(!names.includes(parent), `${names.join(' | ')} vs ${parent}`);
  assert.match(names[0], /^dog photo grass · /, 'the next distinctive term, before the style');
  assert.match(names[1], /^cat run · /);
});

test('a card shows a label value only when it tells the capability apart', () => {
  assert.ok(labelDistinguishes({ value: 'gqa', share: 0.3, lift: 2 }));
  assert.ok(!labelDistinguishes({ value: 'gqa', share: 0.3, lift: 1.2 }), 'as common here as in the pool');
  assert.ok(!labelDistinguishes({ value: 'gqa', share: 0.04, lift: 9 }), 'a sliver of the capability');
  assert.ok(labelDistinguishes({ value: 'gqa', share: 0.05, lift: 1.5 }), 'the thresholds are inclusive');
  assert.ok(!labelDistinguishes({ value: 'a,b,d', share: 0.5, lift: 3 }), 'a code');
  assert.ok(!labelDistinguishes({ value: ' default ', share: 0.5, lift: 3 }), 'a placeholder');
  assert.ok(labelDistinguishes({ value: 'gqa', share: 0.3 }), 'a manifest without lifts: share and wording only');
  assert.ok(!labelDistinguishes({ value: 'gqa', share: 0.1, lift: 2 }, 0.2), 'a name asks for more share');
});

test('example text: <image> out, whitespace collapsed, at most 200 characters', () => {
  assert.equal(exampleText('<image>\nWhat   is\tthis?'), 'What is this?');
  const long = exampleText('word '.repeat(100));
  assert.equal(long.length, 200);
  assert.ok(long.endsWith('…'));
});
