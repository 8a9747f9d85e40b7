// Text featurisation: tokens, hashed n-grams, SimHash for near-duplicates. Deterministic and
// allocation-light; hashing is FNV-1a (32-bit) with a seed.

const WORD = /[\p{L}\p{N}]+(?:['’][\p{L}]+)?/gu;
const OPTION = /(?:^|\s|\()([A-Ha-h])(?:[).:]|\s*\))(?=\s|$)/g;

/** Lower-cased word tokens; option markers such as "(a)", "B." become tokens "opt_a", "opt_b". */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  const lower = text.toLowerCase();
  for (const m of lower.matchAll(OPTION)) out.push(`opt_${m[1].toLowerCase()}`);
  for (const m of lower.matchAll(WORD)) out.push(m[0]);
  return out;
}

/** FNV-1a over the UTF-16 code units of a string, mixed with a seed. */
export function hash32(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // Final avalanche (murmur3 fmix) so nearby strings spread over buckets.
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Hashed unigram + bigram bucket ids in [0, buckets), de-duplicated, at most max (first seen kept). */
export function hashedNgrams(tokens: string[], buckets: number, max: number): number[] {
  const seen = new Set<number>();
  const out: number[] = [];
  const add = (s: string, seed: number) => {
    if (out.length >= max) return;
    const b = hash32(s, seed) % buckets;
    if (!seen.has(b)) {
      seen.add(b);
      out.push(b);
    }
  };
  for (const t of tokens) add(t, 1);
  for (let i = 0; i + 1 < tokens.length; i++) add(`${tokens[i]} ${tokens[i + 1]}`, 2);
  return out;
}

/** 64-bit SimHash over word 3-shingles (or the words themselves for short texts), as [hi, lo]. */
export function simHash64(tokens: string[]): [number, number] {
  const acc = new Int32Array(64);
  const shingles: string[] = [];
  if (tokens.length < 3) shingles.push(...tokens);
  else for (let i = 0; i + 2 < tokens.length; i++) shingles.push(`${tokens[i]} ${tokens[i + 1]} ${tokens[i + 2]}`);
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
