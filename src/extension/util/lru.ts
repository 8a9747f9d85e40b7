// A least-recently-used cache bounded by entries and by a cost (bytes): what the editor keeps of the
// samples it showed (thumbnails), so a second hover answers at once and memory stays bounded.

export class Lru<K, V> {
  private readonly map = new Map<K, { value: V; cost: number }>();
  private total = 0;

  constructor(
    private readonly maxEntries: number,
    private readonly maxCost: number,
    private readonly costOf: (v: V) => number = () => 0,
  ) {}

  get size(): number {
    return this.map.size;
  }

  /** The summed cost of the entries held. */
  get cost(): number {
    return this.total;
  }

  get(key: K): V | undefined {
    const e = this.map.get(key);
    if (!e) return undefined;
    // Most recently used last: Map keeps insertion order.
    this.map.delete(key);
    this.map.set(key, e);
    return e.value;
  }

  /** Stores a value (one costlier than the whole budget is not kept) and evicts the least recently used over the bounds. */
  set(key: K, value: V): void {
    this.delete(key);
    const cost = this.costOf(value);
    if (cost > this.maxCost) return;
    this.map.set(key, { value, cost });
    this.total += cost;
    for (const [k, e] of this.map) {
      if (this.map.size <= this.maxEntries && this.total <= this.maxCost) break;
      this.map.delete(k);
      this.total -= e.cost;
    }
  }

  delete(key: K): void {
    const e = this.map.get(key);
    if (!e) return;
    this.map.delete(key);
    this.total -= e.cost;
  }

  clear(): void {
    this.map.clear();
    this.total = 0;
  }
}
