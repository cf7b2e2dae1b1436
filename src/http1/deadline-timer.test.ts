// Unit tests of DeadlineTimer on a fake clock: when it expires, and how few timers it starts.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { Timers } from "../naming/index.ts";
import { DeadlineTimer } from "./deadline-timer.ts";

/** A fake clock with timers; `advance` runs every timer that falls due, in order. */
class FakeTimers implements Timers {
  time = 0;
  started = 0;
  #next = 1;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();

  now = (): number => this.time;

  setTimeout = (fn: () => void, ms: number): unknown => {
    this.started++;
    const id = this.#next++;
    this.#pending.set(id, { at: this.time + ms, fn });
    return id;
  };

  clearTimeout = (handle: unknown): void => {
    this.#pending.delete(handle as number);
  };

  get armed(): number {
    return this.#pending.size;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let first: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.#pending)
        if (e[1].at <= end && (first === undefined || e[1].at < first[1].at)) first = e;
      if (first === undefined) break;
      this.#pending.delete(first[0]);
      this.time = first[1].at;
      first[1].fn();
    }
    this.time = end;
  }
}

describe("DeadlineTimer", () => {
  test("expires once the deadline has passed, not before", () => {
    const clock = new FakeTimers();
    let expired = 0;
    const d = new DeadlineTimer(() => expired++, { now: clock.now, timers: clock });
    d.set(100);
    clock.advance(98);
    assert.equal(expired, 0);
    clock.advance(2);
    assert.equal(expired, 1);
    clock.advance(1000);
    assert.equal(expired, 1, "expires once per deadline");
  });

  test("a deadline moved later is honoured, with one timer started per firing rather than per move", () => {
    const clock = new FakeTimers();
    let expired = 0;
    const d = new DeadlineTimer(() => expired++, { now: clock.now, timers: clock });
    // A busy connection: a new deadline every millisecond for 10 s.
    for (let i = 0; i < 10_000; i++) {
      d.set(1000);
      clock.advance(1);
    }
    assert.equal(expired, 0);
    assert.ok(clock.started <= 11, `started ${clock.started} timers for 10,000 moves`);
    clock.advance(998);
    assert.equal(expired, 0);
    clock.advance(2);
    assert.equal(expired, 1);
  });

  test("a deadline moved earlier fires at the earlier time", () => {
    const clock = new FakeTimers();
    let expired = 0;
    const d = new DeadlineTimer(() => expired++, { now: clock.now, timers: clock });
    d.set(60_000);
    clock.advance(10);
    d.set(100);
    clock.advance(100);
    assert.equal(expired, 1);
  });

  test("clear stops it expiring; the armed timer ends without starting another", () => {
    const clock = new FakeTimers();
    let expired = 0;
    const d = new DeadlineTimer(() => expired++, { now: clock.now, timers: clock });
    d.set(100);
    d.clear();
    clock.advance(1000);
    assert.equal(expired, 0);
    assert.equal(clock.armed, 0);
    d.set(50);
    clock.advance(50);
    assert.equal(expired, 1, "a deadline set after a clear works");
  });

  test("dispose cancels the timer at once", () => {
    const clock = new FakeTimers();
    const d = new DeadlineTimer(() => assert.fail("expired after dispose"), {
      now: clock.now,
      timers: clock,
    });
    d.set(100);
    d.dispose();
    assert.equal(clock.armed, 0);
    clock.advance(1000);
  });

  test("runs on the real clock and timers", async () => {
    let expiredAt = 0;
    const started = performance.now();
    const d = new DeadlineTimer(() => {
      expiredAt = performance.now();
    });
    d.set(30);
    await new Promise((r) => setTimeout(r, 10));
    d.set(30);
    await new Promise((r) => setTimeout(r, 80));
    assert.ok(expiredAt - started >= 38, `expired ${expiredAt - started} ms after the start`);
  });
});
