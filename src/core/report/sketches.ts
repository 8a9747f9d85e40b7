// Bounded-memory sketches the quality report counts with: 53-bit string hashes (cyrb53), distinct
// counts exact up to a cap and HyperLogLog beyond, integer histograms with exact quantiles, and
// duplicate-question groups keyed by hash. No text is kept, only hashes and counts.
import type { DistinctCount, Distribution } from './types';

// ---------------------------------------------------------------------------------------------
// Hashing: cyrb53 (two 32-bit lanes), as one 53-bit number.

export function hash53(s: string, seed = 0): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < s.length; i++) {
    const ch = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/** Hash of an ordered pair of hashes (bigrams). */
export function pairHash(a: number, b: number): number {
  const lo = (a >>> 0) ^ Math.imul((b >>> 0) ^ 0x9e3779b9, 0x85ebca6b);
  const hiA = Math.floor(a / 4294967296);
  const hiB = Math.floor(b / 4294967296);
  let h1 = Math.imul(lo ^ (lo >>> 15), 0x2c1b3c6d) ^ hiB;
  let h2 = Math.imul(hiA ^ 0x27d4eb2f, 0x165667b1) ^ Math.imul(hiB + 0x61c88647, 0x9e3779b1) ^ (b >>> 0);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

// ---------------------------------------------------------------------------------------------
// Distinct counts

/** Distinct hashes kept exactly up to this many; beyond it the HyperLogLog estimate is used. */
export const EXACT_DISTINCT_CAP = 1 << 19;
const HLL_P = 14;
const HLL_M = 1 << HLL_P;

export class DistinctCounter {
  private set: Set<number> | null = new Set();
  /**
   * HyperLogLog registers, allocated only when the exact set overflows (then filled from it): a
   * counter that stays exact costs its set alone, so a report over many small label fields does not
   * pay 16 KB per field.
   */
  private registers: Uint8Array | null = null;

  constructor(private readonly cap = EXACT_DISTINCT_CAP) {}

  private static register(registers: Uint8Array, h: number): void {
    const lo = h >>> 0;
    const hi = Math.floor(h / 4294967296) & 0x1fffff;
    const idx = lo & (HLL_M - 1);
    const w = ((hi << 11) | (lo >>> 21)) >>> 0;
    const rank = w === 0 ? 33 : Math.clz32(w) + 1;
    if (rank > registers[idx]) registers[idx] = rank;
  }

  add(h: number): void {
    if (this.set) {
      this.set.add(h);
      if (this.set.size <= this.cap) return;
      const registers = new Uint8Array(HLL_M);
      for (const x of this.set) DistinctCounter.register(registers, x);
      this.registers = registers;
      this.set = null;
      return;
    }
    DistinctCounter.register(this.registers!, h);
  }

  get exact(): boolean {
    return this.set !== null;
  }

  count(): number {
    if (this.set) return this.set.size;
    const registers = this.registers!;
    let sum = 0;
    let zeros = 0;
    for (let i = 0; i < HLL_M; i++) {
      sum += 2 ** -registers[i];
      if (registers[i] === 0) zeros++;
    }
    const alpha = 0.7213 / (1 + 1.079 / HLL_M);
    const e = (alpha * HLL_M * HLL_M) / sum;
    if (e <= 2.5 * HLL_M && zeros > 0) return Math.round(HLL_M * Math.log(HLL_M / zeros));
    return Math.round(e);
  }

  result(): DistinctCount {
    return { distinct: this.count(), exact: this.exact };
  }
}

// ---------------------------------------------------------------------------------------------
// Integer distributions

export class IntHistogram {
  private readonly counts = new Map<number, number>();
  n = 0;
  sum = 0;
  max = 0;

  add(v: number): void {
    this.counts.set(v, (this.counts.get(v) ?? 0) + 1);
    this.n++;
    this.sum += v;
    if (v > this.max) this.max = v;
  }

  /** Nearest-rank quantile: the smallest v with at least ⌈q·n⌉ values ≤ v (0 when empty). */
  quantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.n));
    const keys = [...this.counts.keys()].sort((a, b) => a - b);
    let seen = 0;
    for (const k of keys) {
      seen += this.counts.get(k) ?? 0;
      if (seen >= rank) return k;
    }
    return keys[keys.length - 1];
  }

  countOf(v: number): number {
    return this.counts.get(v) ?? 0;
  }

  countAtLeast(v: number): number {
    let c = 0;
    for (const [k, n] of this.counts) if (k >= v) c += n;
    return c;
  }

  distribution(): Distribution {
    return { mean: this.n ? round(this.sum / this.n) : 0, median: this.quantile(0.5), p90: this.quantile(0.9), max: this.max };
  }
}

// ---------------------------------------------------------------------------------------------
// Duplicate questions

/** Groups samples by a key hash and remembers whether the group's answers agree. */
export class DuplicateGroups {
  private readonly slot = new Map<number, number>();
  private count = new Uint32Array(1024);
  private answer = new Float64Array(1024);
  private conflict = new Uint8Array(1024);

  add(key: number, answer: number): void {
    let s = this.slot.get(key);
    if (s === undefined) {
      s = this.slot.size;
      if (s >= this.count.length) this.grow();
      this.slot.set(key, s);
      this.answer[s] = answer;
    } else if (this.answer[s] !== answer) this.conflict[s] = 1;
    this.count[s]++;
  }

  private grow(): void {
    const n = this.count.length * 2;
    const c = new Uint32Array(n);
    c.set(this.count);
    const a = new Float64Array(n);
    a.set(this.answer);
    const f = new Uint8Array(n);
    f.set(this.conflict);
    this.count = c;
    this.answer = a;
    this.conflict = f;
  }

  result(): { groups: number; samples: number; conflictingGroups: number; conflictingSamples: number } {
    let groups = 0;
    let samples = 0;
    let conflictingGroups = 0;
    let conflictingSamples = 0;
    const n = this.slot.size;
    for (let s = 0; s < n; s++) {
      if (this.count[s] < 2) continue;
      groups++;
      samples += this.count[s];
      if (this.conflict[s]) {
        conflictingGroups++;
        conflictingSamples += this.count[s];
      }
    }
    return { groups, samples, conflictingGroups, conflictingSamples };
  }
}

/** A report figure rounded to 6 decimals. */
export function round(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
