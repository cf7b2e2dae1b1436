// A sum over a sliding time window, kept in slices (Finagle's WindowedAdder): additions expire after the window.

/**
 * Adds numbers and tells their sum over the last `windowMs`, in `slices` slices: an addition counts for
 * between (slices-1)/slices and all of the window, then is forgotten. Time comes from `now` (milliseconds,
 * monotonic), so tests drive it without sleeping.
 */
export class WindowedAdder {
  readonly #sliceMs: number;
  readonly #slots: Float64Array;
  readonly #now: () => number;
  /** The slice number (time / sliceMs) the slot at `#at` holds. */
  #generation: number;
  #at = 0;
  #sum = 0;

  constructor(windowMs: number, slices: number, now: () => number) {
    this.#sliceMs = windowMs / slices;
    this.#slots = new Float64Array(slices);
    this.#now = now;
    this.#generation = Math.floor(now() / this.#sliceMs);
  }

  /** Adds `n` at `now` (read from the clock when not given). */
  add(n: number, now = this.#now()): void {
    this.#advance(now);
    this.#slots[this.#at] = (this.#slots[this.#at] as number) + n;
    this.#sum += n;
  }

  sum(): number {
    this.#advance(this.#now());
    return this.#sum;
  }

  /** Moves to the current slice, clearing the slices passed since the last call. */
  #advance(now: number): void {
    const g = Math.floor(now / this.#sliceMs);
    let steps = g - this.#generation;
    if (steps <= 0) return;
    const slots = this.#slots;
    if (steps >= slots.length) {
      slots.fill(0);
      this.#sum = 0;
      this.#generation = g;
      return;
    }
    this.#generation = g;
    while (steps-- > 0) {
      this.#at = (this.#at + 1) % slots.length;
      this.#sum -= slots[this.#at] as number;
      slots[this.#at] = 0;
    }
  }
}
