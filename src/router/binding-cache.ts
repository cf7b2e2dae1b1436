// Caches bindings of (dtab, logical path) to bound trees, kept live by observation and released when evicted.

import type { Activity, BoundName, Closable, Dtab, NameTree, Path, State } from "../naming/index.ts";
import { Lru } from "./lru.ts";
import { WaitList } from "./wait-list.ts";

/** A live binding: its latest state, updated as namers and the dtab change. */
export class Binding {
  state: State<NameTree<BoundName>> = { kind: "pending" };
  #sub: Closable | undefined;
  readonly #ready = new WaitList();

  constructor(activity: Activity<NameTree<BoundName>>) {
    this.#sub = activity.observe((s) => {
      this.state = s;
      if (s.kind !== "pending") this.#ready.wake();
    });
  }

  /** Resolves true once the state is not Pending, false after `timeoutMs`. */
  ready(timeoutMs: number): Promise<boolean> {
    return this.state.kind !== "pending" ? Promise.resolve(true) : this.#ready.wait(timeoutMs);
  }

  close(): void {
    this.#sub?.close();
    this.#sub = undefined;
  }
}

export interface BindingCacheOptions {
  /** Binds `path` under the owner's dtab followed by `local`. */
  readonly bind: (local: Dtab, path: Path) => Activity<NameTree<BoundName>>;
  readonly max: number;
  readonly idleTtlMs: number;
  readonly now: () => number;
}

export class BindingCache {
  readonly #bind: BindingCacheOptions["bind"];
  readonly #lru: Lru<Binding>;
  misses = 0;

  constructor(options: BindingCacheOptions) {
    this.#bind = options.bind;
    this.#lru = new Lru<Binding>({
      max: options.max,
      idleTtlMs: options.idleTtlMs,
      now: options.now,
      onEvict: (_k, b) => b.close(),
    });
  }

  /**
   * The binding of `path` under the owner's dtab followed by `local` (a request's own dtab, mostly empty).
   * Keyed by the local part only, so the common case is keyed by the path alone.
   */
  get(local: Dtab, path: Path, now?: number): Binding {
    const key = local.isEmpty ? path.show : `${local.show}\n${path.show}`;
    const found = this.#lru.get(key, now);
    if (found !== undefined) return found;
    this.misses++;
    const binding = new Binding(this.#bind(local, path));
    this.#lru.add(key, binding, now);
    return binding;
  }

  get evictions(): number {
    return this.#lru.evictions;
  }

  get size(): number {
    return this.#lru.size;
  }

  sweep(): void {
    this.#lru.sweep();
  }

  clear(): void {
    this.#lru.clear();
  }
}
