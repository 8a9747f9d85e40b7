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

export function hamming64(h: Uint32Array, i: number, j: number): number {
  return popcount32(h[2 * i] ^ h[2 * j]) + popcount32(h[2 * i + 1] ^ h[2 * j + 1]);
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

export function findDuplicates(pool: Pool, nearBits: number): Duplicates {
  const n = pool.n;
  const uf = new UnionFind(n);
  let exactPairs = 0;
  let nearPairs = 0;
  const exact = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const key = `${pool.exactHash[2 * i]}:${pool.exactHash[2 * i + 1]}`;
    const j = exact.get(key);
    if (j === undefined) exact.set(key, i);
    else if (uf.union(j, i)) exactPairs++;
  }
  if (nearBits >= 0) {
    // Pigeonhole: two hashes within `nearBits` bits agree exactly on at least one of nearBits+1 bands.
    const bands = nearBits + 1;
    const len = Math.floor(64 / bands);
    for (let b = 0; b < bands; b++) {
      const start = b * len;
      const width = b === bands - 1 ? 64 - start : len;
      const buckets = new Map<number, number[]>();
      for (let i = 0; i < n; i++) {
        const v = band(pool.simHash, i, start, width);
        const list = buckets.get(v);
        if (list) list.push(i);
        else buckets.set(v, [i]);
      }
      for (const list of buckets.values()) {
        if (list.length < 2 || list.length > 2000) continue; // giant buckets are degenerate texts; exact dedup covers them
        for (let x = 0; x < list.length; x++)
          for (let y = x + 1; y < list.length; y++)
            if (hamming64(pool.simHash, list[x], list[y]) <= nearBits && uf.union(list[x], list[y])) nearPairs++;
      }
    }
  }
  const rep = new Int32Array(n);
  for (let i = 0; i < n; i++) rep[i] = uf.find(i);
  return { rep, exactPairs, nearPairs };
}
