// A deadline that moves on every request for the cost of a clock read: its one timer is re-armed only when it fires.

import { type Timers, unrefTimers } from "../naming/index.ts";

/** The clock and timers a deadline uses: the real ones by default, fakes in tests. */
export interface DeadlineClock {
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  readonly now?: () => number;
  /** Default: the real timers, unref'd. */
  readonly timers?: Timers;
}

/**
 * Calls `onExpired` once the deadline set last has passed. Setting a deadline is cheap: when the armed timer fires
 * no later than the new deadline, it stays as it is and, on firing, finds the deadline moved and sleeps for the
 * rest. A connection that carries thousands of requests per second thus starts a timer every few seconds
 * rather than two or three per request (the `setTimeout`/`clearTimeout` pairs showed in CPU profiles).
 */
export class DeadlineTimer {
  readonly #onExpired: () => void;
  readonly #now: () => number;
  readonly #timers: Timers;
  #deadline = Number.POSITIVE_INFINITY;
  #handle: unknown;
  /** When the armed timer fires (its clock); infinity when none is armed. */
  #firesAt = Number.POSITIVE_INFINITY;

  constructor(onExpired: () => void, clock: DeadlineClock = {}) {
    this.#onExpired = onExpired;
    this.#now = clock.now ?? (() => performance.now());
    this.#timers = clock.timers ?? unrefTimers;
  }

  /** Expires `ms` from now, replacing the previous deadline (earlier or later). */
  set(ms: number): void {
    const now = this.#now();
    this.#deadline = now + ms;
    if (this.#firesAt <= this.#deadline) return;
    this.#arm(now, ms);
  }

  /** No deadline; an armed timer finds none when it fires and stops. */
  clear(): void {
    this.#deadline = Number.POSITIVE_INFINITY;
  }

  /** No deadline and no timer (the connection is gone). */
  dispose(): void {
    this.#deadline = Number.POSITIVE_INFINITY;
    this.#disarm();
  }

  #arm(now: number, ms: number): void {
    this.#disarm();
    this.#firesAt = now + ms;
    this.#handle = this.#timers.setTimeout(this.#fire, ms);
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#timers.clearTimeout(this.#handle);
    this.#handle = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
  }

  readonly #fire = (): void => {
    this.#handle = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
    if (this.#deadline === Number.POSITIVE_INFINITY) return;
    const now = this.#now();
    // Timers may fire a little before the clock says (libuv reads its clock once per loop turn).
    if (now >= this.#deadline - 1) {
      this.#deadline = Number.POSITIVE_INFINITY;
      this.#onExpired();
      return;
    }
    this.#arm(now, this.#deadline - now);
  };
}
