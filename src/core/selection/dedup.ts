// Exact and near duplicates (SimHash Hamming distance ≤ bits, LSH banding), as union-find clusters.
import type { Pool } from '../features/types';
import { popcount32 } from '../features/text';
import type { Duplicates } from './types';

class UnionFind {
  readonly parent: Int32Array;
  constructor(n: number) {
    this.parent = Int32Array.from({ length: n }, (_, i) => i);
  }
  find(x: number): number {
    let r = x;
    while (this.parent[r] !== r) r = this.parent[r];
    while (this.parent[x] !== r) {
      const nx = this.parent[x];
      this.parent[x] = r;
      x = nx;
    }
    return r;
  }
  /** Union keeping the smaller index as the root; true if they were apart. */
  union(a: number, b: number): boolean {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra === rb) return false;
    if (ra < rb) this.parent[rb] = ra;
    else this.parent[ra] = rb;
    return true;
  }
}

/** Bits [start, start+len) of the 64-bit hash (hi word first) as a number. */
function band(h: Uint32Array, i: number, start: number, len: number): number {
  let v = 0;
  for (let b = start; b < start + len; b++) {
    const word = b < 32 ? h[2 * i] : h[2 * i + 1];
    const bit = (word >>> (31 - (b % 32))) & 1;
    v = v * 2 + bit;
  }
  return v;
}

/** Buckets larger than this hold degenerate texts (exact dedup covers them): their pairs are not compared. */
const GIANT_BUCKET = 2000;

/**
 * Exact duplicates (the same 64-bit exact hash) and near duplicates (SimHash within `nearBits` bits) as
 * union-find clusters; each sample's representative is its cluster's smallest index, so the result does
 * not depend on the order in which pairs are found. Near pairs come from LSH banding: by pigeonhole two
 * hashes within nearBits bits agree exactly on one of nearBits + 1 bands, and only the members of a band's
 * bucket are compared, pair by pair (a 665,000-row pool compares ≈ 2.6 × 10⁸ pairs): the buckets are
 * counting-sorted index arrays and each bucket's hashes are copied side by side before its pairs are
 * compared, so the inner loop reads two typed arrays and nothing else. They are Int32Arrays (the same
 * bits): a Uint32Array hands a word above 2³¹ to JavaScript as a heap number, which made the loop ≈ 4×
 * slower.
 */
export function findDuplicates(pool: Pool, nearBits: number): Duplicates {
  const n = pool.n;
  const uf = new UnionFind(n);
  let exactPairs = 0;
  let nearPairs = 0;
  const first = new Map<number, number>(); // exact hash's first word → first sample with it
  const more = new Map<string, number>(); // full key → first sample, for first words that collide
  for (let i = 0; i < n; i++) {
    const a = pool.exactHash[2 * i];
    const b = pool.exactHash[2 * i + 1];
    let j = first.get(a);
    if (j === undefined) first.set(a, i);
    else if (pool.exactHash[2 * j + 1] !== b) {
      const key = `${a}:${b}`;
      j = more.get(key);
      if (j === undefined) more.set(key, i);
    }
    if (j !== undefined && uf.union(j, i)) exactPairs++;
  }
  if (nearBits >= 0) {
    const h = pool.simHash;
    const bands = nearBits + 1;
    const len = Math.floor(64 / bands);
    const bucketOf = new Int32Array(n);
    const order = new Int32Array(n);
    const hi = new Int32Array(GIANT_BUCKET);
    const lo = new Int32Array(GIANT_BUCKET);
    for (let b = 0; b < bands; b++) {
      const start = b * len;
      const width = b === bands - 1 ? 64 - start : len;
      // Bucket ids in order of first appearance, then the samples grouped by bucket (a counting sort).
      const ids = new Map<number, number>();
      for (let i = 0; i < n; i++) {
        const v = band(h, i, start, width);
        let id = ids.get(v);
        if (id === undefined) ids.set(v, (id = ids.size));
        bucketOf[i] = id;
      }
      const at = new Int32Array(ids.size + 1);
      for (let i = 0; i < n; i++) at[bucketOf[i] + 1]++;
      for (let k = 0; k < ids.size; k++) at[k + 1] += at[k];
      const fill = at.slice(0, ids.size);
      for (let i = 0; i < n; i++) order[fill[bucketOf[i]]++] = i;
      for (let k = 0; k < ids.size; k++) {
        const s = at[k];
        const size = at[k + 1] - s;
        if (size < 2 || size > GIANT_BUCKET) continue;
        for (let x = 0; x < size; x++) {
          hi[x] = h[2 * order[s + x]];
          lo[x] = h[2 * order[s + x] + 1];
        }
        for (let x = 0; x < size; x++) {
          const a = hi[x];
          const c = lo[x];
          for (let y = x + 1; y < size; y++)
            if (popcount32(a ^ hi[y]) + popcount32(c ^ lo[y]) <= nearBits && uf.union(order[s + x], order[s + y])) nearPairs++;
        }
      }
    }
  }
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) rep[i] = uf.find(i);
  return { rep, exactPairs, nearPairs };
}
