// Tests for io.l5d.port: every address moved to one port, ids prefixed, shape kept, changes followed, nothing leaked.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  Addr,
  type BoundName,
  Cell,
  type DelegateTree,
  Dentry,
  delegateTreeToJson,
  NameTree,
  Prefix,
  readNameTree,
  readPath,
  resolveAddrs,
  Var,
} from "../naming/index.ts";
import { PORT_KIND, portTransformer, withPort } from "./port.ts";
import { boundName, inet, okValue, onlyLeaf, record, showIds } from "./testkit.ts";

const port4141 = portTransformer({ port: 4141 });

describe("withPort", () => {
  test("sets every address's port and keeps IPs and metadata", () => {
    const addr = Addr.bound([inet("10.0.0.1", 8080, { endpoint_addr_weight: 2 }), inet("fe80::1", 9090)], {
      authority: "web",
    });
    assert.deepEqual(
      withPort(addr, 4141),
      Addr.bound([inet("10.0.0.1", 4141, { endpoint_addr_weight: 2 }), inet("fe80::1", 4141)], {
        authority: "web",
      }),
    );
  });

  test("an empty Bound stays Bound and empty; Neg, Failed and Pending pass through", () => {
    assert.deepEqual(withPort(Addr.bound([]), 4141), Addr.bound([]));
    for (const a of [Addr.neg, Addr.pending, Addr.failed("down")]) assert.equal(withPort(a, 4141), a);
  });
});

describe("io.l5d.port", () => {
  test("the seed article's case: namerd's 127.0.0.1:8002 goes to the remote sidecar's 4004", () => {
    const pong = boundName(
      "/#/io.l5d.serversets/discovery/pong",
      Var.value(Addr.bound([inet("127.0.0.1", 8002)])),
    );
    const out = onlyLeaf(okValue(portTransformer({ port: 4004 }).transform(NameTree.leaf(pong))));
    assert.equal(out.id.show, "/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong");
    assert.deepEqual(out.addr.sample(), Addr.bound([inet("127.0.0.1", 4004)]));
  });

  test("prefixes the id as Linkerd does and keeps the residual", () => {
    const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("10.0.0.1", 80)])), "/x/y");
    const out = onlyLeaf(okValue(port4141.transform(NameTree.leaf(web))));
    assert.equal(out.id.show, "/%/io.l5d.port/4141/#/io.l5d.fs/web");
    assert.equal(out.residual.show, "/x/y");
    assert.equal(port4141.name, PORT_KIND);
  });

  test("a configured prefix replaces /io.l5d.port/<port>", () => {
    const t = portTransformer({ port: 4141, prefix: readPath("/incoming") });
    const out = onlyLeaf(
      okValue(t.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", Var.value(Addr.neg))))),
    );
    assert.equal(out.id.show, "/%/incoming/#/io.l5d.fs/web");
  });

  test("keeps the tree's shape: Alt, weighted Union, Neg, Fail and Empty", () => {
    const a = boundName("/#/io.l5d.fs/a", Var.value(Addr.neg));
    const b = boundName("/#/io.l5d.fs/b", Var.value(Addr.neg));
    const tree = NameTree.alt<BoundName>(
      NameTree.union(NameTree.weighted(0.3, NameTree.leaf(a)), NameTree.weighted(0.7, NameTree.leaf(b))),
      NameTree.neg,
      NameTree.fail,
      NameTree.empty,
    );
    assert.equal(
      showIds(okValue(port4141.transform(tree))),
      "0.30*/%/io.l5d.port/4141/#/io.l5d.fs/a & 0.70*/%/io.l5d.port/4141/#/io.l5d.fs/b | ~ | ! | $",
    );
    for (const t of [NameTree.neg, NameTree.fail, NameTree.empty]) {
      assert.equal(okValue(port4141.transform(t)), t);
    }
  });

  test("follows the Addr as it changes, and lets go of it when closed", () => {
    const cell = new Cell<Addr>(Addr.pending);
    const out = onlyLeaf(okValue(port4141.transform(NameTree.leaf(boundName("/#/io.l5d.fs/web", cell)))));
    const seen = record(out.addr);
    assert.equal(cell.observerCount, 1);
    cell.set(Addr.bound([inet("10.0.0.1", 80)]));
    cell.set(Addr.bound([inet("10.0.0.1", 80), inet("10.0.0.2", 81)]));
    cell.set(Addr.neg);
    assert.deepEqual(seen.values, [
      Addr.pending,
      Addr.bound([inet("10.0.0.1", 4141)]),
      Addr.bound([inet("10.0.0.1", 4141), inet("10.0.0.2", 4141)]),
      Addr.neg,
    ]);
    seen.sub.close();
    assert.equal(cell.observerCount, 0);
  });

  test("refuses a port that is not one", () => {
    for (const port of [-1, 65536, 1.5, Number.NaN]) {
      assert.throws(() => portTransformer({ port }), RangeError);
    }
  });
});

describe("io.l5d.port in delegation", () => {
  const dentry = new Dentry(Prefix.fromPath(readPath("/svc")), readNameTree("/#/io.l5d.fs"));

  test("each bound leaf becomes a transformation node above the rewritten leaf", async () => {
    const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("127.0.0.1", 8002)])));
    const tree: DelegateTree<BoundName> = {
      kind: "delegate",
      path: readPath("/svc/web"),
      dentry: Dentry.nop,
      tree: { kind: "leaf", path: readPath("/#/io.l5d.fs/web"), dentry, value: web },
    };
    const out = okValue(portTransformer({ port: 4004 }).transformDelegation(tree));
    assert.equal(out.kind, "delegate");
    const t = out.kind === "delegate" ? out.tree : out;
    assert.equal(t.kind, "transformation");
    if (t.kind !== "transformation") return;
    assert.equal(t.name, PORT_KIND);
    assert.equal(t.value, web, "the node holds the name before the transformation");
    assert.equal(t.path.show, "/#/io.l5d.fs/web");
    assert.equal(t.tree.kind, "leaf");
    assert.equal(t.tree.path.show, "/%/io.l5d.port/4004/#/io.l5d.fs/web");
    assert.equal(t.tree.dentry, dentry);

    const json = delegateTreeToJson(out, await resolveAddrs(out, 100));
    assert.deepEqual(json, {
      type: "delegate",
      path: "/svc/web",
      delegate: {
        type: "transformation",
        path: "/#/io.l5d.fs/web",
        name: "io.l5d.port",
        bound: {
          addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 8002, meta: {} }], meta: {} },
          id: "/#/io.l5d.fs/web",
          path: "/",
        },
        tree: {
          type: "leaf",
          path: "/%/io.l5d.port/4004/#/io.l5d.fs/web",
          dentry: { prefix: "/svc", dst: "/#/io.l5d.fs" },
          bound: {
            addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 4004, meta: {} }], meta: {} },
            id: "/%/io.l5d.port/4004/#/io.l5d.fs/web",
            path: "/",
          },
        },
      },
    });
  });

  test("Neg, Fail, Empty and error nodes are left as they are", () => {
    const ends: DelegateTree<BoundName>[] = [
      { kind: "neg", path: readPath("/a"), dentry },
      { kind: "fail", path: readPath("/b"), dentry },
      { kind: "empty", path: readPath("/c"), dentry },
      { kind: "exception", path: readPath("/d"), dentry, message: "boom" },
    ];
    const tree: DelegateTree<BoundName> = { kind: "alt", path: readPath("/svc"), dentry, trees: ends };
    const out = okValue(port4141.transformDelegation(tree));
    assert.deepEqual(out, tree);
  });

  test("a transformation from an earlier transformer is kept and its leaf transformed in turn", () => {
    const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("10.0.0.1", 80)])));
    const leaf: DelegateTree<BoundName> = {
      kind: "leaf",
      path: readPath("/#/io.l5d.fs/web"),
      dentry,
      value: web,
    };
    const once = okValue(portTransformer({ port: 4004 }).transformDelegation(leaf));
    const twice = okValue(port4141.transformDelegation(once));
    assert.equal(twice.kind, "transformation");
    if (twice.kind !== "transformation" || twice.tree.kind !== "transformation") assert.fail("nested");
    assert.equal(twice.tree.path.show, "/%/io.l5d.port/4004/#/io.l5d.fs/web");
    assert.equal(twice.tree.tree.path.show, "/%/io.l5d.port/4141/%/io.l5d.port/4004/#/io.l5d.fs/web");
    const inner = twice.tree.tree;
    assert.equal(inner.kind, "leaf");
    if (inner.kind === "leaf")
      assert.deepEqual(inner.value.addr.sample(), Addr.bound([inet("10.0.0.1", 4141)]));
  });

  test("transform gives a value at once (no Pending step)", () => {
    const states = record(port4141.transform(NameTree.neg).states);
    assert.deepEqual(
      states.values.map((s) => s.kind),
      ["ok"],
    );
  });
});
