// Seeded pseudo-random numbers (mulberry32 streams). Every random choice in the core draws from an
// Rng derived from the run's seed, so the same dataset + config + seed gives the same result.

/** mulberry32's increment per draw. */
const WEYL = 0x6d2b79f5;

/** mulberry32's output function of a state. */
function mix(state: number): number {
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (t ^ (t >>> 14)) >>> 0;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = (seed >>> 0) ^ 0x9e3779b9;
    // Warm up so nearby seeds diverge.
    for (let i = 0; i < 4; i++) this.nextU32();
  }

  /** Independent child stream named by a label, so adding draws in one stage does not shift another. */
  fork(label: string): Rng {
    let h = this.state ^ 0x85ebca6b;
    for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
    return new Rng(h >>> 0);
  }

  nextU32(): number {
    return mix((this.state = (this.state + WEYL) | 0));
  }

  /**
   * The draw `ahead` places on (0: the one nextU32 returns next), without drawing. mulberry32's state
   * is a Weyl sequence (a constant added per draw), so any draw of the stream is reached at once.
   */
  peekU32(ahead: number): number {
    return mix((this.state + Math.imul(ahead + 1, WEYL)) | 0);
  }

  /** Moves the stream on by `count` draws at once, as `count` calls of nextU32 would. */
  skip(count: number): void {
    this.state = (this.state + Math.imul(count, WEYL)) | 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T extends { length: number; [i: number]: unknown }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i];
      a[i] = a[j];
      a[j] = tmp;
    }
    return a;
  }

  /** k distinct indices from [0, n), in random order. */
  sample(n: number, k: number): Int32Array {
    const idx = new Int32Array(n);
    for (let i = 0; i < n; i++) idx[i] = i;
    const m = Math.min(k, n);
    for (let i = 0; i < m; i++) {
      const j = i + this.int(n - i);
      const tmp = idx[i];
      idx[i] = idx[j];
      idx[j] = tmp;
    }
    return idx.slice(0, m);
  }
}
