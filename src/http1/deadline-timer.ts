// A deadline that moves on every request for the cost of a clock read: its one timer is re-armed only when it fires.

/** The clock and timers a deadline uses; `systemTimers` in production, a fake in tests. */
export interface TimerHost {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Runs `fn` after `ms`; the handle goes to `cancel`. Timers must not keep the process alive. */
  start(fn: () => void, ms: number): unknown;
  cancel(handle: unknown): void;
}

export const systemTimers: TimerHost = {
  now: () => performance.now(),
  start: (fn, ms) => setTimeout(fn, ms).unref(),
  cancel: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Calls `onExpired` once the deadline set last has passed. Setting a deadline is cheap: when the armed timer fires
 * no later than the new deadline, it stays as it is and, on firing, finds the deadline moved and sleeps for the
 * rest. A connection that carries thousands of requests per second thus starts a timer every few seconds
 * rather than two or three per request (the `setTimeout`/`clearTimeout` pairs showed in CPU profiles).
 */
export class DeadlineTimer {
  readonly #onExpired: () => void;
  readonly #host: TimerHost;
  #deadline = Number.POSITIVE_INFINITY;
  #handle: unknown;
  /** When the armed timer fires (host clock); infinity when none is armed. */
  #firesAt = Number.POSITIVE_INFINITY;

  constructor(onExpired: () => void, host: TimerHost = systemTimers) {
    this.#onExpired = onExpired;
    this.#host = host;
  }

  /** Expires `ms` from now, replacing the previous deadline (earlier or later). */
  set(ms: number): void {
    const now = this.#host.now();
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
    this.#handle = this.#host.start(this.#fire, ms);
  }

  #disarm(): void {
    if (this.#handle !== undefined) this.#host.cancel(this.#handle);
    this.#handle = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
  }

  readonly #fire = (): void => {
    this.#handle = undefined;
    this.#firesAt = Number.POSITIVE_INFINITY;
    if (this.#deadline === Number.POSITIVE_INFINITY) return;
    const now = this.#host.now();
    // Timers may fire a little before the host clock says (libuv reads its clock once per loop turn).
    if (now >= this.#deadline - 1) {
      this.#deadline = Number.POSITIVE_INFINITY;
      this.#onExpired();
      return;
    }
    this.#arm(now, this.#deadline - now);
  };
}
