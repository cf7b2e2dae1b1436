// Tests for io.l5d.const: the whole tree replaced by one path's binding, even Neg, in binding and in delegation.

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
import { CONST_KIND, constTransformer } from "./const.ts";
import { boundName, inet, okValue, onlyLeaf, record, showIds } from "./testkit.ts";

const globalBind = (path: Path) =>
  new ConfiguredNamersInterpreter([], new GlobalNamer()).bind(Dtab.empty, path);
const web = boundName("/#/io.l5d.fs/web", Var.value(Addr.bound([inet("10.0.0.1", 80)])));

describe("io.l5d.const", () => {
  test("gives the binding of the path whatever the tree, Neg included", () => {
    const t = constTransformer({ path: readPath("/$/inet/127.1/4141") }, { bind: globalBind });
    for (const tree of [NameTree.leaf(web), NameTree.neg, NameTree.fail, NameTree.empty]) {
      const out = onlyLeaf(okValue(t.transform(tree)));
      assert.equal(out.id.show, "/%/io.l5d.const/$/inet/127.1/4141");
      assert.deepEqual(out.addr.sample(), Addr.bound([inet("127.0.0.1", 4141)]));
    }
    assert.equal(t.name, CONST_KIND);
  });

  test("a path that binds to nothing gives that (Empty for /$/nil)", () => {
    const t = constTransformer({ path: readPath("/$/nil") }, { bind: globalBind });
    assert.equal(okValue(t.transform(NameTree.leaf(web))), NameTree.empty);
  });

  test("binds once, follows the binding, and lets go of it when closed", () => {
    const binding = new Cell<State<NameTree<BoundName>>>(State.ok(NameTree.neg));
    let calls = 0;
    const t = constTransformer(
      { path: readPath("/$/inet/gw/4141"), prefix: readPath("/c") },
      {
        bind: () => {
          calls++;
          return new Activity(binding);
        },
      },
    );
    const seen = record(t.transform(NameTree.neg).states);
    const gw = boundName("/$/inet/gw/4141", Var.value(Addr.bound([inet("10.1.0.1", 4141)])), "/r");
    binding.set(State.ok(NameTree.leaf(gw)));
    assert.deepEqual(
      seen.values.map((s) => (s.kind === "ok" ? showIds(s.value) : s.kind)),
      ["~", "/%/c/$/inet/gw/4141"],
    );
    const last = seen.last();
    assert.equal(last.kind === "ok" ? onlyLeaf(last.value).residual.show : "", "/r");
    seen.sub.close();
    record(t.transform(NameTree.neg).states).sub.close();
    assert.equal(calls, 1);
    assert.equal(binding.observerCount, 0);
  });
});

describe("io.l5d.const in delegation", () => {
  const dentry = new Dentry(Prefix.fromPath(readPath("/svc")), readNameTree("/#/io.l5d.fs"));

  test("a bound leaf becomes a transformation node; Neg, Fail and Empty ends become the binding; errors stay", () => {
    const t = constTransformer({ path: readPath("/$/inet/127.1/4141") }, { bind: globalBind });
    const tree: DelegateTree<BoundName> = {
      kind: "alt",
      path: readPath("/svc/web"),
      dentry,
      trees: [
        { kind: "neg", path: readPath("/"), dentry },
        { kind: "exception", path: readPath("/svc/web"), dentry, message: "boom" },
        { kind: "leaf", path: readPath("/#/io.l5d.fs/web"), dentry, value: web },
      ],
    };
    const out = okValue(t.transformDelegation(tree));
    if (out.kind !== "alt") assert.fail(out.kind);
    const [neg, error, leaf] = out.trees;
    assert.equal(neg?.kind, "leaf");
    assert.equal(neg?.path.show, "/%/io.l5d.const/$/inet/127.1/4141");
    assert.deepEqual(error, tree.trees[1]);
    if (leaf?.kind !== "transformation") assert.fail(leaf?.kind);
    assert.equal(leaf.name, "io.l5d.const");
    assert.equal(leaf.value, web);
    assert.equal(leaf.tree.kind, "leaf");
    assert.equal(leaf.tree.path.show, "/%/io.l5d.const/$/inet/127.1/4141");
  });

  test("a delegation that found nothing shows the binding in its place", () => {
    const t = constTransformer({ path: readPath("/$/inet/127.1/4141") }, { bind: globalBind });
    const out = okValue(t.transformDelegation({ kind: "neg", path: readPath("/"), dentry: Dentry.nop }));
    assert.equal(out.kind, "leaf");
    if (out.kind === "leaf") assert.equal(out.value.id.show, "/%/io.l5d.const/$/inet/127.1/4141");
  });
});
