// NameTree: simplify, show and map, with the cases of Finagle's NameTreeTest ("NameTree.eval/simplified").

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { NameTree } from "./name-tree.ts";
import { Path } from "./path.ts";
import { readNameTree } from "./syntax.ts";

const show = (t: NameTree<Path>) => NameTree.show(t, (p) => p.show);
const simplified = (text: string) => show(NameTree.simplify(readNameTree(text)));
const leaf = (name: string) => NameTree.leaf(Path.utf8(name));

/**
 * Finagle's evaluation: the set of leaves a tree stands for, or undefined when it is negative or failed. An Alt
 * takes its first child that is not Neg and stops at Fail; a Union joins its children, skipping Neg and Fail.
 */
function evaluate(tree: NameTree<Path>): Set<string> | undefined {
  const r = evalTree(tree);
  return r === "neg" || r === "fail" ? undefined : r;
}

function evalTree(tree: NameTree<Path>): Set<string> | "neg" | "fail" {
  switch (tree.kind) {
    case "leaf":
      return new Set([tree.value.show]);
    case "empty":
      return new Set();
    case "neg":
    case "fail":
      return tree.kind;
    case "alt":
      for (const t of tree.trees) {
        const r = evalTree(t);
        if (r !== "neg") return r;
      }
      return "neg";
    case "union": {
      let out: Set<string> | undefined;
      for (const w of tree.trees) {
        const r = evalTree(w.tree);
        if (r !== "neg" && r !== "fail") out = new Set([...(out ?? []), ...r]);
      }
      return out ?? "neg";
    }
  }
}

describe("NameTree.simplify", () => {
  // Finagle's NameTreeTest: each tree evaluates, before and after simplifying, to the given set (or nothing).
  const cases: [string, string[] | undefined][] = [
    ["~", undefined],
    ["/ok", ["/ok"]],
    ["/ok & /ok1", ["/ok", "/ok1"]],
    ["/ok & ~ & /blah & $", ["/ok", "/blah"]],
    ["$ & $ & $", []],
    ["~ & ~ & (~ | ~)", undefined],
    ["~ | /foo | /bar", ["/foo"]],
    ["~ | $ | /blah", []],
    ["~ | (~ | $) | /blah", []],
    ["(~|$|/foo) & (/bar|/blah) & ~ & /FOO", ["/bar", "/FOO"]],
    ["! | /ok", undefined],
    ["/ok & !", ["/ok"]],
    ["! & ! & !", undefined],
    ["~ | /ok | !", ["/ok"]],
  ];
  for (const [text, expected] of cases) {
    test(`${text} evaluates to ${expected ? `{${expected.join(", ")}}` : "nothing"}, simplified or not`, () => {
      const tree = readNameTree(text);
      const want = expected === undefined ? undefined : new Set(expected);
      assert.deepEqual(evaluate(tree), want);
      assert.deepEqual(evaluate(NameTree.simplify(tree)), want);
    });
  }

  test("an Alt drops Neg children", () => {
    assert.equal(simplified("~ | /a | ~ | /b"), "/a | /b");
  });

  test("an Alt stops at the first Fail, keeping it", () => {
    assert.equal(simplified("/a | ! | /b"), "/a | !");
    assert.equal(simplified("~ | ! | /b"), "!");
    assert.equal(simplified("(~ | !) | /b"), "!");
  });

  test("an Alt keeps Empty: it is an answer", () => {
    assert.equal(simplified("~ | $ | /a"), "$ | /a");
  });

  test("a Union drops Neg and Fail children, and keeps Empty", () => {
    assert.equal(simplified("/a & ~ & ! & /b"), "/a & /b");
    assert.equal(simplified("/a & $"), "/a & $");
    assert.equal(simplified("0.2*/a & 0.3*~ & 0.5*/b"), "0.20*/a & 0.50*/b");
  });

  test("a Union of nothing but Neg and Fail is Neg", () => {
    assert.equal(simplified("~ & !"), "~");
    assert.equal(simplified("! & !"), "~");
  });

  test("a node left with one child becomes that child, whatever its weight", () => {
    assert.equal(simplified("/a | ~"), "/a");
    assert.equal(simplified("0.3*/a & 0.7*~"), "/a");
    const t = NameTree.simplify(readNameTree("0.3*/a & 0.7*~"));
    assert.equal(t.kind, "leaf");
  });

  test("nodes with no children are Neg", () => {
    assert.equal(NameTree.simplify(NameTree.alt<Path>()).kind, "neg");
    assert.equal(NameTree.simplify(NameTree.union<Path>()).kind, "neg");
  });

  test("children are simplified first, and weights kept", () => {
    assert.equal(simplified("0.5*(~ | /a) & 0.5*(/b & ~)"), "0.50*/a & 0.50*/b");
    assert.equal(simplified("(/a | ~) | (~ | /b & ~)"), "/a | /b");
  });

  test("leaves, Neg, Fail and Empty are already simple", () => {
    for (const t of [leaf("a"), NameTree.neg, NameTree.fail, NameTree.empty]) {
      assert.equal(NameTree.simplify(t), t);
    }
  });

  test("simplifying twice changes nothing more", () => {
    for (const text of ["(~|$|/foo) & (/bar|/blah) & ~ & /FOO", "~ | (/a & !) | !", "(/a|~) & (~|/b)"]) {
      const once = NameTree.simplify(readNameTree(text));
      const twice = NameTree.simplify(once);
      assert.ok(
        NameTree.equals(once, twice, (a, b) => a.equals(b)),
        `${show(once)} vs ${show(twice)}`,
      );
    }
  });
});

describe("NameTree.show", () => {
  test("leaves, Neg, Fail and Empty", () => {
    assert.equal(show(leaf("a")), "/a");
    assert.equal(show(NameTree.neg), "~");
    assert.equal(show(NameTree.fail), "!");
    assert.equal(show(NameTree.empty), "$");
  });

  test("Finagle's shown forms: weights with two decimals, parentheses for nested nodes", () => {
    const t = NameTree.alt(
      NameTree.union(
        NameTree.weighted(0.3, leaf("a")),
        NameTree.weighted(0.7, NameTree.alt(leaf("b"), leaf("c"))),
      ),
      NameTree.alt(leaf("d"), NameTree.empty),
      NameTree.union(
        NameTree.weighted(1, leaf("e")),
        NameTree.weighted(
          1,
          NameTree.union(NameTree.weighted(2, leaf("f")), NameTree.weighted(1, NameTree.fail)),
        ),
      ),
    );
    assert.equal(show(t), "0.30*/a & 0.70*(/b | /c) | (/d | $) | /e & (2.00*/f & !)");
  });

  test("a leaf is shown by the function given", () => {
    const t = NameTree.alt(
      NameTree.leaf(1),
      NameTree.union(NameTree.weighted(1, NameTree.leaf(2)), NameTree.weighted(0.5, NameTree.leaf(3))),
    );
    assert.equal(
      NameTree.show(t, (n) => `<${n}>`),
      "<1> | <2> & 0.50*<3>",
    );
  });
});

describe("NameTree.map", () => {
  test("maps every leaf, keeping the shape and the weights", () => {
    const t = readNameTree("0.3*/a & 0.7*(/b | ~) | ! | $");
    const mapped = NameTree.map(t, (p) => p.concat(Path.utf8("x")));
    assert.equal(show(mapped), "0.30*/a/x & 0.70*(/b/x | ~) | ! | $");
    assert.equal(show(t), "0.30*/a & 0.70*(/b | ~) | ! | $");
  });

  test("may change the leaf type", () => {
    const t = readNameTree("/a | /b/c & /d");
    const sizes = NameTree.map(t, (p) => p.size);
    assert.equal(NameTree.show(sizes, String), "1 | 2 & 1");
  });

  test("Neg, Fail and Empty map to themselves", () => {
    for (const t of [NameTree.neg, NameTree.fail, NameTree.empty]) {
      assert.equal(
        NameTree.map(t, () => assert.fail("no leaves to map")),
        t,
      );
    }
  });
});

describe("NameTree.leaves and equals", () => {
  test("leaves lists leaf values left to right", () => {
    const t = readNameTree("/a & (/b | ~) | /c | $");
    assert.deepEqual(
      NameTree.leaves(t).map((p) => p.show),
      ["/a", "/b", "/c"],
    );
  });

  test("equals compares kinds, order, weights and leaves", () => {
    const eq = (a: string, b: string) =>
      NameTree.equals(readNameTree(a), readNameTree(b), (x, y) => x.equals(y));
    assert.ok(eq("/a & 0.5*/b | ~", " /a&.5*/b|~ "));
    assert.ok(!eq("/a | /b", "/b | /a"));
    assert.ok(!eq("/a & 0.5*/b", "/a & 0.6*/b"));
    assert.ok(!eq("/a | /b", "/a & /b"));
    assert.ok(!eq("~", "!"));
    assert.ok(!eq("/a | /b", "/a | /b | /c"));
  });
});
