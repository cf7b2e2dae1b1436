// A bounded map that forgets its least recently used entries and those idle past a time to live.

/** How old a use must be before a new use moves the entry to the young end. */
const REORDER_AFTER_MS = 1000;

export interface LruOptions<V> {
  readonly max: number;
  readonly idleTtlMs: number;
  readonly now: () => number;
  /** Called for each entry that leaves the map, to release what it holds. */
  readonly onEvict?: (key: string, value: V) => void;
}

interface Slot<V> {
  value: V;
  lastUsed: number;
}

export class Lru<V> {
  readonly #map = new Map<string, Slot<V>>();
  readonly #options: LruOptions<V>;
  evictions = 0;

  constructor(options: LruOptions<V>) {
    this.#options = options;
  }

  get size(): number {
    return this.#map.size;
  }

  /** The value for `key`, marked as just used; `make` builds it when missing. */
  getOrCreate(key: string, make: () => V): { value: V; created: boolean } {
    const now = this.#options.now();
    const found = this.get(key, now);
    if (found !== undefined) return { value: found, created: false };
    const value = make();
    this.add(key, value, now);
    return { value, created: true };
  }

  /** The value under `key`, marked as used at `now`; undefined when there is none. */
  get(key: string, now: number = this.#options.now()): V | undefined {
    const slot = this.#map.get(key);
    if (slot === undefined) return undefined;
    // Moving an entry to the young end costs a delete and an insert; an entry used within the last second
    // is young enough already, so the order is only approximately LRU, which is all eviction needs.
    if (now - slot.lastUsed >= REORDER_AFTER_MS) {
      this.#map.delete(key);
      this.#map.set(key, slot);
    }
    slot.lastUsed = now;
    return slot.value;
  }

  /** Adds `value` under a `key` that `get` did not find, first dropping idle entries, then the oldest past max. */
  add(key: string, value: V, now: number = this.#options.now()): void {
    this.sweep(now);
    this.#map.set(key, { value, lastUsed: now });
    while (this.#map.size > this.#options.max) this.#evictOldest();
  }

  peek(key: string): V | undefined {
    return this.#map.get(key)?.value;
  }

  /** Drops entries idle for longer than the time to live (the least recently used come first). */
  sweep(now = this.#options.now()): void {
    for (const [key, slot] of this.#map) {
      if (now - slot.lastUsed < this.#options.idleTtlMs) break;
      this.#map.delete(key);
      this.evictions++;
      this.#options.onEvict?.(key, slot.value);
    }
  }

  #evictOldest(): void {
    const first = this.#map.entries().next();
    if (first.done) return;
    const [key, slot] = first.value;
    this.#map.delete(key);
    this.evictions++;
    this.#options.onEvict?.(key, slot.value);
  }

  *entries(): IterableIterator<[string, V]> {
    for (const [k, s] of this.#map) yield [k, s.value];
  }

  clear(): void {
    for (const [key, slot] of this.#map) this.#options.onEvict?.(key, slot.value);
    this.#map.clear();
  }
}
