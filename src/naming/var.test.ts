import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Cell, type Closable, Var } from "./var.ts";

/** A Var.async fed by a Cell, counting how often it is started and stopped. */
function counted<T>(cell: Cell<T>) {
  const stats = { starts: 0, stops: 0 };
  const v = Var.async<T>(cell.get(), (set) => {
    stats.starts++;
    const sub = cell.observe(set);
    return {
      close() {
        stats.stops++;
        sub.close();
      },
    };
  });
  return { v, stats, live: () => stats.starts - stats.stops };
}

function record<T>(v: Var<T>): { values: T[]; sub: Closable } {
  const values: T[] = [];
  const sub = v.observe((x) => values.push(x));
  return { values, sub };
}

describe("Var.value", () => {
  test("gives its value to every observer at once and samples it", () => {
    const v = Var.value(42);
    assert.deepEqual(record(v).values, [42]);
    assert.deepEqual(record(v).values, [42]);
    assert.equal(v.sample(), 42);
  });
});

describe("Cell", () => {
  test("an observer gets the current value at once, then every change in order", () => {
    const cell = new Cell(1);
    const { values, sub } = record(cell);
    cell.set(2);
    cell.set(3);
    assert.deepEqual(values, [1, 2, 3]);
    sub.close();
  });

  test("every observer sees every change", () => {
    const cell = new Cell("a");
    const one = record(cell);
    const two = record(cell);
    cell.set("b");
    assert.deepEqual(one.values, ["a", "b"]);
    assert.deepEqual(two.values, ["a", "b"]);
  });

  test("setting the very same value tells nobody", () => {
    const cell = new Cell(7);
    const { values } = record(cell);
    cell.set(7);
    assert.deepEqual(values, [7]);
  });

  test("a closed observer hears nothing more and is no longer counted; closing twice is harmless", () => {
    const cell = new Cell(0);
    const a = record(cell);
    const b = record(cell);
    assert.equal(cell.observerCount, 2);
    a.sub.close();
    a.sub.close();
    assert.equal(cell.observerCount, 1);
    cell.set(1);
    assert.deepEqual(a.values, [0]);
    assert.deepEqual(b.values, [0, 1]);
    b.sub.close();
    assert.equal(cell.observerCount, 0);
  });

  test("an observer closed by another during a change is not called with it", () => {
    const cell = new Cell(0);
    const seen: number[] = [];
    let second: Closable | undefined;
    const first = cell.observe((v) => {
      if (v === 1) second?.close();
    });
    second = cell.observe((v) => seen.push(v));
    cell.set(1);
    assert.deepEqual(seen, [0]);
    first.close();
    assert.equal(cell.observerCount, 0);
  });

  test("an observer that throws on its first value is not left subscribed", () => {
    const cell = new Cell(1);
    assert.throws(
      () =>
        cell.observe(() => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(cell.observerCount, 0);
  });

  test("sample and get give the current value without leaving an observer", () => {
    const cell = new Cell(5);
    cell.set(6);
    assert.equal(cell.sample(), 6);
    assert.equal(cell.get(), 6);
    assert.equal(cell.observerCount, 0);
  });
});

describe("Var.async", () => {
  test("starts on the first observer, shares the feed, and stops with the last", () => {
    const cell = new Cell(1);
    const { v, stats, live } = counted(cell);
    assert.equal(stats.starts, 0, "nothing starts before anyone observes");
    const a = record(v);
    const b = record(v);
    assert.equal(stats.starts, 1);
    cell.set(2);
    assert.deepEqual(a.values, [1, 2]);
    assert.deepEqual(b.values, [1, 2]);
    a.sub.close();
    assert.equal(stats.stops, 0, "still observed by b");
    cell.set(3);
    assert.deepEqual(b.values, [1, 2, 3]);
    b.sub.close();
    assert.equal(live(), 0);
    assert.equal(cell.observerCount, 0);
  });

  test("holds the initial value until start sets one, and a late observer gets the latest", () => {
    let set: ((v: string) => void) | undefined;
    const v = Var.async("initial", (s) => {
      set = s;
      return { close() {} };
    });
    const a = record(v);
    assert.deepEqual(a.values, ["initial"]);
    set?.("first");
    const b = record(v);
    assert.deepEqual(a.values, ["initial", "first"]);
    assert.deepEqual(b.values, ["first"]);
    a.sub.close();
    b.sub.close();
  });

  test("a value set synchronously by start reaches the first observer", () => {
    const v = Var.async(0, (set) => {
      set(9);
      return { close() {} };
    });
    assert.deepEqual(record(v).values, [0, 9]);
    assert.equal(v.sample(), 9);
  });

  test("sets after the feed is stopped are ignored", () => {
    let set: ((v: number) => void) | undefined;
    const v = Var.async(0, (s) => {
      set = s;
      return { close() {} };
    });
    const a = record(v);
    a.sub.close();
    set?.(5);
    assert.deepEqual(a.values, [0]);
    assert.equal(v.sample(), 0, "a new observation starts from the initial value");
  });

  test("observing again after the last observer left starts the feed again", () => {
    const cell = new Cell("x");
    const { v, stats, live } = counted(cell);
    record(v).sub.close();
    cell.set("y");
    const again = record(v);
    assert.deepEqual(again.values, ["x", "y"], "the initial value, then what the restarted feed sets");
    assert.equal(stats.starts, 2);
    again.sub.close();
    assert.equal(live(), 0);
  });

  test("closing the same observation twice does not stop a feed others still use", () => {
    const cell = new Cell(0);
    const { v, stats } = counted(cell);
    const a = record(v);
    const b = record(v);
    a.sub.close();
    a.sub.close();
    assert.equal(stats.stops, 0);
    cell.set(1);
    assert.deepEqual(b.values, [0, 1]);
    b.sub.close();
    assert.equal(stats.stops, 1);
  });

  test("an observer that throws on its first value does not leave the feed running", () => {
    const cell = new Cell(1);
    const { v, live } = counted(cell);
    assert.throws(
      () =>
        v.observe(() => {
          throw new Error("boom");
        }),
      /boom/,
    );
    assert.equal(live(), 0);
    const a = record(v);
    assert.equal(live(), 1, "the next observer starts the feed again");
    a.sub.close();
    assert.equal(live(), 0);
    assert.equal(cell.observerCount, 0);
  });

  test("sample starts and stops the feed", () => {
    const cell = new Cell(3);
    const { v, stats, live } = counted(cell);
    assert.equal(v.sample(), 3);
    assert.equal(stats.starts, 1);
    assert.equal(live(), 0);
  });
});

describe("Var.map", () => {
  test("follows every change, for every observer", () => {
    const cell = new Cell(1);
    const doubled = cell.map((x) => x * 2);
    const a = record(doubled);
    const b = record(doubled);
    cell.set(5);
    assert.deepEqual(a.values, [2, 10]);
    assert.deepEqual(b.values, [2, 10]);
    a.sub.close();
    b.sub.close();
    assert.equal(cell.observerCount, 0);
  });

  test("observes its source once however many observe it, and releases it with the last", () => {
    const cell = new Cell(1);
    const { v, stats, live } = counted(cell);
    const m = v.map((x) => x + 1);
    const subs = [record(m), record(m), record(m)];
    assert.equal(stats.starts, 1);
    assert.equal(cell.observerCount, 1);
    for (const s of subs) s.sub.close();
    assert.equal(live(), 0);
    assert.equal(cell.observerCount, 0);
  });

  test("a late observer gets the latest mapped value without recomputing", () => {
    const cell = new Cell(2);
    let calls = 0;
    const m = cell.map((x) => {
      calls++;
      return x * 10;
    });
    const a = record(m);
    cell.set(3);
    const b = record(m);
    assert.deepEqual(b.values, [30]);
    assert.equal(calls, 2);
    a.sub.close();
    b.sub.close();
  });

  test("sample of a mapped Var leaves no observer behind", () => {
    const cell = new Cell(4);
    assert.equal(cell.map((x) => x + 1).sample(), 5);
    assert.equal(cell.observerCount, 0);
  });

  test("a map that throws on the first value leaves the Var usable and the source unobserved", () => {
    const cell = new Cell(0);
    const m = cell.map((x) => {
      if (x === 0) throw new Error("zero");
      return 100 / x;
    });
    assert.throws(() => m.observe(() => {}), /zero/);
    assert.equal(cell.observerCount, 0, "the failed observation left nothing on the source");
    cell.set(4);
    const a = record(m);
    assert.deepEqual(a.values, [25]);
    a.sub.close();
    assert.equal(cell.observerCount, 0);
  });
  test("a late observer that throws does not keep the source observed", () => {
    const cell = new Cell(1);
    const m = cell.map((x) => x);
    const a = record(m);
    assert.throws(
      () =>
        m.observe(() => {
          throw new Error("late");
        }),
      /late/,
    );
    a.sub.close();
    assert.equal(cell.observerCount, 0);
  });
});

describe("Var.flatMap", () => {
  test("follows the inner Var of the current outer value and switches on change", () => {
    const which = new Cell<"a" | "b">("a");
    const a = new Cell("a1");
    const b = new Cell("b1");
    const v = which.flatMap((w) => (w === "a" ? a : b));
    const { values, sub } = record(v);
    a.set("a2");
    which.set("b");
    b.set("b2");
    assert.deepEqual(values, ["a1", "a2", "b1", "b2"]);
    sub.close();
  });

  test("releases the old inner Var when it switches, and ignores it afterwards", () => {
    const which = new Cell<"a" | "b">("a");
    const a = new Cell(1);
    const b = new Cell(100);
    const ca = counted(a);
    const cb = counted(b);
    const v = which.flatMap((w) => (w === "a" ? ca.v : cb.v));
    const { values, sub } = record(v);
    assert.equal(ca.live(), 1);
    which.set("b");
    assert.equal(ca.live(), 0, "a is released on the switch");
    assert.equal(a.observerCount, 0);
    assert.equal(cb.live(), 1);
    a.set(2);
    assert.deepEqual(values, [1, 100], "a change of the released inner is not seen");
    sub.close();
    assert.equal(cb.live(), 0);
    assert.equal(which.observerCount, 0);
    assert.equal(b.observerCount, 0);
  });

  test("switching to the same underlying source does not stop and restart it", () => {
    const outer = new Cell(1);
    const source = new Cell("s");
    const cs = counted(source);
    const v = outer.flatMap((n) => cs.v.map((s) => `${s}${n}`));
    const { values, sub } = record(v);
    outer.set(2);
    outer.set(3);
    assert.deepEqual(values, ["s1", "s2", "s3"]);
    assert.equal(cs.stats.starts, 1, "the new inner is observed before the old one is let go");
    sub.close();
    assert.equal(cs.live(), 0);
  });

  test("every observer sees the switch", () => {
    const which = new Cell(0);
    const inners = [new Cell("zero"), new Cell("one")];
    const v = which.flatMap((i) => inners[i] as Cell<string>);
    const a = record(v);
    const b = record(v);
    which.set(1);
    inners[1]?.set("uno");
    assert.deepEqual(a.values, ["zero", "one", "uno"]);
    assert.deepEqual(b.values, ["zero", "one", "uno"]);
    a.sub.close();
    b.sub.close();
    assert.ok(inners.every((c) => c.observerCount === 0));
    assert.equal(which.observerCount, 0);
  });

  test("an outer change made while the inner is being observed ends on the newest inner, with nothing left", () => {
    const outer = new Cell(0);
    const inners = [new Cell("zero"), new Cell("one")];
    const counters = inners.map((c) => counted(c));
    const bumping = Var.async("bump", (set) => {
      // Observing this inner changes the outer at once: flatMap must settle on the latest outer value.
      outer.set(1);
      set("bumped");
      return { close() {} };
    });
    const v = outer.flatMap((i) => (i === 0 ? bumping : (counters[i]?.v as Var<string>)));
    const { values, sub } = record(v);
    assert.equal(values.at(-1), "one");
    inners[1]?.set("uno");
    assert.equal(values.at(-1), "uno");
    assert.ok(!values.includes("bumped"), "the stale inner's values are never emitted");
    sub.close();
    assert.ok(counters.every((c) => c.live() === 0));
    assert.equal(outer.observerCount, 0);
  });

  test("nested flatMaps release every level when the observation closes", () => {
    const lvl1 = new Cell(1);
    const lvl2 = new Cell(10);
    const leaf = new Cell(100);
    const c2 = counted(lvl2);
    const c3 = counted(leaf);
    const v = lvl1.flatMap((x) => c2.v.flatMap((y) => c3.v.map((z) => x + y + z)));
    const { values, sub } = record(v);
    lvl2.set(20);
    leaf.set(200);
    lvl1.set(2);
    assert.deepEqual(values, [111, 121, 221, 222]);
    sub.close();
    assert.equal(c2.live(), 0);
    assert.equal(c3.live(), 0);
    assert.equal(c2.stats.starts, c2.stats.stops);
    assert.equal(c3.stats.starts, c3.stats.stops);
    assert.equal(lvl1.observerCount + lvl2.observerCount + leaf.observerCount, 0);
  });
});

describe("Var.collect", () => {
  test("gives every value in order and changes when any does", () => {
    const a = new Cell(1);
    const b = new Cell(2);
    const c = new Cell(3);
    const { values, sub } = record(Var.collect([a, b, c]));
    b.set(20);
    c.set(30);
    assert.deepEqual(values, [
      [1, 2, 3],
      [1, 20, 3],
      [1, 20, 30],
    ]);
    sub.close();
    assert.equal(a.observerCount + b.observerCount + c.observerCount, 0);
  });

  test("emits once at the start, not once per source", () => {
    const { values } = record(Var.collect([Var.value("x"), Var.value("y")]));
    assert.deepEqual(values, [["x", "y"]]);
  });

  test("of nothing is the empty list", () => {
    assert.deepEqual(Var.collect([]).sample(), []);
  });

  test("waits until every source has a value", () => {
    const cell = new Cell(1);
    let set: ((v: number) => void) | undefined;
    const silent = new (class extends Var<number> {
      observe(observer: (v: number) => void): Closable {
        set = observer;
        return { close() {} };
      }
    })();
    const { values, sub } = record(Var.collect([cell, silent]));
    assert.deepEqual(values, []);
    set?.(2);
    assert.deepEqual(values, [[1, 2]]);
    sub.close();
  });

  test("emitted lists are snapshots, not the live array", () => {
    const a = new Cell(1);
    const { values, sub } = record(Var.collect([a]));
    a.set(2);
    assert.deepEqual(values, [[1], [2]]);
    sub.close();
  });

  test("releases every source when the last observer leaves", () => {
    const cells = [new Cell(1), new Cell(2)];
    const counters = cells.map((c) => counted(c));
    const v = Var.collect(counters.map((c) => c.v));
    const a = record(v);
    const b = record(v);
    assert.ok(counters.every((c) => c.stats.starts === 1));
    a.sub.close();
    b.sub.close();
    assert.ok(counters.every((c) => c.live() === 0));
  });
});

describe("Var.dedup", () => {
  test("drops repeats of the last emitted value", () => {
    const cell = new Cell(1);
    const { values, sub } = record(cell.map((x) => x % 2).dedup());
    cell.set(3);
    cell.set(5);
    cell.set(6);
    cell.set(8);
    cell.set(9);
    assert.deepEqual(values, [1, 0, 1]);
    sub.close();
    assert.equal(cell.observerCount, 0);
  });

  test("uses the given equality", () => {
    const cell = new Cell({ n: 1 });
    const { values, sub } = record(cell.dedup((a, b) => a.n === b.n));
    cell.set({ n: 1 });
    cell.set({ n: 2 });
    assert.deepEqual(
      values.map((v) => v.n),
      [1, 2],
    );
    sub.close();
  });

  test("a new observation after all left starts afresh and gets the current value", () => {
    const cell = new Cell(1);
    const d = cell.dedup();
    record(d).sub.close();
    const again = record(d);
    assert.deepEqual(again.values, [1]);
    again.sub.close();
    assert.equal(cell.observerCount, 0);
  });
});
