// A set of 32-bit unsigned integers in typed arrays (open addressing, linear probing, grown at half full)
// that numbers its members 0, 1, 2, … in order of first appearance. A JavaScript Set or Map keyed by such
// values boxes every value of 2³⁰ or more (most 32-bit hashes) as a heap number; building a
// 665,000-sample pool spent about a second in those lookups, naming its capabilities another. clear() is
// O(1): a slot belongs to the set only when its stamp is the current epoch.
export class Uint32Set {
  private keys: Uint32Array;
  private ids: Int32Array;
  private stamp: Uint32Array;
  private epoch = 1;
  private mask: number;
  size = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < 2 * capacity) cap *= 2;
    this.keys = new Uint32Array(cap);
    this.ids = new Int32Array(cap);
    this.stamp = new Uint32Array(cap);
    this.mask = cap - 1;
  }

  /** x's number (taken as uint32), given on its first appearance: then it is the set's size before. */
  id(x: number): number {
    x >>>= 0;
    const i = this.slot(x);
    if (this.stamp[i] === this.epoch) return this.ids[i];
    this.keys[i] = x;
    this.stamp[i] = this.epoch;
    const id = this.size++;
    this.ids[i] = id;
    if (this.size * 2 > this.keys.length) this.grow();
    return id;
  }

  /** Adds x; true when it was not in the set. */
  add(x: number): boolean {
    const before = this.size;
    return this.id(x) === before;
  }

  has(x: number): boolean {
    return this.stamp[this.slot(x >>> 0)] === this.epoch;
  }

  /** The slot that holds x, or else the free slot where x would go (linear probing from its hash). */
  private slot(x: number): number {
    const { keys, stamp, epoch, mask } = this;
    for (let s = Math.imul(x, 0x9e3779b1) >>> 0; ; s++) {
      const i = s & mask;
      if (stamp[i] !== epoch || keys[i] === x) return i;
    }
  }

  /** Empties the set in O(1); numbering starts again at 0. */
  clear(): void {
    this.size = 0;
    if (this.epoch === 0xffffffff) {
      this.stamp.fill(0);
      this.epoch = 0;
    }
    this.epoch++;
  }

  /** Twice the slots, every member re-placed with its number. */
  private grow(): void {
    const { keys, ids, stamp, epoch } = this;
    const cap = keys.length * 2;
    this.keys = new Uint32Array(cap);
    this.ids = new Int32Array(cap);
    this.stamp = new Uint32Array(cap);
    this.mask = cap - 1;
    this.epoch = 1;
    for (let i = 0; i < keys.length; i++) {
      if (stamp[i] !== epoch) continue;
      const j = this.slot(keys[i]);
      this.keys[j] = keys[i];
      this.ids[j] = ids[i];
      this.stamp[j] = 1;
    }
  }
}
