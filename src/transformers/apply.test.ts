// Tests for applying transformer lists: order, following the bound tree as it changes, interpreters and namers wrapped.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { GlobalNamer } from "../namers/global.ts";
import {
  Activity,
  Addr,
  type BoundName,
  Cell,
  ConfiguredNamersInterpreter,
  type DelegateTree,
  type Delegator,
  Dentry,
  type Dtab,
  delegateTreeToJson,
  type Name,
  type NameInterpreter,
  type Namer,
  NameTree,
  type Path,
  readDtab,
  readPath,
  resolveAddrs,
  State,
  showName,
  Var,
} from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import {
  applyDelegationTransformers,
  applyTransformers,
  transformedInterpreter,
  transformedNamer,
} from "./apply.ts";
import { localhostTransformer } from "./localhost.ts";
import { portTransformer } from "./port.ts";
import { boundName, flush, inet, okValue, onlyLeaf, record, showIds } from "./testkit.ts";

const pong8002 = () =>
  boundName("/#/io.l5d.serversets/discovery/pong", Var.value(Addr.bound([inet("127.0.0.1", 8002)])));

/** A stand-in for the io.l5d.namerd interpreter: namerd's answer for every path is whatever the Cell holds. */
function namerdLike(answer: Cell<State<NameTree<BoundName>>>): NameInterpreter & Delegator {
  return {
    bind: () => new Activity(answer),
    delegate: (_dtab: Dtab, path: Path) =>
      new Activity(answer).map(
        (tree): DelegateTree<BoundName> => ({
          kind: "delegate",
          path,
          dentry: Dentry.nop,
          tree: delegateOf(tree),
        }),
      ),
  };
}

function delegateOf(tree: NameTree<BoundName>): DelegateTree<BoundName> {
  if (tree.kind !== "leaf") return { kind: "neg", path: readPath("/"), dentry: Dentry.nop };
  return { kind: "leaf", path: tree.value.id, dentry: Dentry.nop, value: tree.value };
}

describe("applyTransformers", () => {
  test("applies the list in order: the first transformer's prefix ends up innermost", async () => {
    const local = localhostTransformer({}, { localIps: async () => ["127.0.0.1"] });
    const port = portTransformer({ port: 4004 });
    const leaf = NameTree.leaf(pong8002());
    const portThenLocal = onlyLeaf(okValue(applyTransformers([port, local], Activity.value(leaf))));
    const localThenPort = onlyLeaf(okValue(applyTransformers([local, port], Activity.value(leaf))));
    assert.equal(
      portThenLocal.id.show,
      "/%/io.l5d.localhost/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong",
    );
    assert.equal(
      localThenPort.id.show,
      "/%/io.l5d.port/4004/%/io.l5d.localhost/#/io.l5d.serversets/discovery/pong",
    );
    const a = record(portThenLocal.addr);
    const b = record(localThenPort.addr);
    await flush();
    assert.deepEqual(a.last(), Addr.bound([inet("127.0.0.1", 4004)]));
    assert.deepEqual(b.last(), Addr.bound([inet("127.0.0.1", 4004)]));
    a.sub.close();
    b.sub.close();
  });

  test("no transformers is the tree itself", () => {
    const tree = Activity.value(NameTree.leaf(pong8002()));
    assert.equal(applyTransformers([], tree), tree);
  });

  test("follows the bound tree as it changes, releasing the old one; Pending and Failed pass through", () => {
    const tree = new Cell<State<NameTree<BoundName>>>(State.pending);
    let transforms = 0;
    const port = portTransformer({ port: 4004 });
    const counting: NameTreeTransformer = {
      name: "counting",
      transform: (t) => {
        transforms++;
        return port.transform(t);
      },
      transformDelegation: (d) => port.transformDelegation(d),
    };
    const seen = record(applyTransformers([counting], new Activity(tree)).states);
    tree.set(State.ok(NameTree.leaf(pong8002())));
    tree.set(State.ok(NameTree.neg));
    tree.set(State.failed(new Error("namerd unreachable")));
    assert.deepEqual(
      seen.values.map((s) => (s.kind === "ok" ? showIds(s.value) : s.kind)),
      ["pending", "/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong", "~", "failed"],
    );
    assert.equal(transforms, 2, "only Ok trees are transformed");
    seen.sub.close();
    assert.equal(tree.observerCount, 0);
  });
});

describe("transformedInterpreter", () => {
  test("the seed article's router: io.l5d.namerd with io.l5d.port 4004 sends 8002's traffic to 4004", () => {
    const answer = new Cell<State<NameTree<BoundName>>>(State.ok(NameTree.leaf(pong8002())));
    const interpreter = transformedInterpreter(namerdLike(answer), [portTransformer({ port: 4004 })]);
    const seen = record(interpreter.bind(readDtab(""), readPath("/svc/pong")).states);
    const first = seen.last();
    const leaf = onlyLeaf(first.kind === "ok" ? first.value : assert.fail(first.kind));
    assert.equal(leaf.id.show, "/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong");
    const addrs = record(leaf.addr);
    assert.deepEqual(addrs.values, [Addr.bound([inet("127.0.0.1", 4004)])]);

    const moved = new Cell<Addr>(Addr.bound([inet("10.0.0.7", 8002)]));
    answer.set(State.ok(NameTree.leaf(boundName("/#/io.l5d.serversets/discovery/pong", moved))));
    const now = seen.last();
    const movedLeaf = onlyLeaf(now.kind === "ok" ? now.value : assert.fail(now.kind));
    const movedAddrs = record(movedLeaf.addr);
    moved.set(Addr.bound([inet("10.0.0.7", 8002), inet("10.0.0.8", 8002)]));
    assert.deepEqual(movedAddrs.last(), Addr.bound([inet("10.0.0.7", 4004), inet("10.0.0.8", 4004)]));
    for (const s of [addrs, movedAddrs, seen]) s.sub.close();
    assert.equal(answer.observerCount, 0);
    assert.equal(moved.observerCount, 0);
  });

  test("wraps the default interpreter: binding and the delegator's JSON both show the transformation", async () => {
    const fs = new Cell<Addr>(Addr.bound([inet("127.0.0.1", 8002)]));
    const fsNamer: Namer = {
      lookup: (path: Path) =>
        Activity.value<NameTree<Name>>(
          NameTree.leaf(
            boundName(
              `/#/io.l5d.fs/${path.elems[0]}`,
              fs,
              path.size > 1 ? `/${path.elems.slice(1).join("/")}` : "/",
            ),
          ),
        ),
    };
    const base = new ConfiguredNamersInterpreter(
      [{ prefix: readPath("/#/io.l5d.fs"), namer: fsNamer }],
      new GlobalNamer(),
    );
    const interpreter = transformedInterpreter(base, [portTransformer({ port: 4141 })]);
    const dtab = readDtab("/svc => /#/io.l5d.fs");

    const bound = onlyLeaf(okValue(interpreter.bind(dtab, readPath("/svc/web"))));
    assert.equal(bound.id.show, "/%/io.l5d.port/4141/#/io.l5d.fs/web");
    assert.deepEqual(bound.addr.sample(), Addr.bound([inet("127.0.0.1", 4141)]));

    const delegation = okValue(interpreter.delegate(dtab, readPath("/svc/web")));
    const json = delegateTreeToJson(delegation, await resolveAddrs(delegation, 100));
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
          path: "/%/io.l5d.port/4141/#/io.l5d.fs/web",
          dentry: { prefix: "/svc", dst: "/#/io.l5d.fs" },
          bound: {
            addr: { type: "bound", addrs: [{ ip: "127.0.0.1", port: 4141, meta: {} }], meta: {} },
            id: "/%/io.l5d.port/4141/#/io.l5d.fs/web",
            path: "/",
          },
        },
      },
    });
    assert.equal(fs.observerCount, 0, "resolveAddrs let go of every Addr");
  });
});

describe("applyDelegationTransformers", () => {
  test("nests one transformation node per transformer, in list order", () => {
    const leaf: DelegateTree<BoundName> = {
      kind: "leaf",
      path: readPath("/#/io.l5d.serversets/discovery/pong"),
      dentry: Dentry.nop,
      value: pong8002(),
    };
    const out = okValue(
      applyDelegationTransformers(
        [portTransformer({ port: 4004 }), localhostTransformer({}, { localIps: async () => [] })],
        Activity.value(leaf),
      ),
    );
    if (out.kind !== "transformation") assert.fail(out.kind);
    assert.equal(out.name, "io.l5d.port");
    if (out.tree.kind !== "transformation") assert.fail(out.tree.kind);
    assert.equal(out.tree.name, "io.l5d.localhost");
    assert.equal(out.tree.path.show, "/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong");
    assert.equal(
      out.tree.tree.path.show,
      "/%/io.l5d.localhost/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong",
    );
  });
});

describe("transformedNamer", () => {
  test("transforms a fully bound answer and passes one with paths still to look up", () => {
    const answers = new Map<string, NameTree<Name>>([
      ["bound", NameTree.alt<Name>(NameTree.leaf(pong8002()), NameTree.neg)],
      ["unbound", NameTree.alt<Name>(NameTree.leaf(pong8002()), NameTree.leaf(readPath("/srv/pong")))],
      ["neg", NameTree.neg],
    ]);
    const namer: Namer = {
      lookup: (p: Path) => Activity.value(answers.get(p.elems[0] as string) ?? NameTree.neg),
    };
    const wrapped = transformedNamer(namer, [portTransformer({ port: 4004 })]);
    const show = (tree: NameTree<Name>) => NameTree.show(tree, showName);
    assert.equal(
      show(okValue(wrapped.lookup(readPath("/bound")))),
      "/%/io.l5d.port/4004/#/io.l5d.serversets/discovery/pong | ~",
    );
    assert.equal(
      show(okValue(wrapped.lookup(readPath("/unbound")))),
      "/#/io.l5d.serversets/discovery/pong | /srv/pong",
    );
    assert.equal(okValue(wrapped.lookup(readPath("/neg"))), NameTree.neg);
  });
});
