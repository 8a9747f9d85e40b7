// A set of 32-bit unsigned integers in typed arrays (open addressing, linear probing, grown at half full).
// A JavaScript Set or Map keyed by such values boxes every value of 2³⁰ or more (most 32-bit hashes) as a
// heap number; building a 665,000-sample pool spent about a second in those lookups. clear() is O(1): a
// slot belongs to the set only when its stamp is the current epoch.
export class Uint32Set {
  private keys: Uint32Array;
  private stamp: Uint32Array;
  private epoch = 1;
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < 2 * capacity) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.stamp = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** Adds x (taken as uint32); true when it was not in the set. */
  add(x: number): boolean {
    x >>>= 0;
    const { keys, stamp, epoch, mask } = this;
    for (let s = Math.imul(x, 0x9e3779b1) >>> 0; ; s++) {
      const i = s & mask;
      if (stamp[i] !== epoch) {
        keys[i] = x;
        stamp[i] = epoch;
        if (++this.size * 2 > keys.length) this.grow();
        return true;
      }
      if (keys[i] === x) return false;
    }
  }

  has(x: number): boolean {
    x >>>= 0;
    const { keys, stamp, epoch, mask } = this;
    for (let s = Math.imul(x, 0x9e3779b1) >>> 0; ; s++) {
      const i = s & mask;
      if (stamp[i] !== epoch) return false;
      if (keys[i] === x) return true;
    }
  }

  /** Empties the set in O(1). */
  clear(): void {
    this.size = 0;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    this.epoch++;
  }

  private grow(): void {
    const { keys, stamp, epoch } = this;
    this.keys = new Uint32Array(keys.length * 2);
    this.stamp = new Uint32Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.epoch = 1;
    this.size = 0;
    for (let i = 0; i < keys.length; i++) if (stamp[i] === epoch) this.add(keys[i]);
  }
}
