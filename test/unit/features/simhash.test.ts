// SimHash over word 3-shingles: the streaming implementation against the definition, on real text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { hash32, hashedNgrams, popcount32, simHash64, tokenize } from '../../../src/core/features/text';
import { FIXTURES } from '../helpers';

/** The definition: ±1 per shingle and bit of hash32("w1 w2 w3", 11) (low word) and (…, 23) (high word). */
function reference(tokens: string[]): [number, number] {
  const acc = new Int32Array(64);
  const shingles = tokens.length < 3 ? tokens : tokens.slice(0, -2).map((t, i) => `${t} ${tokens[i + 1]} ${tokens[i + 2]}`);
  for (const s of shingles) {
    const lo = hash32(s, 11);
    const hi = hash32(s, 23);
    for (let b = 0; b < 32; b++) {
      acc[b] += (lo >>> b) & 1 ? 1 : -1;
      acc[32 + b] += (hi >>> b) & 1 ? 1 : -1;
    }
  }
  let lo = 0;
  let hi = 0;
  for (let b = 0; b < 32; b++) {
    if (acc[b] > 0) lo |= 1 << b;
    if (acc[32 + b] > 0) hi |= 1 << b;
  }
  return [hi >>> 0, lo >>> 0];
}

test('simHash64 equals the definition on every sample of three real fixtures, and on short and empty texts', () => {
  let checked = 0;
  for (const file of ['llava-eval-pool/llava-eval-pool.jsonl', 'owleval/owleval.jsonl', 'vision-flan-205/vision-flan-205.jsonl']) {
    for (const line of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const turns = (JSON.parse(line) as { conversations: { value: string }[] }).conversations;
      const tokens = [
        ...tokenize(turns[0].value),
        '|',
        ...tokenize(
          turns
            .slice(1)
            .map((t) => t.value)
            .join(' '),
        ),
      ];
      assert.deepEqual(simHash64(tokens), reference(tokens), line.slice(0, 120));
      checked++;
    }
  }
  assert.ok(checked > 4000, String(checked));
  for (const tokens of [[], ['a'], ['yes', 'no'], ['naïve', 'café', '東京'], ['x', 'y', 'z']])
    assert.deepEqual(simHash64(tokens), reference(tokens));
  // Near-identical texts stay near, different texts far (what the near-duplicate test relies on).
  const a = simHash64(tokenize('What is the man on the left holding in his right hand while standing?'));
  const b = simHash64(tokenize('What is the man on the left holding in his right hand while sitting?'));
  const c = simHash64(tokenize('Describe the painting in detail, including its colours and style.'));
  const dist = (x: [number, number], y: [number, number]) => popcount32(x[0] ^ y[0]) + popcount32(x[1] ^ y[1]);
  assert.ok(dist(a, b) < dist(a, c), `${dist(a, b)} vs ${dist(a, c)}`);
});

/** The definition of hashedNgrams: hash32 of each word (seed 1), then of each "w1 w2" (seed 2), modulo buckets, first max distinct. */
function ngramsReference(tokens: string[], buckets: number, max: number): number[] {
  const out: number[] = [];
  for (const s of [...tokens.map((t) => [t, 1] as const), ...tokens.slice(0, -1).map((t, i) => [`${t} ${tokens[i + 1]}`, 2] as const)]) {
    const b = hash32(s[0], s[1]) % buckets;
    if (out.length < max && !out.includes(b)) out.push(b);
  }
  return out;
}

test('hashedNgrams equals its definition on every question of three real fixtures, truncated or not', () => {
  let checked = 0;
  for (const file of ['llava-eval-pool/llava-eval-pool.jsonl', 'owleval/owleval.jsonl', 'vision-flan-205/vision-flan-205.jsonl']) {
    for (const line of readFileSync(join(FIXTURES, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const tokens = tokenize((JSON.parse(line) as { conversations: { value: string }[] }).conversations[0].value);
      for (const [buckets, max] of [
        [1 << 16, 64],
        [97, 64],
        [1 << 16, 5],
      ])
        assert.deepEqual(hashedNgrams(tokens, buckets, max), ngramsReference(tokens, buckets, max), line.slice(0, 120));
      checked++;
    }
  }
  assert.ok(checked > 4000, String(checked));
  for (const tokens of [[], ['a'], ['a', 'a'], ['naïve', 'café', '東京']])
    assert.deepEqual(hashedNgrams(tokens, 1 << 16, 64), ngramsReference(tokens, 1 << 16, 64));
});

test('tokenize: option markers first, then every word match, on every turn of a real fixture', () => {
  const lines = readFileSync(join(FIXTURES, 'llava-eval-pool/llava-eval-pool.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim());
  for (const line of lines)
    for (const { value } of (JSON.parse(line) as { conversations: { value: string }[] }).conversations) {
      const lower = value.toLowerCase();
      const want = [
        ...[...lower.matchAll(/(?:^|\s|\()([A-Ha-h])(?:[).:]|\s*\))(?=\s|$)/g)].map((m) => `opt_${m[1]}`),
        ...[...lower.matchAll(/[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu)].map((m) => m[0]),
      ];
      assert.deepEqual(tokenize(value), want);
    }
  assert.deepEqual(tokenize('Which is it? (A) cat B. dog'), ['opt_a', 'opt_b', 'which', 'is', 'it', 'a', 'cat', 'b', 'dog']);
});
