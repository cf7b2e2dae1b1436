import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Activity, ActivityTimeoutError, State, type Timers } from "./activity.ts";
import { Addr } from "./addr.ts";
import { readDtab, readPath } from "./index.ts";
import { ConfiguredNamersInterpreter } from "./interpreter.ts";
import { BoundName, type Name, type Namer } from "./name.ts";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { Cell, type Closable, Var } from "./var.ts";

/** Timers that only fire when the test advances the clock. */
class FakeTimers implements Timers {
  now = 0;
  #next = 1;
  readonly pending = new Map<number, { at: number; f: () => void }>();
  cleared = 0;

  setTimeout(f: () => void, ms: number): unknown {
    const id = this.#next++;
    this.pending.set(id, { at: this.now + ms, f });
    return id;
  }

  clearTimeout(handle: unknown): void {
    if (this.pending.delete(handle as number)) this.cleared++;
  }

  advance(ms: number): void {
    this.now += ms;
    for (const [id, t] of [...this.pending].sort((a, b) => a[1].at - b[1].at)) {
      if (t.at > this.now || !this.pending.has(id)) continue;
      this.pending.delete(id);
      t.f();
    }
  }
}

/** An Activity fed from a Cell of states through a Var.async that counts its starts and stops. */
function source<T>(initial: State<T> = State.pending) {
  const cell = new Cell<State<T>>(initial);
  const stats = { starts: 0, stops: 0 };
  const activity = new Activity<T>(
    Var.async<State<T>>(State.pending, (set) => {
      stats.starts++;
      const sub = cell.observe(set);
      return {
        close() {
          stats.stops++;
          sub.close();
        },
      };
    }),
  );
  return {
    cell,
    activity,
    stats,
    live: () => stats.starts - stats.stops,
    ok: (v: T) => cell.set(State.ok(v)),
    fail: (e: Error) => cell.set(State.failed(e)),
    pend: () => cell.set(State.pending),
  };
}

function record<T>(a: Activity<T>): { states: State<T>[]; sub: Closable } {
  const states: State<T>[] = [];
  const sub = a.observe((s) => states.push(s));
  return { states, sub };
}

/** A short form of a state for comparisons: `pending`, `ok:<json>`, `failed:<message>`. */
function show<T>(s: State<T>): string {
  if (s.kind === "ok") return `ok:${JSON.stringify(s.value)}`;
  if (s.kind === "failed") return `failed:${s.error.message}`;
  return "pending";
}

describe("Activity constructors", () => {
  test("value, exception and pending sample as Ok, Failed and Pending", () => {
    assert.equal(show(Activity.value(3).sample()), "ok:3");
    assert.equal(show(Activity.exception(new Error("bad")).sample()), "failed:bad");
    assert.equal(show(Activity.pending<number>().sample()), "pending");
  });
});

describe("Activity.map", () => {
  test("maps Ok values and passes Pending and Failed through, for every observer", () => {
    const src = source<number>();
    const mapped = src.activity.map((n) => n * 2);
    const a = record(mapped);
    const b = record(mapped);
    src.ok(2);
    src.fail(new Error("down"));
    src.ok(5);
    src.pend();
    const expected = ["pending", "ok:4", "failed:down", "ok:10", "pending"];
    assert.deepEqual(a.states.map(show), expected);
    assert.deepEqual(b.states.map(show), expected);
    a.sub.close();
    b.sub.close();
    assert.equal(src.live(), 0);
    assert.equal(src.cell.observerCount, 0);
  });

  test("a function that throws makes the state Failed", () => {
    const mapped = Activity.value("x").map((): string => {
      throw new Error("nope");
    });
    assert.equal(show(mapped.sample()), "failed:nope");
  });

  test("a thrown non-Error becomes an Error", () => {
    const mapped = Activity.value(1).map(() => {
      throw "plain";
    });
    const s = mapped.sample();
    assert.equal(s.kind, "failed");
    assert.ok(s.kind === "failed" && s.error instanceof Error && s.error.message === "plain");
  });
});

describe("Activity.flatMap", () => {
  test("follows the Activity made from the current value and switches when it changes", () => {
    const outer = source<"a" | "b">();
    const a = source<number>(State.ok(1));
    const b = source<number>(State.ok(100));
    const act = outer.activity.flatMap((w) => (w === "a" ? a.activity : b.activity));
    const { states, sub } = record(act);
    assert.deepEqual(states.map(show), ["pending"]);
    assert.equal(a.stats.starts, 0, "nothing is looked at while the outer is Pending");
    outer.ok("a");
    a.ok(2);
    outer.ok("b");
    assert.equal(a.live(), 0, "the old inner is released on the switch");
    assert.equal(b.live(), 1);
    a.ok(3);
    b.ok(200);
    const okValues = states.filter((s) => s.kind === "ok").map(show);
    assert.deepEqual(okValues, ["ok:1", "ok:2", "ok:100", "ok:200"]);
    sub.close();
    assert.equal(outer.live() + a.live() + b.live(), 0);
    assert.equal(b.stats.starts, b.stats.stops);
  });

  test("a failed or pending outer gives that state and releases the inner", () => {
    const outer = source<number>(State.ok(1));
    const inner = source<string>(State.ok("in"));
    const { states, sub } = record(outer.activity.flatMap(() => inner.activity));
    assert.equal(show(states.at(-1) as State<string>), 'ok:"in"');
    outer.fail(new Error("outer failed"));
    assert.equal(show(states.at(-1) as State<string>), "failed:outer failed");
    assert.equal(inner.live(), 0);
    outer.ok(2);
    assert.equal(show(states.at(-1) as State<string>), 'ok:"in"');
    outer.pend();
    assert.equal(show(states.at(-1) as State<string>), "pending");
    assert.equal(inner.live(), 0);
    sub.close();
    assert.equal(outer.live(), 0);
  });

  test("a function that throws makes the state Failed", () => {
    const act = Activity.value(1).flatMap((): Activity<number> => {
      throw new Error("lookup blew up");
    });
    assert.equal(show(act.sample()), "failed:lookup blew up");
  });

  test("a chain of flatMaps leaves no source observed once closed", () => {
    const s0 = source<number>(State.ok(1));
    const s1 = source<number>(State.ok(2));
    const s2 = source<number>(State.ok(3));
    const sources = [s0, s1, s2];
    const act = s0.activity.flatMap((x) => s1.activity.flatMap((y) => s2.activity.map((z) => x + y + z)));
    const { states, sub } = record(act);
    assert.equal(show(states.at(-1) as State<number>), "ok:6");
    s0.ok(10);
    s2.ok(30);
    assert.equal(show(states.at(-1) as State<number>), "ok:42");
    sub.close();
    for (const s of sources) {
      assert.equal(s.live(), 0);
      assert.equal(s.cell.observerCount, 0);
    }
  });
});

describe("Activity.collect", () => {
  test("is Ok with every value in order when every one is Ok", () => {
    const act = Activity.collect([Activity.value("a"), Activity.value("b"), Activity.value("c")]);
    assert.equal(show(act.sample()), 'ok:["a","b","c"]');
  });

  test("of nothing is Ok with an empty list", () => {
    assert.equal(show(Activity.collect<number>([]).sample()), "ok:[]");
  });

  test("is Pending while any is Pending and none has failed", () => {
    const act = Activity.collect([Activity.value(1), Activity.pending<number>()]);
    assert.equal(show(act.sample()), "pending");
  });

  test("is the first failure, even when a Pending comes before it", () => {
    const act = Activity.collect<number>([
      Activity.pending<number>(),
      Activity.exception(new Error("first")),
      Activity.exception(new Error("second")),
    ]);
    assert.equal(show(act.sample()), "failed:first");
  });

  test("changes when any member does, and releases them all", () => {
    const a = source<number>(State.ok(1));
    const b = source<number>();
    const { states, sub } = record(Activity.collect([a.activity, b.activity]));
    b.ok(2);
    a.ok(10);
    b.fail(new Error("b down"));
    b.ok(3);
    assert.deepEqual(states.map(show), ["pending", "ok:[1,2]", "ok:[10,2]", "failed:b down", "ok:[10,3]"]);
    sub.close();
    assert.equal(a.live() + b.live(), 0);
    assert.equal(a.cell.observerCount + b.cell.observerCount, 0);
  });
});

describe("Activity.handle", () => {
  test("turns a failure into a value and leaves Ok and Pending alone", () => {
    const src = source<string>();
    const { states, sub } = record(src.activity.handle((e) => `recovered from ${e.message}`));
    src.ok("fine");
    src.fail(new Error("oops"));
    src.pend();
    assert.deepEqual(states.map(show), ["pending", 'ok:"fine"', 'ok:"recovered from oops"', "pending"]);
    sub.close();
    assert.equal(src.live(), 0);
  });

  test("a handler that throws gives Failed with its error", () => {
    const act = Activity.exception(new Error("original")).handle((): never => {
      throw new Error("handler failed");
    });
    assert.equal(show(act.sample()), "failed:handler failed");
  });
});

describe("Activity.transform", () => {
  test("sees every state, Pending and Failed included", () => {
    const src = source<number>();
    const act = src.activity.transform((s) => Activity.value(s.kind));
    const { states, sub } = record(act);
    src.ok(1);
    src.fail(new Error("x"));
    assert.deepEqual(states.map(show), ['ok:"pending"', 'ok:"ok"', 'ok:"failed"']);
    sub.close();
    assert.equal(src.live(), 0);
  });

  test("a function that throws gives Failed with its error", () => {
    const act = Activity.value(1).transform((): Activity<number> => {
      throw new Error("transform failed");
    });
    assert.equal(show(act.sample()), "failed:transform failed");
  });
});

describe("Activity.toPromise", () => {
  test("resolves with a value that is there at once, leaving nothing observed", async () => {
    const src = source<number>(State.ok(7));
    assert.equal(await src.activity.toPromise(), 7);
    assert.equal(src.live(), 0);
  });

  test("rejects with a failure that is there at once", async () => {
    await assert.rejects(Activity.exception(new Error("gone")).toPromise(), /gone/);
  });

  test("waits through Pending for the first value, then lets go and clears its timer", async () => {
    const timers = new FakeTimers();
    const src = source<string>();
    const p = src.activity.toPromise(1000, timers);
    assert.equal(src.live(), 1);
    assert.equal(timers.pending.size, 1);
    timers.advance(999);
    src.ok("ready");
    assert.equal(await p, "ready");
    assert.equal(src.live(), 0);
    assert.equal(timers.pending.size, 0, "the timeout is cleared once settled");
    assert.equal(timers.cleared, 1);
  });

  test("rejects with the first failure after Pending", async () => {
    const timers = new FakeTimers();
    const src = source<string>();
    const p = src.activity.toPromise(1000, timers);
    src.fail(new Error("no such name"));
    await assert.rejects(p, /no such name/);
    assert.equal(src.live(), 0);
    assert.equal(timers.pending.size, 0);
  });

  test("rejects with ActivityTimeoutError when nothing comes in time, and stops observing", async () => {
    const timers = new FakeTimers();
    const src = source<string>();
    const p = src.activity.toPromise(250, timers);
    timers.advance(249);
    assert.equal(src.live(), 1, "still waiting just before the limit");
    timers.advance(1);
    await assert.rejects(p, (e: unknown) => {
      assert.ok(e instanceof ActivityTimeoutError);
      assert.match(e.message, /250 ms/);
      return true;
    });
    assert.equal(src.live(), 0);
    assert.equal(src.cell.observerCount, 0);
    src.ok("too late");
    assert.equal(src.stats.starts, 1, "a late value starts nothing again");
  });

  test("without a time limit sets no timer and waits", async () => {
    const timers = new FakeTimers();
    const src = source<number>();
    const p = src.activity.toPromise(undefined, timers);
    assert.equal(timers.pending.size, 0);
    src.ok(1);
    assert.equal(await p, 1);
    assert.equal(src.live(), 0);
  });

  test("only the first value counts", async () => {
    const src = source<number>();
    const p = src.activity.toPromise();
    src.ok(1);
    src.ok(2);
    assert.equal(await p, 1);
  });
});

describe("binding through ConfiguredNamersInterpreter leaves nothing behind", () => {
  /** A namer whose every lookup is an Activity fed by a per-name Cell, through a counted Var.async. */
  function fakeNamer(trees: Map<string, Cell<State<NameTree<Name>>>>) {
    const stats = { starts: 0, stops: 0, addrStarts: 0, addrStops: 0 };
    const addrCell = new Cell<Addr>(Addr.bound([Addr.address("10.0.0.1", 80)]));
    const addr = Var.async<Addr>(Addr.pending, (set) => {
      stats.addrStarts++;
      const sub = addrCell.observe(set);
      return {
        close() {
          stats.addrStops++;
          sub.close();
        },
      };
    });
    const namer: Namer = {
      lookup(path: Path) {
        const key = path.show;
        let cell = trees.get(key);
        if (cell === undefined) {
          cell = new Cell<State<NameTree<Name>>>(State.ok(NameTree.neg));
          trees.set(key, cell);
        }
        const c = cell;
        return new Activity(
          Var.async<State<NameTree<Name>>>(State.pending, (set) => {
            stats.starts++;
            const sub = c.observe(set);
            return {
              close() {
                stats.stops++;
                sub.close();
              },
            };
          }),
        );
      },
    };
    const leaf = (id: string, residual = Path.empty) =>
      State.ok(NameTree.leaf<Name>(new BoundName(readPath(id), addr, residual)));
    return { namer, stats, addrCell, leaf, live: () => stats.starts - stats.stops };
  }

  const noGlobal: Namer = { lookup: () => Activity.value(NameTree.neg) };

  test("observe a bind, close it: every lookup that was started is stopped", () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    trees.set("/users", new Cell(fake.leaf("/#/io.l5d.fake/users")));
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const bound = interpreter.bind(readDtab("/svc => /#/io.l5d.fake"), readPath("/svc/users"));
    const { states, sub } = record(bound);
    const last = states.at(-1) as State<NameTree<BoundName>>;
    assert.equal(last.kind, "ok");
    assert.ok(last.kind === "ok" && last.value.kind === "leaf");
    assert.equal(last.value.value.id.show, "/#/io.l5d.fake/users");
    assert.ok(fake.stats.starts >= 1);
    assert.ok(fake.live() > 0, "the lookup is observed while the bind is");
    sub.close();
    assert.equal(fake.stats.stops, fake.stats.starts);
    assert.equal(fake.live(), 0);
    for (const cell of trees.values()) assert.equal(cell.observerCount, 0);
  });

  test("the addr of a bound leaf is observed only while someone observes it", () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    trees.set("/users", new Cell(fake.leaf("/#/io.l5d.fake/users")));
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const bound = interpreter.bind(readDtab("/svc => /#/io.l5d.fake"), readPath("/svc/users"));
    const { states, sub } = record(bound);
    const last = states.at(-1) as State<NameTree<BoundName>>;
    assert.ok(last.kind === "ok" && last.value.kind === "leaf");
    const addrs: Addr[] = [];
    const addrSub = last.value.value.addr.observe((a) => addrs.push(a));
    fake.addrCell.set(Addr.bound([Addr.address("10.0.0.2", 80)]));
    assert.equal(Addr.describe(addrs.at(-1) as Addr), "10.0.0.2:80");
    addrSub.close();
    sub.close();
    assert.equal(fake.stats.addrStarts, fake.stats.addrStops);
    assert.equal(fake.addrCell.observerCount, 0);
    assert.equal(fake.live(), 0);
  });

  test("changes are followed through Alt fallbacks, and switched-away lookups are released", () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    const primary = new Cell<State<NameTree<Name>>>(fake.leaf("/#/io.l5d.fake/primary"));
    const backup = new Cell<State<NameTree<Name>>>(fake.leaf("/#/io.l5d.fake/backup"));
    trees.set("/primary", primary);
    trees.set("/backup", backup);
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const dtab = readDtab("/svc => /#/io.l5d.fake/primary | /#/io.l5d.fake/backup");
    const bound = interpreter.bind(dtab, readPath("/svc"));
    const ids: string[] = [];
    const sub = bound.observe((s) => {
      if (s.kind === "ok") ids.push(NameTree.show(s.value, (b) => b.id.show));
    });
    assert.equal(ids.at(-1), "/#/io.l5d.fake/primary");
    assert.equal(backup.observerCount, 0, "the backup is not looked at while the primary binds");
    primary.set(State.ok(NameTree.neg));
    assert.equal(ids.at(-1), "/#/io.l5d.fake/backup");
    primary.set(fake.leaf("/#/io.l5d.fake/primary"));
    assert.equal(ids.at(-1), "/#/io.l5d.fake/primary");
    assert.equal(backup.observerCount, 0, "the backup is released once the primary is back");
    for (let i = 0; i < 10; i++) {
      primary.set(State.ok(NameTree.neg));
      primary.set(fake.leaf("/#/io.l5d.fake/primary"));
    }
    assert.ok(fake.live() <= 2, `at most the live branches are observed, found ${fake.live()}`);
    sub.close();
    assert.equal(fake.live(), 0);
    assert.equal(fake.stats.starts, fake.stats.stops);
    assert.equal(primary.observerCount + backup.observerCount, 0);
  });

  test("a Union keeps every branch observed while bound and releases all of them on close", () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    const a = new Cell<State<NameTree<Name>>>(fake.leaf("/#/io.l5d.fake/a"));
    const b = new Cell<State<NameTree<Name>>>(State.pending);
    trees.set("/a", a);
    trees.set("/b", b);
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const dtab = readDtab("/svc => 3 * /#/io.l5d.fake/a & 1 * /#/io.l5d.fake/b");
    const shown: string[] = [];
    const sub = interpreter.bind(dtab, readPath("/svc")).observe((s) => {
      shown.push(s.kind === "ok" ? NameTree.show(s.value, (n) => n.id.show) : s.kind);
    });
    assert.equal(shown.at(-1), "/#/io.l5d.fake/a", "a Pending branch does not hold the others back");
    b.set(fake.leaf("/#/io.l5d.fake/b"));
    assert.equal(shown.at(-1), "3.00*/#/io.l5d.fake/a & /#/io.l5d.fake/b");
    assert.equal(a.observerCount, 1);
    assert.equal(b.observerCount, 1);
    sub.close();
    assert.equal(fake.live(), 0);
    assert.equal(a.observerCount + b.observerCount, 0);
  });

  test("a namer that fails surfaces as Failed and is released too", () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    const cell = new Cell<State<NameTree<Name>>>(State.failed(new Error("namer down")));
    trees.set("/x", cell);
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const { states, sub } = record(interpreter.bind(readDtab("/svc => /#/io.l5d.fake"), readPath("/svc/x")));
    assert.equal(show(states.at(-1) as State<unknown>), "failed:namer down");
    cell.set(fake.leaf("/#/io.l5d.fake/x"));
    assert.equal((states.at(-1) as State<unknown>).kind, "ok");
    sub.close();
    assert.equal(fake.live(), 0);
    assert.equal(cell.observerCount, 0);
  });

  test("toPromise on a bind settles and lets go of every lookup", async () => {
    const trees = new Map<string, Cell<State<NameTree<Name>>>>();
    const fake = fakeNamer(trees);
    const cell = new Cell<State<NameTree<Name>>>(State.pending);
    trees.set("/later", cell);
    const interpreter = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fake"), namer: fake.namer }],
      noGlobal,
    );
    const timers = new FakeTimers();
    const p = interpreter
      .bind(readDtab("/svc => /#/io.l5d.fake"), readPath("/svc/later"))
      .toPromise(5000, timers);
    assert.ok(fake.live() > 0);
    cell.set(fake.leaf("/#/io.l5d.fake/later"));
    const tree = await p;
    assert.equal(
      NameTree.show(tree, (n) => n.id.show),
      "/#/io.l5d.fake/later",
    );
    assert.equal(fake.live(), 0);
    assert.equal(cell.observerCount, 0);
    assert.equal(timers.pending.size, 0);
  });
});
