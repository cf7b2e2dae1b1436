// Keeps one ReplicaSet per bound id, bounded in number and dropped when idle, so pools are shared and released.

import type { BoundName } from "../naming/index.ts";
import { Lru } from "./lru.ts";
import type { ReplicaSet } from "./replica-set.ts";

export interface ClientCacheOptions {
  readonly max: number;
  readonly idleTtlMs: number;
  readonly now: () => number;
  /** Makes the client of a bound name (with its policy and metrics). */
  readonly create: (bound: BoundName) => ReplicaSet;
  /** Told when a client is dropped, to remove its metrics. */
  readonly onEvict?: (client: ReplicaSet) => void;
}

export class ClientCache {
  readonly #lru: Lru<ReplicaSet>;
  readonly #options: ClientCacheOptions;

  constructor(options: ClientCacheOptions) {
    this.#options = options;
    this.#lru = new Lru<ReplicaSet>({
      max: options.max,
      idleTtlMs: options.idleTtlMs,
      now: options.now,
      onEvict: (_k, c) => {
        c.close();
        options.onEvict?.(c);
      },
    });
  }

  /** The client for a bound name's id (clients are shared by every binding that reaches the same id). */
  get(bound: BoundName): ReplicaSet {
    return this.#lru.getOrCreate(bound.id.show, () => this.#options.create(bound)).value;
  }

  get size(): number {
    return this.#lru.size;
  }

  get evictions(): number {
    return this.#lru.evictions;
  }

  *clients(): IterableIterator<ReplicaSet> {
    for (const [, c] of this.#lru.entries()) yield c;
  }

  sweep(): void {
    this.#lru.sweep();
  }

  clear(): void {
    this.#lru.clear();
  }
}
