// Retry budgets (Finagle's RetryBudget): each request deposits, each retry withdraws; deposits expire after a ttl.

import { WindowedAdder } from "./windowed-adder.ts";

/** Linkerd's `budget` keys (for `service.retries` and `client.requeueBudget`), with their defaults. */
export interface RetryBudgetConfig {
  /** Retries per second allowed whatever the traffic (default 10). */
  readonly minRetriesPerSec: number;
  /** Retries allowed as a fraction of requests (default 0.2; 0 to 1000). */
  readonly percentCanRetry: number;
  /** How long a request's deposit counts (default 10 s). */
  readonly ttlSecs: number;
}

export const DEFAULT_RETRY_BUDGET: RetryBudgetConfig = Object.freeze({
  minRetriesPerSec: 10,
  percentCanRetry: 0.2,
  ttlSecs: 10,
});

/** Deposits and withdrawals are scaled so that a fractional percentage stays an integer cost. */
const SCALE = 1000;

/**
 * A token bucket over a sliding window of `ttlSecs` (Finagle's leaky bucket): a request deposits 1000, a retry
 * costs 1000 / percentCanRetry, and a fixed reserve of `minRetriesPerSec × ttlSecs` retries is always added.
 * Withdrawals expire like deposits, so over any window of `ttlSecs` at most `percentCanRetry × requests +
 * minRetriesPerSec × ttlSecs` retries are allowed.
 */
export class RetryBudget {
  readonly #deposit: number;
  readonly #withdrawal: number;
  readonly #reserve: number;
  readonly #window: WindowedAdder | undefined;

  constructor(config: RetryBudgetConfig, now: () => number) {
    const { minRetriesPerSec, percentCanRetry, ttlSecs } = config;
    if (minRetriesPerSec === 0 && percentCanRetry === 0) {
      // Nothing may ever be retried.
      this.#deposit = 0;
      this.#withdrawal = 1;
      this.#reserve = 0;
      this.#window = undefined;
      return;
    }
    this.#deposit = percentCanRetry === 0 ? 0 : SCALE;
    this.#withdrawal = percentCanRetry === 0 ? 1 : Math.trunc(SCALE / percentCanRetry);
    this.#reserve = minRetriesPerSec * ttlSecs * this.#withdrawal;
    this.#window = new WindowedAdder(ttlSecs * 1000, 10, now);
  }

  /** A request (not a retry) went out, at `now` when the caller knows it. */
  deposit(now?: number): void {
    if (this.#deposit !== 0) this.#window?.add(this.#deposit, now);
  }

  /** Takes the cost of one retry if the budget has it; false when it is exhausted. */
  tryWithdraw(): boolean {
    const w = this.#window;
    if (w === undefined) return false;
    if (w.sum() + this.#reserve < this.#withdrawal) return false;
    w.add(-this.#withdrawal);
    return true;
  }

  /** Retries the budget would allow right now (the `retries/budget` gauge). */
  get balance(): number {
    const w = this.#window;
    if (w === undefined) return 0;
    return Math.max(0, Math.floor((w.sum() + this.#reserve) / this.#withdrawal));
  }
}
