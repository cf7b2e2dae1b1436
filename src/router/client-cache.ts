// Keeps one ReplicaSet per bound id, bounded in number and dropped when idle, so pools are shared and released.

import type { BoundName } from "../naming/index.ts";
import type { Random } from "./balancer.ts";
import type { EndpointOptions } from "./endpoint.ts";
import { Lru } from "./lru.ts";
import { ReplicaSet } from "./replica-set.ts";

export interface ClientCacheOptions {
  readonly max: number;
  readonly idleTtlMs: number;
  readonly now: () => number;
  readonly random: Random;
  readonly endpoint?: EndpointOptions;
  /** Told when a client is created or dropped, to add or remove its metrics. */
  readonly onCreate?: (client: ReplicaSet) => void;
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
    const { value, created } = this.#lru.getOrCreate(bound.id.show, () => {
      return new ReplicaSet(bound, this.#options.random, this.#options.now(), this.#options.endpoint);
    });
    if (created) this.#options.onCreate?.(value);
    return value;
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
