// An exponentially weighted moving average over unevenly spaced samples (Finagle's Ema).

/**
 * An exponentially weighted moving average (Finagle's Ema): each new value `x` at `stamp` gets the weight
 * `1 - e^(-Δstamp / window)`, so the average forgets over `window` units of whatever `stamp` counts.
 */
export class Ema {
  readonly #window: number;
  #stamp = Number.NEGATIVE_INFINITY;
  #value = 0;

  constructor(window: number) {
    this.#window = window;
  }

  get empty(): boolean {
    return this.#stamp === Number.NEGATIVE_INFINITY;
  }

  get value(): number {
    return this.#value;
  }

  update(stamp: number, x: number): number {
    if (this.#stamp === Number.NEGATIVE_INFINITY) {
      this.#value = x;
    } else {
      const dt = Math.max(0, stamp - this.#stamp);
      const w = this.#window === 0 ? 0 : Math.exp(-dt / this.#window);
      this.#value = x * (1 - w) + this.#value * w;
    }
    this.#stamp = stamp;
    return this.#value;
  }

  reset(): void {
    this.#stamp = Number.NEGATIVE_INFINITY;
    this.#value = 0;
  }
}
