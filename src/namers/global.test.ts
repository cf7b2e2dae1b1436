import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Activity,
  Addr,
  BoundName,
  ConfiguredNamersInterpreter,
  type Name,
  type Namer,
  NameTree,
  readDtab,
  readPath,
  type State,
  type Timers,
} from "../naming/index.ts";
import { builtinNamers, GlobalNamer, UnknownNamerError } from "./global.ts";
import type { HostLookup } from "./inet/resolver.ts";

class FakeTimers implements Timers {
  readonly pending = new Map<number, () => void>();
  #next = 1;
  setTimeout(f: () => void): unknown {
    const id = this.#next++;
    this.pending.set(id, f);
    return id;
  }
  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }
  fireAll(): void {
    const due = [...this.pending.values()];
    this.pending.clear();
    for (const f of due) f();
  }
}

const neverLookup: HostLookup = () => {
  throw new Error("an IP literal must not be looked up");
};

function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const global = new GlobalNamer(builtinNamers({ lookup: neverLookup, timers: new FakeTimers() }));

function lookup(path: string): State<NameTree<Name>> {
  return global.lookup(readPath(path)).sample();
}

function shown(s: State<NameTree<Name>>): string {
  if (s.kind === "failed") return `failed: ${s.error.message}`;
  if (s.kind === "pending") return "pending";
  return NameTree.show(s.value, (n) => (n instanceof BoundName ? `bound(${n.id.show})` : n.show));
}

describe("GlobalNamer", () => {
  test("/$/inet/<host>/<port>/<residual> binds with id and residual", () => {
    const s = lookup("/$/inet/127.1/8002/x/y");
    assert.ok(s.kind === "ok" && s.value.kind === "leaf");
    const b = s.value.value;
    assert.ok(b instanceof BoundName);
    assert.equal(b.id.show, "/$/inet/127.1/8002");
    assert.equal(b.residual.show, "/x/y");
    assert.equal(Addr.describe(b.addr.sample()), "127.0.0.1:8002");
  });

  test("/$/inet/<port> binds to 127.0.0.1", () => {
    const s = lookup("/$/inet/9990");
    assert.ok(s.kind === "ok" && s.value.kind === "leaf" && s.value.value instanceof BoundName);
    assert.equal(Addr.describe(s.value.value.addr.sample()), "127.0.0.1:9990");
  });

  test("/$/fixedinet binds with a fixedinet id", () => {
    assert.equal(shown(lookup("/$/fixedinet/10.0.0.1/80")), "bound(/$/fixedinet/10.0.0.1/80)");
  });

  test("/$/nil is Empty, whatever follows", () => {
    assert.equal(shown(lookup("/$/nil")), "$");
    assert.equal(shown(lookup("/$/nil/anything/here")), "$");
  });

  test("/$/fail is Fail, whatever follows", () => {
    assert.equal(shown(lookup("/$/fail")), "!");
    assert.equal(shown(lookup("/$/fail/anything")), "!");
  });

  test("an unknown /$/<kind> fails with Linkerd's message", () => {
    const s = global.lookup(readPath("/$/kind/a/b")).sample();
    assert.equal(s.kind, "failed");
    assert.ok(s.kind === "failed");
    assert.ok(s.error instanceof UnknownNamerError);
    assert.equal(s.error.message, "Unknown namer: kind for path: /$/kind/a/b");
  });

  test("paths outside /$/ are Neg", () => {
    for (const p of ["/svc/foo", "/#/io.l5d.fs/foo", "/$", "/inet/127.0.0.1/80", "/"]) {
      assert.equal(shown(lookup(p)), "~", p);
    }
  });

  test("a port out of range fails", () => {
    assert.match(shown(lookup("/$/inet/127.0.0.1/65536")), /^failed: .*port out of range/);
    assert.match(shown(lookup("/$/inet/65536")), /^failed: .*port out of range/);
  });

  test("the rewriting namers are reachable under /$/", () => {
    assert.equal(shown(lookup("/$/io.buoyant.http.anyMethod/GET/foo")), "/foo");
  });

  test("kinds can be supplied", () => {
    const only: Namer = { lookup: (p) => Activity.value(NameTree.leaf<Name>(p)) };
    const g = new GlobalNamer(new Map([["mine", only]]));
    assert.equal(shown(g.lookup(readPath("/$/mine/a/b")).sample()), "/a/b");
    assert.match(shown(g.lookup(readPath("/$/inet/127.0.0.1/80")).sample()), /Unknown namer: inet/);
  });
});

describe("GlobalNamer through ConfiguredNamersInterpreter", () => {
  const interpreter = new ConfiguredNamersInterpreter([], global);

  function bind(dtab: string, path: string): State<NameTree<BoundName>> {
    return interpreter.bind(readDtab(dtab), readPath(path)).sample();
  }

  function show(s: State<NameTree<BoundName>>): string {
    if (s.kind !== "ok") return s.kind === "failed" ? `failed: ${s.error.message}` : "pending";
    return NameTree.show(s.value, (b) =>
      b.residual.isEmpty ? b.id.show : `${b.id.show}+${b.residual.show}`,
    );
  }

  test("a dtab entry to /$/inet binds, with the rest of the path as residual", () => {
    assert.equal(show(bind("/svc => /$/inet/127.1/8002", "/svc")), "/$/inet/127.1/8002");
    assert.equal(show(bind("/svc => /$/inet/127.1/8002", "/svc/users")), "/$/inet/127.1/8002+/users");
  });

  test("a path bound directly, with no dtab", () => {
    assert.equal(show(bind("", "/$/inet/10.0.0.1/80")), "/$/inet/10.0.0.1/80");
  });

  test("an unknown kind fails the binding with the full path", () => {
    assert.equal(show(bind("/svc => /$/nope", "/svc/x")), "failed: Unknown namer: nope for path: /$/nope/x");
  });

  test("/$/fail stops an Alt; /$/nil is a real (empty) answer; Neg falls through", () => {
    assert.equal(show(bind("/svc => /$/fail | /$/inet/127.1/80", "/svc")), "!");
    assert.equal(show(bind("/svc => /$/nil | /$/inet/127.1/80", "/svc")), "$");
    assert.equal(show(bind("/svc => /nowhere | /$/inet/127.1/80", "/svc")), "/$/inet/127.1/80");
  });

  test("a path the dtab does not know and that is not /$/ is Neg", () => {
    assert.equal(show(bind("/svc => /$/inet/127.1/80", "/other")), "~");
  });

  test("a bound host name is looked up only while observed, and nothing is left after close", async () => {
    const timers = new FakeTimers();
    let lookups = 0;
    const g = new GlobalNamer(
      builtinNamers({
        lookup: async () => {
          lookups++;
          return ["10.0.0.7"];
        },
        timers,
      }),
    );
    const interp = new ConfiguredNamersInterpreter([], g);
    const tree = await interp
      .bind(readDtab("/svc => /$/inet/svc.example/8080"), readPath("/svc"))
      .toPromise(1000, timers);
    assert.equal(timers.pending.size, 0, "toPromise cleared its timeout");
    assert.ok(tree.kind === "leaf");
    assert.equal(lookups, 0);
    const seen: string[] = [];
    const sub = tree.value.addr.observe((a) => seen.push(Addr.describe(a)));
    await flush();
    assert.deepEqual(seen, ["pending", "10.0.0.7:8080"]);
    assert.equal(timers.pending.size, 1, "a refresh is scheduled while observed");
    timers.fireAll();
    await flush();
    assert.equal(lookups, 2);
    sub.close();
    assert.equal(timers.pending.size, 0, "closing stops the refresh");
    await flush();
    assert.equal(lookups, 2);
  });
});
