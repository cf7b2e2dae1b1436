// Tests for io.l5d.replace: every leaf replaced by one path's binding, Neg/Fail/Empty kept, changes followed, no leaks.

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
  Dentry,
  Dtab,
  NameTree,
  type Path,
  Prefix,
  readNameTree,
  readPath,
  State,
  Var,
} from "../naming/index.ts";
import { REPLACE_KIND, replaceLeaves, replaceTransformer } from "./replace.ts";
import { boundName, inet, okValue, onlyLeaf, record, showIds } from "./testkit.ts";

/** Binds through the real global namers with an empty dtab: `/$/inet/<ip>/<port>` needs no network. */
const globalBind = (path: Path) =>
  new ConfiguredNamersInterpreter([], new GlobalNamer()).bind(Dtab.empty, path);

const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("10.0.0.1", 80)])), "/x");
const api = boundName("/#/io.l5d.fs/api", Var.value(Addr.bound([inet("10.0.0.2", 80)])));

describe("replaceLeaves", () => {
  test("puts the replacement at every leaf and keeps Alt, Union weights, Neg, Fail and Empty", () => {
    const tree = readNameTree("/a & 0.5*/b | ~ | ! | $");
    const out = replaceLeaves(tree, readNameTree("/r"));
    assert.equal(
      NameTree.show(out, (p) => p.show),
      "/r & 0.50*/r | ~ | ! | $",
    );
  });
});

describe("io.l5d.replace", () => {
  test("every leaf becomes the binding of the path, id /%/io.l5d.replace ++ path, its residual kept", () => {
    const t = replaceTransformer({ path: readPath("/$/inet/127.1/4141/rest") }, { bind: globalBind });
    const out = okValue(
      t.transform(
        NameTree.alt<BoundName>(NameTree.leaf(web), NameTree.union(NameTree.weighted(2, NameTree.leaf(api)))),
      ),
    );
    assert.equal(
      showIds(out),
      "/%/io.l5d.replace/$/inet/127.1/4141/rest | /%/io.l5d.replace/$/inet/127.1/4141/rest",
    );
    const [first] = NameTree.leaves(out);
    assert.equal(first?.residual.show, "/rest");
    assert.deepEqual(first?.addr.sample(), Addr.bound([inet("127.0.0.1", 4141)]));
    assert.equal(t.name, REPLACE_KIND);
  });

  test("a tree without leaves is kept: a name that does not exist still does not", () => {
    const t = replaceTransformer({ path: readPath("/$/inet/127.1/4141") }, { bind: globalBind });
    for (const tree of [NameTree.neg, NameTree.fail, NameTree.empty])
      assert.equal(okValue(t.transform(tree)), tree);
  });

  test("a configured prefix replaces /io.l5d.replace", () => {
    const t = replaceTransformer(
      { path: readPath("/$/inet/127.1/4141"), prefix: readPath("/r") },
      { bind: globalBind },
    );
    assert.equal(onlyLeaf(okValue(t.transform(NameTree.leaf(web)))).id.show, "/%/r/$/inet/127.1/4141");
  });

  test("binds the path once, follows its changes, and lets go of it when closed", () => {
    const binding = new Cell<State<NameTree<BoundName>>>(State.pending);
    const calls: string[] = [];
    const bind = (path: Path) => {
      calls.push(path.show);
      return new Activity(binding);
    };
    const t = replaceTransformer({ path: readPath("/$/inet/gw/4141") }, { bind });
    const seen = record(t.transform(NameTree.leaf(web)).states);
    const also = record(t.transform(NameTree.leaf(api)).states);
    assert.deepEqual(calls, ["/$/inet/gw/4141"]);
    assert.equal(binding.observerCount, 1, "one shared watch of the binding");
    const gw1 = boundName("/$/inet/gw/4141", Var.value(Addr.bound([inet("10.1.0.1", 4141)])));
    binding.set(State.ok(NameTree.leaf(gw1)));
    binding.set(State.ok(NameTree.neg));
    binding.set(State.failed(new Error("dns down")));
    assert.deepEqual(
      seen.values.map((s) => (s.kind === "ok" ? showIds(s.value) : s.kind)),
      ["pending", "/%/io.l5d.replace/$/inet/gw/4141", "~", "failed"],
    );
    seen.sub.close();
    assert.equal(binding.observerCount, 1);
    also.sub.close();
    assert.equal(binding.observerCount, 0);
  });

  test("a bind that throws is a failed transformation, not a thrown one", () => {
    const t = replaceTransformer(
      { path: readPath("/$/x") },
      {
        bind: () => {
          throw new Error("no global namers");
        },
      },
    );
    const s = t.transform(NameTree.leaf(web)).sample();
    assert.equal(s.kind === "failed" ? s.error.message : s.kind, "no global namers");
  });
});

describe("io.l5d.replace in delegation", () => {
  const dentry = new Dentry(Prefix.fromPath(readPath("/svc")), readNameTree("/#/io.l5d.fs"));

  test("each bound leaf becomes a transformation node above the replacement; other nodes stay", () => {
    const t = replaceTransformer({ path: readPath("/$/inet/127.1/4141") }, { bind: globalBind });
    const tree: DelegateTree<BoundName> = {
      kind: "alt",
      path: readPath("/svc/web"),
      dentry,
      trees: [
        { kind: "neg", path: readPath("/"), dentry },
        { kind: "leaf", path: readPath("/#/io.l5d.fs/web"), dentry, value: web },
      ],
    };
    const out = okValue(t.transformDelegation(tree));
    if (out.kind !== "alt") assert.fail(out.kind);
    assert.deepEqual(out.trees[0], tree.trees[0]);
    const tr = out.trees[1];
    if (tr?.kind !== "transformation") assert.fail(tr?.kind);
    assert.equal(tr.name, "io.l5d.replace");
    assert.equal(tr.path.show, "/#/io.l5d.fs/web");
    assert.equal(tr.value, web);
    if (tr.tree.kind !== "leaf") assert.fail(tr.tree.kind);
    assert.equal(tr.tree.path.show, "/%/io.l5d.replace/$/inet/127.1/4141");
    assert.equal(tr.tree.value.id.show, "/%/io.l5d.replace/$/inet/127.1/4141");
  });
});
