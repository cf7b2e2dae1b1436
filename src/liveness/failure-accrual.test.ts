// Failure accrual state changes on an injected clock: marked dead, kept out for the backoff, probed, revived.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { scriptedRandom } from "../balancer/random.ts";
import { constantBackoff, equalJitteredBackoff } from "../retry/backoff.ts";
import { ConsecutiveFailures, SuccessRate, SuccessRateWindowed } from "./accrual-policy.ts";
import { type AccrualCounters, FailureAccrual } from "./failure-accrual.ts";

function makeCounters() {
  const c = { removals: 0, revivals: 0, probes: 0, removedForMs: 0 };
  const handle = (k: keyof typeof c) => ({
    incr: (n = 1) => {
      c[k] += n;
    },
  });
  const counters: AccrualCounters = {
    removals: handle("removals"),
    revivals: handle("revivals"),
    probes: handle("probes"),
    removedForMs: handle("removedForMs"),
  };
  return { c, counters };
}

describe("FailureAccrual with consecutive failures", () => {
  it("marks an endpoint dead after 5 failures in a row, not after 4 and a success", () => {
    const { c, counters } = makeCounters();
    const a = new FailureAccrual(new ConsecutiveFailures(5, constantBackoff(5000), Math.random), counters);
    for (let i = 0; i < 4; i++) a.failed(0);
    a.succeeded(0);
    for (let i = 0; i < 4; i++) a.failed(0);
    assert.equal(a.state(0), "alive");
    a.failed(0);
    assert.equal(a.state(0), "dead");
    assert.equal(a.isOpen(0), false);
    assert.deepEqual(c, { removals: 1, revivals: 0, probes: 0, removedForMs: 5000 });
  });

  it("opens for one probe when the backoff is over; a good probe revives it", () => {
    const { c, counters } = makeCounters();
    const a = new FailureAccrual(new ConsecutiveFailures(2, constantBackoff(5000), Math.random), counters);
    a.failed(100);
    a.failed(100);
    assert.equal(a.isOpen(5099), false);
    assert.equal(a.isOpen(5100), true);
    assert.equal(a.state(5100), "probeOpen");
    a.started(5100);
    assert.equal(a.state(5101), "probeClosed");
    assert.equal(a.isOpen(5101), false, "one probe at a time");
    a.succeeded(5200);
    assert.equal(a.state(5200), "alive");
    assert.deepEqual(c, { removals: 1, revivals: 1, probes: 1, removedForMs: 5000 });
    // Revived: the failure count starts again from zero.
    a.failed(5300);
    assert.equal(a.state(5300), "alive");
  });

  it("a failed probe marks it dead again for the next, longer wait of the schedule", () => {
    const { c, counters } = makeCounters();
    // Equal jitter with random 0: 5 s, then 5 s, 10 s, 20 s...
    const policy = new ConsecutiveFailures(1, equalJitteredBackoff(5000, 300_000), scriptedRandom([0]));
    const a = new FailureAccrual(policy, counters);
    a.failed(0);
    assert.equal(a.isOpen(4999), false);
    a.started(5000);
    a.failed(5000);
    assert.equal(a.isOpen(9999), false);
    a.started(10_000);
    a.failed(10_000);
    assert.equal(a.isOpen(19_999), false);
    assert.equal(a.isOpen(20_000), true);
    assert.deepEqual(c, { removals: 3, revivals: 0, probes: 2, removedForMs: 20_000 });
  });

  it("ignores outcomes of requests sent while it is dead (when every endpoint is dead)", () => {
    const a = new FailureAccrual(new ConsecutiveFailures(1, constantBackoff(1000), Math.random));
    a.failed(0);
    a.started(10);
    a.failed(10);
    a.succeeded(20);
    assert.equal(a.state(20), "dead", "a success outside a probe does not revive it");
    assert.equal(a.isOpen(1000), true, "the backoff was not extended by the failure");
  });
});

describe("FailureAccrual with success rates", () => {
  it("io.l5d.successRate: dead once the rate over the last requests falls below the target", () => {
    const a = new FailureAccrual(new SuccessRate(0.9, 20, constantBackoff(1000), Math.random));
    for (let i = 0; i < 19; i++) a.failed(0);
    assert.equal(a.state(0), "alive", "fewer requests than the window say too little");
    a.failed(0);
    assert.equal(a.state(0), "dead");
  });

  it("io.l5d.successRate: an endpoint that mostly succeeds stays alive", () => {
    const a = new FailureAccrual(new SuccessRate(0.8, 10, constantBackoff(1000), Math.random));
    for (let i = 0; i < 100; i++) {
      if (i % 10 === 9) a.failed(0);
      else a.succeeded(0);
    }
    assert.equal(a.state(0), "alive");
  });

  it("io.l5d.successRateWindowed: waits for a whole window, then judges the rate over time", () => {
    const a = new FailureAccrual(new SuccessRateWindowed(0.5, 10, constantBackoff(1000), Math.random));
    for (let t = 0; t < 9_000; t += 1000) a.failed(t);
    assert.equal(a.state(9_000), "alive", "not a whole window yet");
    a.failed(10_000);
    assert.equal(a.state(10_000), "dead");
  });
});
