// The namerd core: namespaces' dtabs in front of the namers, live changes, addr of bound ids, bounded caches.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Activity,
  Addr,
  BoundName as Bound,
  type BoundName,
  Cell,
  Dtab,
  type Name,
  type Namer,
  NameTree,
  Path,
  readDtab,
  readPath,
  type State,
  Var,
} from "../naming/index.ts";
import { Namerd, stripTransformerPrefix } from "./namerd-core.ts";
import { InMemoryDtabStore } from "./stores/in-memory-store.ts";

/** `/#/io.l5d.fs/<name>`: bound to one address per name from `ports`, Neg for unknown names. */
function fsNamer(ports: Record<string, Cell<Addr>>): Namer {
  return {
    lookup(path: Path): Activity<NameTree<Name>> {
      const name = path.elems[0];
      const addr = name === undefined ? undefined : ports[name];
      if (addr === undefined) return Activity.value(NameTree.neg);
      return Activity.value(
        NameTree.leaf(new Bound(Path.of("#", "io.l5d.fs", name as string), addr, path.drop(1))),
      );
    },
  };
}

const noGlobal: Namer = { lookup: () => Activity.value(NameTree.neg) };

function setup(dtabs: Record<string, string> = {}, cache = {}) {
  const pong = new Cell(Addr.bound([Addr.address("127.0.0.1", 8002)]));
  const ping = new Cell(Addr.bound([Addr.address("127.0.0.1", 8001)]));
  const store = new InMemoryDtabStore(new Map(Object.entries(dtabs).map(([k, v]) => [k, readDtab(v)])));
  const core = new Namerd({
    store,
    namers: [{ prefix: Path.of("#", "io.l5d.fs"), namer: fsNamer({ pong, ping }) }],
    global: noGlobal,
    cache,
  });
  return { core, store, pong, ping };
}

function leafId(tree: NameTree<BoundName>): string {
  return tree.kind === "leaf" ? tree.value.id.show : tree.kind;
}

describe("Namerd core", () => {
  test("binds through the namespace's dtab, then the request's extra dtab, then the namers", async () => {
    const { core } = setup({ default: "/svc => /#/io.l5d.fs" });
    const t = await core.bind("default", Dtab.empty, readPath("/svc/pong")).toPromise(1000);
    assert.equal(leafId(t), "/#/io.l5d.fs/pong");
    const t2 = await core
      .bind("default", readDtab("/svc/pong => /#/io.l5d.fs/ping"), readPath("/svc/pong"))
      .toPromise(1000);
    assert.equal(leafId(t2), "/#/io.l5d.fs/ping");
  });

  test("a namespace that does not exist binds with an empty dtab (Neg for logical names)", async () => {
    const { core } = setup();
    assert.equal(leafId(await core.bind("nope", Dtab.empty, readPath("/svc/pong")).toPromise(1000)), "neg");
    assert.equal(
      leafId(await core.bind("nope", Dtab.empty, readPath("/#/io.l5d.fs/pong")).toPromise(1000)),
      "/#/io.l5d.fs/pong",
    );
  });

  test("a dtab write reaches a binding being watched at once", async () => {
    const { core, store } = setup({ default: "/svc => /#/io.l5d.fs" });
    const seen: string[] = [];
    const sub = core
      .bind("default", Dtab.empty, readPath("/svc/web"))
      .observe((s: State<NameTree<BoundName>>) => {
        if (s.kind === "ok") seen.push(leafId(s.value));
      });
    await store.put("default", readDtab("/svc => /#/io.l5d.fs; /svc/web => /#/io.l5d.fs/pong"));
    await store.delete("default");
    sub.close();
    assert.deepEqual(seen, ["neg", "/#/io.l5d.fs/pong", "neg"]);
  });

  test("addr binds the id through the namers alone and follows its address; transformer prefixes are stripped", async () => {
    const { core, pong } = setup({ default: "/#/io.l5d.fs/pong => /nowhere" });
    const seen: string[] = [];
    const sub = core
      .addr("default", readPath("/%/io.l5d.port/4004/#/io.l5d.fs/pong"))
      .observe((a) => seen.push(Addr.describe(a)));
    pong.set(Addr.bound([Addr.address("127.0.0.1", 8002), Addr.address("127.0.0.2", 8002)]));
    sub.close();
    assert.deepEqual(seen, ["127.0.0.1:8002", "127.0.0.1:8002, 127.0.0.2:8002"]);
    assert.equal(core.addr("default", readPath("/#/io.l5d.fs/nobody")).sample().kind, "neg");
  });

  test("addr of something that is not one bound id is a failure naming it", () => {
    const store = new InMemoryDtabStore();
    const union: Namer = {
      lookup: () =>
        Activity.value(
          NameTree.union<Name>(
            NameTree.weighted(1, NameTree.leaf(new Bound(Path.of("a"), Var.value(Addr.neg)))),
            NameTree.weighted(1, NameTree.leaf(new Bound(Path.of("b"), Var.value(Addr.neg)))),
          ),
        ),
    };
    const core = new Namerd({
      store,
      namers: [{ prefix: Path.of("#", "alt"), namer: union }],
      global: noGlobal,
    });
    const a = core.addr("default", readPath("/#/alt/x")).sample();
    assert.deepEqual(a, { kind: "failed", cause: "/#/alt/x is not a concrete bound id" });
  });

  test("the delegation of a namespace puts the extra dtab's entries first, as namerd's", async () => {
    const { core } = setup({ yeezus: "/yeezy => /yeezus" });
    const t = await core.delegate("yeezus", readDtab("/yeezy=>/bar"), readPath("/yeezy")).toPromise(1000);
    assert.equal(t.kind, "alt");
    assert.deepEqual(t.kind === "alt" ? t.trees.map((x) => x.dentry.show) : [], [
      "/yeezy=>/bar",
      "/yeezy=>/yeezus",
    ]);
  });

  test("binding 5,000 different names keeps the binding cache within its bounds", async () => {
    const { core } = setup(
      { default: "/svc => /#/io.l5d.fs" },
      { bindingCacheActive: 100, bindingCacheInactive: 10 },
    );
    for (let i = 0; i < 5000; i++) {
      await core.bind("default", Dtab.empty, readPath(`/svc/random-${i}`)).toPromise(1000);
    }
    assert.ok(core.bindings.activeSize + core.bindings.inactiveSize <= 110);
    assert.ok(core.bindings.evictions >= 4890, `evictions ${core.bindings.evictions}`);
  });

  test("stripTransformerPrefix keeps ids without one", () => {
    assert.equal(stripTransformerPrefix(readPath("/#/io.l5d.fs/x")).show, "/#/io.l5d.fs/x");
    assert.equal(
      stripTransformerPrefix(readPath("/%/io.l5d.localhost/$/inet/127.1/1")).show,
      "/$/inet/127.1/1",
    );
  });

  test("boundNames lists what enumerating namers know, sorted", async () => {
    const store = new InMemoryDtabStore();
    const core = new Namerd({
      store,
      global: noGlobal,
      namers: [
        {
          prefix: Path.of("#", "b"),
          namer: noGlobal,
          boundNames: () => [readPath("/#/b/2"), readPath("/#/b/1")],
        },
        { prefix: Path.of("#", "a"), namer: noGlobal, boundNames: () => [readPath("/#/a/9")] },
      ],
    });
    const names = await core.boundNames().toPromise(1000);
    assert.deepEqual(
      names.map((p) => p.show),
      ["/#/a/9", "/#/b/1", "/#/b/2"],
    );
  });
});
