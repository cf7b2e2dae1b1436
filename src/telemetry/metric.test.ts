// Tests of counters, gauges and stats, including the stat's per-interval snapshot.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { EMPTY_SUMMARY } from "./histogram.ts";
import { Counter, Gauge, Stat } from "./metric.ts";

describe("Counter", () => {
  test("counts by one, or by n", () => {
    const c = new Counter();
    assert.equal(c.kind, "counter");
    assert.equal(c.value, 0);
    c.incr();
    c.incr(41);
    assert.equal(c.value, 42);
  });
});

describe("Gauge", () => {
  test("samples its function each time it is read", () => {
    let n = 1;
    const g = new Gauge(() => n);
    assert.equal(g.kind, "gauge");
    assert.equal(g.value, 1);
    n = 2.5;
    assert.equal(g.value, 2.5);
  });

  test("holds a set value, which add() moves", () => {
    const g = new Gauge();
    assert.equal(g.value, 0);
    g.set(3);
    g.add(2);
    g.add(-1);
    assert.equal(g.value, 4);
  });

  test("set() replaces a sampler; sampleWith() replaces a value", () => {
    const g = new Gauge(() => 7);
    g.set(1);
    assert.equal(g.value, 1);
    g.sampleWith(() => 9);
    assert.equal(g.value, 9);
  });

  test("a sampler that throws reads as NaN", () => {
    const g = new Gauge(() => {
      throw new Error("closed");
    });
    assert.ok(Number.isNaN(g.value));
  });
});

describe("Stat", () => {
  test("shows an empty summary until the first snapshot", () => {
    const s = new Stat();
    assert.equal(s.kind, "stat");
    s.add(5);
    assert.equal(s.summary, EMPTY_SUMMARY);
    assert.equal(s.peek().count, 1);
  });

  test("a snapshot shows the interval just ended and starts a new one", () => {
    const s = new Stat();
    s.add(1);
    assert.deepEqual(s.snapshot(), s.summary);
    assert.equal(s.summary.count, 1);
    assert.equal(s.peek().count, 0);
    s.add(2);
    s.add(2);
    assert.equal(s.summary.count, 1, "the shown summary waits for the next snapshot");
    s.snapshot();
    assert.deepEqual([s.summary.count, s.summary.min, s.summary.sum], [2, 2, 4]);
    s.snapshot();
    assert.equal(s.summary, EMPTY_SUMMARY, "an interval without values shows count 0");
  });
});
