// Tests for rewriting a delegation tree's ends: every kind of node visited, structure and transformations kept.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Addr, type BoundName, type DelegateTree, Dentry, readPath, Var } from "../naming/index.ts";
import { rewriteEnds, rewriteLeaves } from "./delegate-leaves.ts";
import { boundName } from "./testkit.ts";

const p = readPath;
const d = Dentry.nop;
const a = boundName("/#/io.l5d.fs/a", Var.value(Addr.neg));
const b = boundName("/#/io.l5d.fs/b", Var.value(Addr.neg));

const tree: DelegateTree<BoundName> = {
  kind: "delegate",
  path: p("/svc"),
  dentry: d,
  tree: {
    kind: "alt",
    path: p("/svc"),
    dentry: d,
    trees: [
      {
        kind: "union",
        path: p("/u"),
        dentry: d,
        trees: [
          { weight: 0.3, tree: { kind: "leaf", path: p("/a"), dentry: d, value: a } },
          { weight: 0.7, tree: { kind: "empty", path: p("/e"), dentry: d } },
        ],
      },
      {
        kind: "transformation",
        path: p("/t"),
        dentry: d,
        name: "earlier",
        value: a,
        tree: { kind: "leaf", path: p("/b"), dentry: d, value: b },
      },
      { kind: "neg", path: p("/"), dentry: d },
      { kind: "fail", path: p("/f"), dentry: d },
      { kind: "exception", path: p("/x"), dentry: d, message: "boom" },
    ],
  },
};

function ends(t: DelegateTree<BoundName>): string[] {
  const seen: string[] = [];
  rewriteEnds(t, (end) => {
    seen.push(`${end.kind} ${end.path.show}`);
    return end;
  });
  return seen;
}

describe("rewriteEnds", () => {
  test("visits every end, inside unions and transformations too, left to right", () => {
    assert.deepEqual(ends(tree), ["leaf /a", "empty /e", "leaf /b", "neg /", "fail /f", "exception /x"]);
  });

  test("returning each end unchanged gives an equal tree", () => {
    assert.deepEqual(
      rewriteEnds(tree, (e) => e),
      tree,
    );
  });
});

describe("rewriteLeaves", () => {
  test("replaces only bound leaves; the transformation above a leaf keeps its name and value", () => {
    const out = rewriteLeaves(tree, (leaf) => ({ kind: "fail", path: leaf.path, dentry: leaf.dentry }));
    assert.deepEqual(ends(out), ["fail /a", "empty /e", "fail /b", "neg /", "fail /f", "exception /x"]);
    if (out.kind !== "delegate" || out.tree.kind !== "alt") assert.fail("shape");
    const t = out.tree.trees[1];
    if (t?.kind !== "transformation") assert.fail("transformation kept");
    assert.equal(t.name, "earlier");
    assert.equal(t.value, a);
    const u = out.tree.trees[0];
    if (u?.kind !== "union") assert.fail("union kept");
    assert.deepEqual(
      u.trees.map((w) => w.weight),
      [0.3, 0.7],
    );
  });
});
