// Text featurisation: tokens, hashed n-grams, SimHash for near-duplicates. Deterministic and
// allocation-light; hashing is FNV-1a (32-bit) with a seed.

import { Uint32Set } from '../util/uint32Set';

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const OPTION = /(?:^|\s|\()([A-Ha-h])(?:[).:]|\s*\))(?=\s|$)/g;

/** Lower-cased word tokens; option markers such as "(a)", "B." become tokens "opt_a", "opt_b". */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const lower = text.toLowerCase();
  for (const m of lower.matchAll(OPTION)) out.push(`opt_${m[1].toLowerCase()}`);
  // The words as strings (match with /g), not a match object each (matchAll): the same tokens.
  const words = lower.match(WORD);
  if (words) for (const w of words) out.push(w);
  return out;
}

/** FNV-1a over the UTF-16 code units of a string, mixed with a seed. */
export function hash32(s: string, seed = 0): number {
  // Final avalanche (murmur3 fmix) so nearby strings spread over buckets.
  return fmix(fnvOn(fnvBasis(seed), s));
}

/**
 * Hashed unigram + bigram bucket ids in [0, buckets), de-duplicated, at most max (first seen kept). A
 * bigram's hash is hash32 of "w1 w2" with seed 2, computed as the words stream (no string is built: at
 * 665,000 samples that was some 20 million short-lived strings).
 */
export function hashedNgrams(tokens: string[], buckets: number, max: number): number[] {
  const seen = NGRAMS_SEEN;
  seen.clear();
  const out: number[] = [];
  const add = (h: number) => {
    const b = h % buckets;
    if (seen.add(b)) out.push(b);
  };
  const base2 = fnvBasis(2);
  for (let i = 0; i < tokens.length && out.length < max; i++) add(hash32(tokens[i], 1));
  for (let i = 0; i + 1 < tokens.length && out.length < max; i++) add(fmix(fnvOn(fnvStep(fnvOn(base2, tokens[i]), SPACE), tokens[i + 1])));
  return out;
}

/** hashedNgrams' bucket set, cleared on each call (it runs to completion: no caller can interleave). */
const NGRAMS_SEEN = new Uint32Set(256);

/** The murmur3 fmix finaliser of hash32. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The FNV-1a offset basis mixed with a seed: hash32's starting state. */
function fnvBasis(seed: number): number {
  return (0x811c9dc5 ^ seed) >>> 0;
}

/** FNV-1a state (no finaliser) after one code unit c, from state h. */
function fnvStep(h: number, c: number): number {
  return Math.imul(h ^ c, 0x01000193);
}

/** FNV-1a state (no finaliser) after the code units of `t`, from state h. */
function fnvOn(h: number, t: string): number {
  for (let i = 0; i < t.length; i++) h = fnvStep(h, t.charCodeAt(i));
  return h;
}

const SPACE = 32;

/** simHash64's bit counts, cleared on each call (it runs to completion: no caller can interleave). */
const ONES = new Int32Array(64);

/**
 * 64-bit SimHash over word 3-shingles (or the words themselves for short texts), as [hi, lo]: bit b is
 * set when more than half of the shingles' hashes (hash32 of "w1 w2 w3", seeds 11 and 23) have it. The
 * shingles are hashed as they stream, without building their strings, and only set bits are counted.
 */
export function simHash64(tokens: string[]): [number, number] {
  const ones = ONES.fill(0);
  let shingles = 0;
  const count = (lo: number, hi: number) => {
    shingles++;
    for (let x = lo; x !== 0; x &= x - 1) ones[31 - Math.clz32(x & -x)]++;
    for (let x = hi; x !== 0; x &= x - 1) ones[63 - Math.clz32(x & -x)]++;
  };
  const base11 = fnvBasis(11);
  const base23 = fnvBasis(23);
  if (tokens.length < 3) for (const t of tokens) count(hash32(t, 11), hash32(t, 23));
  else
    for (let i = 0; i + 2 < tokens.length; i++) {
      // hash32 of "w1 w2 w3" for both seeds, the state carried across the words and their spaces.
      let a = fnvOn(base11, tokens[i]);
      let b = fnvOn(base23, tokens[i]);
      a = fnvOn(fnvStep(a, SPACE), tokens[i + 1]);
      b = fnvOn(fnvStep(b, SPACE), tokens[i + 1]);
      a = fnvOn(fnvStep(a, SPACE), tokens[i + 2]);
      b = fnvOn(fnvStep(b, SPACE), tokens[i + 2]);
      count(fmix(a), fmix(b));
    }
  // Sum of ±1 over the shingles > 0  ⇔  2·ones > shingles.
  let lo = 0;
  let hi = 0;
  for (let b = 0; b < 32; b++) {
    if (2 * ones[b] > shingles) lo |= 1 << b;
    if (2 * ones[32 + b] > shingles) hi |= 1 << b;
  }
  return [hi >>> 0, lo >>> 0];
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Whitespace- and case-normalised text for exact-duplicate keys. */
export function normaliseForKey(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim();
}
