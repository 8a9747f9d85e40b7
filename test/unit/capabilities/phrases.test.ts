import { test } from 'node:test';
import assert from 'node:assert/strict';
import { extendPhrase, PHRASE, phraseSample, wordRuns } from '../../../src/core/influence/phrases';
import { describeCapabilities, nameTerms } from '../../../src/core/influence/attribute';
import { termId } from '../../../src/core/features/pool';
import { tinyPool } from '../helpers';

const content = (w: string) => !['the', 'is', 'in', 'with', 'of', 'a', 'what', 'on'].includes(w);

test('word runs: lower-cased words, broken at punctuation, not at whitespace', () => {
  assert.deepEqual(wordRuns('Is the person inside the RED bounding box?  Answer:\nyes'), [
    ['is', 'the', 'person', 'inside', 'the', 'red', 'bounding', 'box'],
    ['answer'],
    ['yes'],
  ]);
  assert.deepEqual(wordRuns("When the information is insufficient, respond with 'Unanswerable'."), [
    ['when', 'the', 'information', 'is', 'insufficient'],
    ['respond', 'with'],
    ['unanswerable'],
  ]);
  assert.deepEqual(wordRuns(''), []);
});

test('a term grows into the phrase most of its texts hold, one neighbour at a time, at most three words', () => {
  const texts = [
    'Is the man inside the red bounding box tall?',
    'Is the red bounding box around a dog?',
    'What is in the red bounding box?',
    'Who is inside the red bounding box?',
    'Is the red bounding box empty?',
    'Is a blue bounding box drawn?',
  ];
  // "bounding box" in 6 of 6; "red bounding box" in 5 of those 6 (≥ half); then "the" is not a content word.
  assert.equal(extendPhrase('bounding', texts, content), 'red bounding box');
  assert.equal(extendPhrase('box', texts, content), 'red bounding box');
  // Four words are never reached: "dining table chair leg" stops at three.
  const long = Array.from({ length: 6 }, () => 'Is the dining table chair leg broken?');
  assert.equal(extendPhrase('dining', long, content).split(' ').length, PHRASE.maxWords);
});

test('no phrase below half of the texts, below the minimum count, or through a word that names nothing', () => {
  const half = [
    ...Array.from({ length: 5 }, () => 'count the cars in the street'),
    ...Array.from({ length: 6 }, (_, i) => `count people ${['here', 'there', 'now', 'today', 'again', 'twice'][i]}`),
  ];
  // "count people" in 6 of 11 (more than half) wins over "count the" (a stop word).
  assert.equal(extendPhrase('count', half, content), 'count people');
  const under = [...half, 'count sheep', 'count birds'];
  assert.equal(extendPhrase('count', under, content), 'count', '"count people" in 6 of 13, under half');
  const few = Array.from({ length: PHRASE.minTexts - 1 }, () => 'a fire hydrant on the street');
  assert.equal(extendPhrase('hydrant', few, content), 'hydrant', 'too few texts to call it a phrase');
  assert.equal(extendPhrase('hydrant', [...few, ...few], content), 'fire hydrant');
  const only = Array.from({ length: 8 }, () => 'what is in the image');
  assert.equal(extendPhrase('image', only, content), 'image', 'its neighbours are all stop words');
  assert.equal(extendPhrase('absent', only, content), 'absent');
});

test('ties: the right neighbour before the left', () => {
  // "light" has "traffic" on its left in 5 texts and "pole" on its right in 5 others: right first,
  // and no text holds "traffic light pole".
  const texts = [...Array.from({ length: 5 }, () => 'a traffic light'), ...Array.from({ length: 5 }, () => 'the light pole')];
  assert.equal(extendPhrase('light', texts, content), 'light pole');
  assert.equal(extendPhrase('light', [...texts].reverse(), content), 'light pole', 'whatever the order of the texts');
});

test('name terms: two terms or phrases, at most three words, no word twice; the rest for clashes', () => {
  const phrase = new Map([
    ['bounding', 'red bounding box'],
    ['dining', 'dining table'],
    ['box', 'red bounding box'],
    ['ocr', 'reference ocr token'],
  ]);
  const of = (t: string) => phrase.get(t) ?? t;
  assert.deepEqual(nameTerms(['dining', 'bounding', 'person', 'car'], of), { head: 'dining table', rest: ['bounding', 'person', 'car'] });
  assert.deepEqual(nameTerms(['ocr', 'token', 'reference', 'front'], of), { head: 'reference ocr token', rest: ['front'] });
  assert.deepEqual(nameTerms(['bounding', 'inside', 'box', 'red'], of), { head: 'red bounding box', rest: ['inside'] });
  assert.deepEqual(nameTerms(['car', 'dining', 'table'], of), { head: 'car dining table', rest: [] });
  assert.deepEqual(nameTerms(['right', 'look', 'see']), { head: 'right look', rest: ['see'] });
  assert.deepEqual(nameTerms([]), { head: '', rest: [] });
});

test('phrase sample: members holding each term, spread over them in pool order', () => {
  const n = 100;
  const pool = tinyPool(n);
  const ids: number[] = [];
  const ptr = [0];
  for (let i = 0; i < n; i++) {
    ids.push(termId(i % 2 === 0 ? 'even' : 'odd'));
    if (i < 10) ids.push(termId('early'));
    ptr.push(ids.length);
  }
  pool.termIds = Uint32Array.from(ids);
  pool.termPtr = Int32Array.from(ptr);
  const members = Array.from({ length: n }, (_, i) => i);
  const s = phraseSample(pool, members, ['even', 'early', 'none']);
  const even = s.get('even')!;
  assert.equal(even.length, PHRASE.textsPerTerm);
  assert.ok(even.every((i) => i % 2 === 0));
  assert.ok(even[0] < 10 && even[even.length - 1] > 90, `spread over the pool: ${even.join(',')}`);
  assert.deepEqual(s.get('early'), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual(s.get('none'), []);
  assert.deepEqual(phraseSample(pool, [1, 3], ['even']).get('even'), [], 'only the given members');
});

test('names show the phrases found in the instructions the reader returns; without a reader, single words', async () => {
  const rows = [
    ...Array.from({ length: 12 }, (_, i) => `Is the ${['man', 'dog', 'cat'][i % 3]} inside the red bounding box?`),
    ...Array.from({ length: 12 }, (_, i) => `What is on the dining table number ${i}?`),
  ];
  const n = rows.length;
  const pool = tinyPool(n);
  const ids: number[] = [];
  const ptr = [0];
  const termOf = new Map<number, string>();
  for (const r of rows) {
    const seen = new Set<string>();
    for (const t of r.toLowerCase().match(/[a-z]+/g)!)
      if (!['is', 'the', 'what', 'on'].includes(t) && !seen.has(t)) {
        seen.add(t);
        ids.push(termId(t));
        termOf.set(termId(t), t);
      }
    ptr.push(ids.length);
  }
  Object.assign(pool, { termIds: Uint32Array.from(ids), termPtr: Int32Array.from(ptr), termOf });
  const make = () => {
    const caps = [0, 1].map((index) => ({ index, name: '', groups: [index], size: 0, terms: [], labels: [], styles: [] }));
    const model = {
      K: 2,
      probe: {
        source: 'clusters',
        names: ['g0', 'g1'],
        of: Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : 1)),
        sizes: new Int32Array(2),
      },
      capabilities: caps,
    } as never;
    const attribution = {
      K: 2,
      hard: Int32Array.from({ length: n }, (_, i) => (i < 12 ? 0 : 1)),
      influence: new Float32Array(2 * n),
    } as never;
    return { caps, model, attribution };
  };
  const asked: number[][] = [];
  const read = async (samples: number[]) => {
    asked.push(samples);
    return new Map(samples.map((i) => [i, rows[i]]));
  };
  const a = make();
  await describeCapabilities(pool, a.model, a.attribution, read);
  assert.equal(asked.length, 1, 'one read for all classes');
  assert.ok(
    asked[0].every((i, r) => r === 0 || asked[0][r - 1] < i),
    'in pool order',
  );
  assert.match(a.caps[0].name, /^red bounding box · /);
  assert.match(a.caps[1].name, /^dining table(?: number)? · |^number dining table · /);
  const b = make();
  await describeCapabilities(pool, b.model, b.attribution);
  assert.ok(!b.caps[0].name.startsWith('red bounding box'), b.caps[0].name);
  assert.equal(b.caps[0].name.split(' · ')[0].split(' ').length, 2, `two single words: ${b.caps[0].name}`);
});
