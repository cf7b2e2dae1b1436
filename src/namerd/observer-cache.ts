// A bounded cache of shared observations: values being watched stay shared, recently released ones stay warm for a while.

import { type Closable, type Observer, Var } from "../naming/index.ts";

export interface ObserverCacheOptions {
  /** Most entries being observed at once that the cache tracks; past it, new keys get an unshared Var. */
  readonly activeCapacity: number;
  /** Most entries kept warm (still observed by the cache itself) after their last observer left. */
  readonly inactiveCapacity: number;
  /** How long an entry is kept warm after its last observer left. */
  readonly inactiveTtlMs: number;
  /** Milliseconds, monotonic; passed in so tests can move time. */
  readonly now: () => number;
}

interface Entry<T> {
  readonly key: string;
  readonly source: Var<T>;
  /** The cache's own observation, which keeps the source's feed running while the entry is cached. */
  hold: Closable | undefined;
  observers: number;
  /** When its last observer left (for inactive entries). */
  releasedAt: number;
  /** Where it is: in the active map, the inactive list, or neither (evicted while still observed). */
  place: "active" | "inactive" | "gone";
}

/**
 * Shares one Var per key among everyone who asks, as namerd's ObserverCache does: an entry with observers is
 * active; when its last observer leaves it becomes inactive and stays warm (its feed running, so a client that
 * polls again gets the answer at once) until pushed out by newer inactive entries or idle past the TTL. Both
 * sets are bounded, so asking for many different keys cannot grow memory without limit: beyond the active
 * capacity, callers get an unshared Var that lives only as long as they observe it. Callers observe what they
 * get at once (a value nobody observes yet may make room for newer ones).
 */
export class ObserverCache<T> {
  readonly #options: ObserverCacheOptions;
  readonly #active = new Map<string, Entry<T>>();
  /** Oldest release first (a Map keeps insertion order). */
  readonly #inactive = new Map<string, Entry<T>>();
  /** Counters, for metrics and tests. */
  hits = 0;
  misses = 0;
  evictions = 0;
  /** Requests answered with an unshared Var because the active set was full. */
  overflows = 0;

  constructor(options: ObserverCacheOptions) {
    this.#options = options;
  }

  get activeSize(): number {
    return this.#active.size;
  }

  get inactiveSize(): number {
    return this.#inactive.size;
  }

  /** The shared Var for `key`, made by `make` when it is not cached. */
  get(key: string, make: () => Var<T>): Var<T> {
    this.#sweep();
    const found = this.#active.get(key) ?? this.#inactive.get(key);
    if (found !== undefined) {
      this.hits++;
      return this.#view(found);
    }
    this.misses++;
    if (this.#active.size >= this.#options.activeCapacity) {
      this.overflows++;
      return make();
    }
    const entry: Entry<T> = {
      key,
      source: make(),
      hold: undefined,
      observers: 0,
      releasedAt: this.#options.now(),
      place: "inactive",
    };
    entry.hold = entry.source.observe(() => {});
    this.#inactive.set(key, entry);
    // The new entry itself stays (it is about to be observed); older ones make room.
    this.#trimInactive(entry);
    return this.#view(entry);
  }

  /** Releases every entry's feed. */
  clear(): void {
    for (const e of [...this.#active.values(), ...this.#inactive.values()]) this.#drop(e);
    this.#active.clear();
    this.#inactive.clear();
  }

  #view(entry: Entry<T>): Var<T> {
    return new CachedVar(entry.source, {
      acquire: () => this.#acquire(entry),
      release: () => this.#release(entry),
    });
  }

  #acquire(entry: Entry<T>): void {
    entry.observers++;
    if (entry.observers !== 1 || entry.place !== "inactive") return;
    if (this.#active.size >= this.#options.activeCapacity) return;
    this.#inactive.delete(entry.key);
    this.#active.set(entry.key, entry);
    entry.place = "active";
  }

  #release(entry: Entry<T>): void {
    entry.observers--;
    if (entry.observers > 0) return;
    entry.releasedAt = this.#options.now();
    if (entry.place === "active") {
      this.#active.delete(entry.key);
      entry.place = "inactive";
      this.#inactive.set(entry.key, entry);
      this.#trimInactive();
    } else if (entry.place === "inactive") {
      // Released again: move it to the young end.
      this.#inactive.delete(entry.key);
      this.#inactive.set(entry.key, entry);
    }
  }

  #trimInactive(keep?: Entry<T>): void {
    for (const e of this.#inactive.values()) {
      if (this.#inactive.size <= this.#options.inactiveCapacity) return;
      if (e === keep) continue;
      this.#inactive.delete(e.key);
      this.#drop(e);
    }
  }

  #sweep(): void {
    const now = this.#options.now();
    for (const e of this.#inactive.values()) {
      // Entries still observed (kept inactive because the active set was full) are not idle.
      if (e.observers > 0) continue;
      if (now - e.releasedAt < this.#options.inactiveTtlMs) break;
      this.#inactive.delete(e.key);
      this.#drop(e);
    }
  }

  #drop(entry: Entry<T>): void {
    this.evictions++;
    entry.place = "gone";
    const hold = entry.hold;
    entry.hold = undefined;
    hold?.close();
  }
}

/** A view of a cached source that tells the cache when its first observer arrives and its last one leaves. */
class CachedVar<T> extends Var<T> {
  readonly #source: Var<T>;
  readonly #hooks: { acquire(): void; release(): void };

  constructor(source: Var<T>, hooks: { acquire(): void; release(): void }) {
    super();
    this.#source = source;
    this.#hooks = hooks;
  }

  observe(observer: Observer<T>): Closable {
    this.#hooks.acquire();
    let sub: Closable;
    try {
      sub = this.#source.observe(observer);
    } catch (e) {
      this.#hooks.release();
      throw e;
    }
    let closed = false;
    return {
      close: () => {
        if (closed) return;
        closed = true;
        sub.close();
        this.#hooks.release();
      },
    };
  }
}
