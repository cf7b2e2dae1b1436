// Backoff sequences on a scripted random source: constant, decorrelated jitter and equal jitter, with their caps.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Random, scriptedRandom } from "../balancer/random.ts";
import {
  type Backoff,
  constantBackoff,
  decorrelatedJitteredBackoff,
  equalJitteredBackoff,
} from "./backoff.ts";

/** The first `count` waits of a schedule, fed its own previous wait as a caller does. */
function waits(b: Backoff, count: number, random: Random): number[] {
  const out: number[] = [];
  let previous = 0;
  for (let n = 0; n < count; n++) {
    previous = b.delay(n, previous, random);
    out.push(previous);
  }
  return out;
}

describe("constant backoff", () => {
  it("waits the same every time, 0 by default in Linkerd", () => {
    assert.deepEqual(waits(constantBackoff(0), 4, Math.random), [0, 0, 0, 0]);
    assert.deepEqual(waits(constantBackoff(25), 3, Math.random), [25, 25, 25]);
  });
});

describe("decorrelated jittered backoff (Linkerd's jittered)", () => {
  it("starts at minMs, then draws from [minMs, 3 × previous), capped at maxMs", () => {
    // random 0.5: 10 + 0.5 × (30 - 10) = 20; then 10 + 0.5 × (60 - 10) = 35; then 10 + 0.5 × 95 = 57 (floor).
    assert.deepEqual(
      waits(decorrelatedJitteredBackoff(10, 1000), 4, scriptedRandom([0.5])),
      [10, 20, 35, 57],
    );
    // random just below 1: the top of the range each time, until the cap.
    const top = waits(decorrelatedJitteredBackoff(10, 100), 5, scriptedRandom([0.999999]));
    assert.deepEqual(top, [10, 29, 86, 100, 100]);
    // random 0: minMs every time.
    assert.deepEqual(waits(decorrelatedJitteredBackoff(10, 100), 3, scriptedRandom([0])), [10, 10, 10]);
  });

  it("never leaves [minMs, maxMs] whatever the random source says", () => {
    const b = decorrelatedJitteredBackoff(5, 300);
    for (const w of waits(b, 200, Math.random)) assert.ok(w >= 5 && w <= 300, `wait ${w}`);
  });
});

describe("equal jittered backoff (failure accrual's default, 5 s to 300 s)", () => {
  it("starts at the start, then half of start × 2^n plus up to the other half, capped", () => {
    const b = equalJitteredBackoff(5000, 300_000);
    // random 0: exactly the lower half each time: 5000, 5000, 10000, 20000, 40000, 80000, 150000 (cap/2).
    assert.deepEqual(
      waits(b, 8, scriptedRandom([0])),
      [5000, 5000, 10000, 20000, 40000, 80000, 150000, 150000],
    );
    // random 0.5: three quarters of start × 2^n.
    assert.deepEqual(waits(b, 4, scriptedRandom([0.5])), [5000, 7500, 15000, 30000]);
  });

  it("stays within [start, max] for long runs", () => {
    const b = equalJitteredBackoff(5000, 300_000);
    for (const w of waits(b, 100, Math.random)) assert.ok(w >= 5000 && w <= 300_000, `wait ${w}`);
  });
});
