// The bounded observation cache: shared values, warm after release, and a bound that holds under a scan of keys.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Var } from "../naming/index.ts";
import { ObserverCache } from "./observer-cache.ts";

/** A source whose feed is counted: how many are running now, and how many were ever started. */
function counted() {
  let running = 0;
  let started = 0;
  const make = (value: string) =>
    Var.async(value, () => {
      running++;
      started++;
      return { close: () => running-- };
    });
  return { make, running: () => running, started: () => started };
}

function cache(now: () => number, active = 3, inactive = 2, ttlMs = 1000) {
  return new ObserverCache<string>({
    activeCapacity: active,
    inactiveCapacity: inactive,
    inactiveTtlMs: ttlMs,
    now,
  });
}

describe("ObserverCache", () => {
  test("one feed per key, shared by everyone who observes it", () => {
    const feeds = counted();
    const c = cache(() => 0);
    const a = c.get("k", () => feeds.make("v"));
    const b = c.get("k", () => feeds.make("v"));
    const s1 = a.observe(() => {});
    const s2 = b.observe(() => {});
    assert.equal(feeds.started(), 1);
    assert.equal(c.activeSize, 1);
    s1.close();
    s2.close();
    assert.equal(c.activeSize, 0);
    assert.equal(c.inactiveSize, 1);
    assert.equal(feeds.running(), 1, "kept warm after its last observer left");
  });

  test("a warm entry is dropped, its feed stopped, once idle past the TTL", () => {
    let now = 0;
    const feeds = counted();
    const c = cache(() => now);
    c.get("k", () => feeds.make("v"))
      .observe(() => {})
      .close();
    now = 999;
    c.get("other", () => feeds.make("o"));
    assert.equal(feeds.running(), 2);
    now = 2500;
    c.get("third", () => feeds.make("t"));
    // "k" (released at 0) and "other" (made at 999, never observed) are both past the TTL now.
    assert.equal(c.inactiveSize, 1);
    assert.equal(feeds.running(), 1);
  });

  test("a scan of 10,000 different keys keeps at most active + inactive feeds", () => {
    const feeds = counted();
    const c = cache(() => 0, 50, 20);
    for (let i = 0; i < 10_000; i++) {
      const v = c.get(`key-${i}`, () => feeds.make(String(i)));
      v.observe(() => {}).close();
    }
    assert.equal(feeds.started(), 10_000);
    assert.ok(c.activeSize + c.inactiveSize <= 70, `${c.activeSize} + ${c.inactiveSize}`);
    assert.ok(feeds.running() <= 70, `${feeds.running()} feeds still running`);
  });

  test("with the active set full, a new key gets an unshared value that stops with its observer", () => {
    const feeds = counted();
    const c = cache(() => 0, 2, 0);
    const subs = ["a", "b"].map((k) => c.get(k, () => feeds.make(k)).observe(() => {}));
    assert.equal(c.activeSize, 2);
    const extra = c.get("c", () => feeds.make("c"));
    assert.equal(c.overflows, 1);
    const sub = extra.observe(() => {});
    assert.equal(feeds.running(), 3);
    sub.close();
    assert.equal(feeds.running(), 2);
    for (const s of subs) s.close();
    assert.equal(feeds.running(), 0, "inactive capacity 0: released entries stop at once");
  });

  test("clear stops every feed", () => {
    const feeds = counted();
    const c = cache(() => 0);
    c.get("a", () => feeds.make("a"));
    c.get("b", () => feeds.make("b")).observe(() => {});
    c.clear();
    assert.equal(feeds.running(), 1, "the outside observer of b still holds its own feed");
  });
});
