// Callers waiting for something to become ready, each with its own time limit, woken all at once.

export class WaitList {
  #waiters: (() => void)[] = [];

  /**
   * Resolves true when `wake()` is called, false after `timeoutMs`; a caller that timed out is forgotten, so
   * waits that never end cannot pile up.
   */
  wait(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const waiter = () => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
