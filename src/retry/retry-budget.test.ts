// Retry budget arithmetic on an injected clock: deposits, the reserve, withdrawals and their expiry after the ttl.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_RETRY_BUDGET, RetryBudget } from "./retry-budget.ts";
import { WindowedAdder } from "./windowed-adder.ts";

function clock(start = 0) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Withdraws until refused; how many were allowed. */
function drain(b: RetryBudget): number {
  let n = 0;
  while (b.tryWithdraw()) n++;
  return n;
}

describe("WindowedAdder", () => {
  it("sums what was added within the window and forgets it after", () => {
    const c = clock(1_000_000);
    const w = new WindowedAdder(10_000, 10, c.now);
    w.add(5);
    c.advance(4_000);
    w.add(3);
    assert.equal(w.sum(), 8);
    c.advance(6_000); // the first addition is 10 s old: gone
    assert.equal(w.sum(), 3);
    c.advance(10_000);
    assert.equal(w.sum(), 0);
    c.advance(1);
    w.add(-2);
    assert.equal(w.sum(), -2);
  });
});

describe("RetryBudget", () => {
  it("with no traffic allows the reserve: minRetriesPerSec × ttlSecs retries", () => {
    const c = clock();
    const b = new RetryBudget(DEFAULT_RETRY_BUDGET, c.now);
    assert.equal(b.balance, 100);
    assert.equal(drain(b), 100);
    assert.equal(b.balance, 0);
  });

  it("adds percentCanRetry of the requests made within the ttl", () => {
    const c = clock();
    const b = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0.2, ttlSecs: 10 }, c.now);
    for (let i = 0; i < 50; i++) b.deposit();
    assert.equal(b.balance, 10);
    assert.equal(drain(b), 10);
    for (let i = 0; i < 4; i++) b.deposit();
    assert.equal(drain(b), 0, "4 requests × 0.2 = 0.8: not yet a whole retry");
    b.deposit();
    assert.equal(drain(b), 1);
  });

  it("lets deposits and withdrawals expire after the ttl, so the allowance is per window", () => {
    const c = clock();
    const b = new RetryBudget({ minRetriesPerSec: 10, percentCanRetry: 0.2, ttlSecs: 10 }, c.now);
    for (let i = 0; i < 100; i++) b.deposit();
    assert.equal(drain(b), 120, "reserve 100 + 20% of 100");
    c.advance(5_000);
    assert.equal(drain(b), 0, "still within the window");
    c.advance(5_001);
    assert.equal(b.balance, 100, "everything expired: back to the reserve");
  });

  it("allows percentCanRetry above 1 (several retries per request) and nothing at all when both are 0", () => {
    const c = clock();
    const two = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 2, ttlSecs: 10 }, c.now);
    two.deposit();
    assert.equal(drain(two), 2);
    const none = new RetryBudget({ minRetriesPerSec: 0, percentCanRetry: 0, ttlSecs: 10 }, c.now);
    none.deposit();
    assert.equal(drain(none), 0);
    assert.equal(none.balance, 0);
  });

  it("keeps the bound 'percentCanRetry × requests + minRetriesPerSec × ttl' over a steady stream", () => {
    const c = clock();
    const b = new RetryBudget({ minRetriesPerSec: 10, percentCanRetry: 0.2, ttlSecs: 10 }, c.now);
    // 100 requests per second for 60 s, each one retried if the budget lets it (a backend failing everything).
    let retries = 0;
    for (let ms = 0; ms < 60_000; ms += 10) {
      c.advance(10);
      b.deposit();
      if (b.tryWithdraw()) retries++;
    }
    const bound = 0.2 * 6000 + 10 * (60 + 10);
    assert.ok(retries <= bound, `${retries} retries, bound ${bound}`);
    assert.ok(retries >= 0.2 * 6000, `${retries} retries: at least the percentage is used`);
  });
});
