// Long polling with stamps, as namerd's thrift interface does it: each distinct value of a watched thing has its
// stamp; a request carrying the current stamp waits for the next value, any other stamp gets the current one.

import { createHash } from "node:crypto";
import type { Closable, Var } from "../../../naming/index.ts";

/** A watched thing's settled value: a result, or the error it failed with. */
export type Settled<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: Error };

export interface Stamped<T> {
  readonly stamp: Uint8Array;
  readonly result: Settled<T>;
}

/** How a watched thing's value gets its stamp. */
export type StampOf<T> = (result: Settled<T>) => Uint8Array;

/**
 * A stamp derived from a value's encoding: the first 8 bytes of its SHA-256. Equal values get equal stamps
 * wherever and whenever they are observed (a restarted namerd, a watch made afresh after eviction), so a client
 * that already has the current value is held until it changes, and a changed value never reuses a stamp.
 */
export function contentStamp(...parts: readonly (Uint8Array | string)[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) {
    const bytes = typeof p === "string" ? Buffer.from(p, "utf8") : p;
    const len = Buffer.allocUnsafe(4);
    len.writeUInt32BE(bytes.length, 0);
    h.update(len);
    h.update(bytes);
  }
  return new Uint8Array(h.digest().subarray(0, 8));
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

interface Waiter<T> {
  resolve(s: Stamped<T>): void;
}

/**
 * Observes `source` (a Var of settled values, `undefined` while pending) for as long as it lives, and answers
 * polls: the current value at once unless the caller already has its stamp, else the next distinct value.
 */
export class LongPoll<T> {
  readonly #stampOf: StampOf<T>;
  readonly #waiters = new Set<Waiter<T>>();
  #current: Stamped<T> | undefined;
  #sub: Closable | undefined;
  #closed = false;

  constructor(source: Var<Settled<T> | undefined>, stampOf: StampOf<T>) {
    this.#stampOf = stampOf;
    this.#sub = source.observe((s) => this.#update(s));
    if (this.#closed) this.#sub.close();
  }

  #update(s: Settled<T> | undefined): void {
    if (s === undefined) return;
    const stamp = this.#stampOf(s);
    // The same stamp is the same value: nothing changed for anyone.
    if (this.#current !== undefined && sameBytes(this.#current.stamp, stamp)) return;
    const next: Stamped<T> = { stamp, result: s };
    this.#current = next;
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const w of waiters) w.resolve(next);
  }

  /** The latest value and its stamp, if any yet. */
  get current(): Stamped<T> | undefined {
    return this.#current;
  }

  /** Polls waiting for a change. */
  get waiting(): number {
    return this.#waiters.size;
  }

  /**
   * The current value, unless `stamp` is its stamp: then the next distinct one. An empty stamp means "whatever
   * you have". Aborting `signal` gives up the wait (rejecting with its reason).
   */
  poll(stamp: Uint8Array, signal?: AbortSignal): Promise<Stamped<T>> {
    const cur = this.#current;
    if (cur !== undefined && (stamp.length === 0 || !sameBytes(stamp, cur.stamp)))
      return Promise.resolve(cur);
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Stamped<T>>((resolve, reject) => {
      const onAbort = () => {
        this.#waiters.delete(waiter);
        reject(signal?.reason);
      };
      const waiter: Waiter<T> = {
        resolve: (s) => {
          signal?.removeEventListener("abort", onAbort);
          resolve(s);
        },
      };
      this.#waiters.add(waiter);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Stops observing; polls still waiting stay unanswered (their callers' signals end them). */
  close(): void {
    this.#closed = true;
    const sub = this.#sub;
    this.#sub = undefined;
    sub?.close();
  }
}

/** The most often a poll sweeps idle watches (the interface also sweeps on a timer). */
const SWEEP_EVERY_MS = 1000;

export interface PollCacheOptions {
  /** Most watches kept; past it the least recently used idle one goes. */
  readonly capacity: number;
  /** A watch nobody has polled for this long is closed. */
  readonly idleTtlMs: number;
  readonly now: () => number;
}

interface Slot<T> {
  readonly poll: LongPoll<T>;
  lastUsed: number;
  /** Polls in progress on it. */
  users: number;
}

/**
 * The watches behind long polls, by key, bounded: a watch with polls waiting is never dropped; idle ones go
 * when unused past the TTL or when room is needed. When every slot is busy, a poll gets a watch of its own
 * that is closed once it is answered, so no number of distinct names can grow the cache past its capacity
 * (content stamps make such a watch hold a caller that has the current value, as a cached one would).
 */
export class PollCache<T> {
  readonly #options: PollCacheOptions;
  /** Least recently used first. */
  readonly #slots = new Map<string, Slot<T>>();
  /** Slots with polls in progress: when every slot is busy, there is nothing to evict (no scan needed). */
  #busy = 0;
  /** When a poll last swept; polls sweep at most every SWEEP_EVERY_MS, so a poll costs O(1), not O(slots). */
  #sweptAt = Number.NEGATIVE_INFINITY;
  /** Polls that got an unshared watch because the cache was full. */
  overflows = 0;
  evictions = 0;

  constructor(options: PollCacheOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#slots.size;
  }

  /** The watch for `key`, if cached (for admin pages and tests). */
  peek(key: string): LongPoll<T> | undefined {
    return this.#slots.get(key)?.poll;
  }

  keys(): string[] {
    return [...this.#slots.keys()];
  }

  /** Polls the watch for `key` (made by `make` if needed) with `stamp`. */
  async poll(
    key: string,
    make: () => LongPoll<T>,
    stamp: Uint8Array,
    signal?: AbortSignal,
  ): Promise<Stamped<T>> {
    const now = this.#options.now();
    if (now - this.#sweptAt >= Math.min(SWEEP_EVERY_MS, this.#options.idleTtlMs)) this.sweep(now);
    let slot = this.#slots.get(key);
    if (slot === undefined) {
      if (this.#slots.size >= this.#options.capacity && !this.#evictOne()) {
        this.overflows++;
        const own = make();
        try {
          return await own.poll(stamp, signal);
        } finally {
          own.close();
        }
      }
      slot = { poll: make(), lastUsed: now, users: 0 };
    } else {
      this.#slots.delete(key);
    }
    this.#slots.set(key, slot);
    if (slot.users++ === 0) this.#busy++;
    slot.lastUsed = now;
    try {
      return await slot.poll.poll(stamp, signal);
    } finally {
      // A slot leaves the map while busy only when the cache is closed; it no longer counts then.
      if (--slot.users === 0 && this.#slots.get(key) === slot) this.#busy--;
      slot.lastUsed = this.#options.now();
    }
  }

  /** Closes watches idle past the TTL. */
  sweep(now = this.#options.now()): void {
    this.#sweptAt = now;
    if (this.#busy === this.#slots.size) return;
    for (const [key, slot] of this.#slots) {
      if (slot.users > 0 || now - slot.lastUsed < this.#options.idleTtlMs) continue;
      this.#slots.delete(key);
      slot.poll.close();
      this.evictions++;
    }
  }

  #evictOne(): boolean {
    if (this.#busy === this.#slots.size) return false;
    for (const [key, slot] of this.#slots) {
      if (slot.users > 0) continue;
      this.#slots.delete(key);
      slot.poll.close();
      this.evictions++;
      return true;
    }
    return false;
  }

  close(): void {
    for (const slot of this.#slots.values()) slot.poll.close();
    this.#slots.clear();
    this.#busy = 0;
  }
}
