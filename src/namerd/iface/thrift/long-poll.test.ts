import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cell } from "../../../naming/index.ts";
import { contentStamp, LongPoll, PollCache, type Settled } from "./long-poll.ts";

const ok = (value: string): Settled<string> => ({ ok: true, value });
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
/** Stamps of strings: their content (failures by message). */
const stampOf = (r: Settled<string>) =>
  r.ok ? contentStamp("v", r.value) : contentStamp("f", r.error.message);

/** Resolves to "pending" if `p` has not settled after the current turn of the event loop. */
async function state<T>(p: Promise<T>): Promise<T | "pending"> {
  return Promise.race([p, new Promise<"pending">((r) => setImmediate(() => r("pending")))]);
}

describe("content stamps", () => {
  test("8 bytes of the value's hash: equal values, equal stamps; parts are length-delimited", () => {
    assert.equal(contentStamp("a", "b").length, 8);
    assert.equal(hex(contentStamp("a", "b")), hex(contentStamp("a", "b")));
    assert.notEqual(hex(contentStamp("a", "b")), hex(contentStamp("ab", "")));
    assert.notEqual(hex(contentStamp("a")), hex(contentStamp("b")));
  });
});

describe("LongPoll", () => {
  test("an empty stamp waits for the first value, then gets the current one at once", async () => {
    const cell = new Cell<Settled<string> | undefined>(undefined);
    const poll = new LongPoll(cell, stampOf);
    const first = poll.poll(new Uint8Array(0));
    assert.equal(await state(first), "pending");
    cell.set(ok("a"));
    const got = await first;
    assert.deepEqual(got.result, ok("a"));
    assert.equal(hex(got.stamp), hex(stampOf(ok("a"))));
    assert.equal((await poll.poll(new Uint8Array(0))).result, got.result);
  });

  test("the current stamp waits for a different value; equal values mint no stamp; another stamp gets the current", async () => {
    const cell = new Cell<Settled<string> | undefined>(ok("a"));
    const poll = new LongPoll(cell, stampOf);
    const a = await poll.poll(new Uint8Array(0));
    const waiting = poll.poll(a.stamp);
    cell.set(ok("a"));
    assert.equal(await state(waiting), "pending", "the same value again is no change");
    cell.set(undefined);
    assert.equal(await state(waiting), "pending", "pending is no change either");
    cell.set(ok("b"));
    const b = await waiting;
    assert.deepEqual(b.result, ok("b"));
    assert.notEqual(hex(b.stamp), hex(a.stamp));
    // A client holding the older stamp (it missed "b") gets "b" at once.
    assert.deepEqual((await poll.poll(a.stamp)).result, ok("b"));
  });

  test("failures are values too, compared by message", async () => {
    const cell = new Cell<Settled<string> | undefined>({ ok: false, error: new Error("boom") });
    const poll = new LongPoll(cell, stampOf);
    const f = await poll.poll(new Uint8Array(0));
    assert.equal(f.result.ok, false);
    const waiting = poll.poll(f.stamp);
    cell.set({ ok: false, error: new Error("boom") });
    assert.equal(await state(waiting), "pending");
    cell.set(ok("fixed"));
    assert.deepEqual((await waiting).result, ok("fixed"));
  });

  test("a new watch of the same value holds a caller that has it (stamps do not depend on the watch)", async () => {
    const cell = new Cell<Settled<string> | undefined>(ok("a"));
    const first = await new LongPoll(cell, stampOf).poll(new Uint8Array(0));
    const fresh = new LongPoll(cell, stampOf);
    const waiting = fresh.poll(first.stamp);
    assert.equal(await state(waiting), "pending");
    cell.set(ok("b"));
    assert.deepEqual((await waiting).result, ok("b"));
  });

  test("aborting a wait rejects it and forgets the waiter; close stops observing", async () => {
    const cell = new Cell<Settled<string> | undefined>(ok("a"));
    const poll = new LongPoll(cell, stampOf);
    const a = await poll.poll(new Uint8Array(0));
    const controller = new AbortController();
    const waiting = poll.poll(a.stamp, controller.signal);
    assert.equal(poll.waiting, 1);
    controller.abort(new Error("discarded"));
    await assert.rejects(waiting, /discarded/);
    assert.equal(poll.waiting, 0);
    assert.equal(cell.observerCount, 1);
    poll.close();
    assert.equal(cell.observerCount, 0);
  });
});

describe("PollCache", () => {
  function setup(capacity: number) {
    let now = 0;
    const cells = new Map<string, Cell<Settled<string> | undefined>>();
    const cache = new PollCache<string>({ capacity, idleTtlMs: 1000, now: () => now });
    const make = (key: string) => () => {
      const cell = cells.get(key) ?? new Cell<Settled<string> | undefined>(ok(key));
      cells.set(key, cell);
      return new LongPoll(cell, stampOf);
    };
    return { cache, make, cells, advance: (ms: number) => (now += ms) };
  }

  test("one watch per key, shared by every poll, closed once idle past the TTL", async () => {
    const { cache, make, cells, advance } = setup(10);
    await cache.poll("a", make("a"), new Uint8Array(0));
    await cache.poll("a", make("a"), new Uint8Array(0));
    assert.equal(cells.get("a")?.observerCount, 1);
    advance(999);
    cache.sweep();
    assert.equal(cache.size, 1);
    advance(1);
    cache.sweep();
    assert.equal(cache.size, 0);
    assert.equal(cells.get("a")?.observerCount, 0, "its observation released");
  });

  test("a watch with polls waiting is never dropped; past capacity idle ones go first, else polls get their own", async () => {
    const { cache, make, cells } = setup(2);
    const a = await cache.poll("a", make("a"), new Uint8Array(0));
    const waitingA = cache.poll("a", make("a"), a.stamp);
    await cache.poll("b", make("b"), new Uint8Array(0));
    const c = await cache.poll("c", make("c"), new Uint8Array(0));
    assert.deepEqual(cache.keys(), ["a", "c"], "full: the idle one (b) went, the busy one (a) stayed");
    assert.equal(cells.get("b")?.observerCount, 0);
    const waitingC = cache.poll("c", make("c"), c.stamp);
    await cache.poll("d", make("d"), new Uint8Array(0));
    assert.equal(cache.overflows, 1, "both slots busy: d got a watch of its own");
    assert.deepEqual(cache.keys(), ["a", "c"]);
    assert.equal(cells.get("d")?.observerCount, 0, "and it was closed after answering");
    cells.get("a")?.set(ok("a2"));
    cells.get("c")?.set(ok("c2"));
    assert.deepEqual((await waitingA).result, ok("a2"));
    assert.deepEqual((await waitingC).result, ok("c2"));
  });
});
