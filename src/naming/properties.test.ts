// Property tests of the naming core: show-then-read gives back the same tree, dentry and dtab; simplify is a
// fixpoint that keeps evaluation (Finagle's NameTree.simplified contract); Path show/read round-trips any bytes;
// lookup never throws and agrees with a direct reading of Finagle's rule.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { ANY, Dentry, Dtab, Prefix, type PrefixElem } from "./dtab.ts";
import { NameTree, type Weighted } from "./name-tree.ts";
import { Path } from "./path.ts";
import { readDentry, readDtab, readNameTree, readPath } from "./syntax.ts";

const RUNS = { numRuns: 300 };

// ---------------------------------------------------------------------------------------------------------------
// Generators

/** Any non-empty label of bytes 0-255. */
const byteLabel = fc
  .array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 6 })
  .map((codes) => String.fromCharCode(...codes));

/** Mostly readable labels, sometimes arbitrary bytes. */
const label = fc.oneof(fc.constantFrom("a", "b", "svc", "#", "$", "io.l5d.fs", "web-1", "x_y:z%"), byteLabel);

const path = fc.array(label, { maxLength: 4 }).map((labels) => Path.of(...labels));

/** Weights with at most two decimals: they print as `0.30*` and read back exactly. */
const weight = fc.oneof(
  fc.constant(1),
  fc.integer({ min: 0, max: 1000 }).map((n) => n / 100),
);

/**
 * Name trees whose Alts and Unions have at least two children: a single-child node shows as its child, so it
 * cannot come back from its shown form (neither can it in Finagle).
 */
function trees(leafPath: fc.Arbitrary<Path>, maxDepth = 4): fc.Arbitrary<NameTree<Path>> {
  const simple = fc.oneof(
    { weight: 4, arbitrary: leafPath.map((p) => NameTree.leaf(p)) },
    { weight: 1, arbitrary: fc.constantFrom<NameTree<Path>>(NameTree.neg, NameTree.fail, NameTree.empty) },
  );
  const { tree } = fc.letrec<{
    tree: NameTree<Path>;
    alt: NameTree<Path>;
    union: NameTree<Path>;
  }>((tie) => ({
    tree: fc.oneof({ maxDepth, depthSize: "small", withCrossShrink: true }, simple, tie("alt"), tie("union")),
    alt: fc.array(tie("tree"), { minLength: 2, maxLength: 3 }).map((ts) => NameTree.alt(...ts)),
    union: fc
      .array(
        fc
          .record({ weight, tree: tie("tree") })
          .map((w): Weighted<Path> => NameTree.weighted(w.weight, w.tree)),
        { minLength: 2, maxLength: 3 },
      )
      .map((ws) => NameTree.union(...ws)),
  }));
  return tree;
}

/** Any tree, single-child and empty nodes included (for the properties that do not read shown forms). */
function looseTrees(leafPath: fc.Arbitrary<Path>): fc.Arbitrary<NameTree<Path>> {
  const { tree } = fc.letrec<{ tree: NameTree<Path>; alt: NameTree<Path>; union: NameTree<Path> }>((tie) => ({
    tree: fc.oneof(
      { maxDepth: 4, depthSize: "small", withCrossShrink: true },
      fc.oneof(
        leafPath.map((p) => NameTree.leaf(p)),
        fc.constantFrom<NameTree<Path>>(NameTree.neg, NameTree.fail, NameTree.empty),
      ),
      tie("alt"),
      tie("union"),
    ),
    alt: fc.array(tie("tree"), { maxLength: 3 }).map((ts) => NameTree.alt(...ts)),
    union: fc
      .array(
        fc
          .record({ weight, tree: tie("tree") })
          .map((w): Weighted<Path> => NameTree.weighted(w.weight, w.tree)),
        { maxLength: 3 },
      )
      .map((ws) => NameTree.union(...ws)),
  }));
  return tree;
}

const prefixElem: fc.Arbitrary<PrefixElem> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<PrefixElem>(ANY) },
  { weight: 4, arbitrary: label },
);
const prefix = fc.array(prefixElem, { maxLength: 3 }).map((elems) => new Prefix(elems));
const dentry = fc.record({ prefix, dst: trees(path, 3) }).map(({ prefix, dst }) => new Dentry(prefix, dst));
const dtab = fc.array(dentry, { maxLength: 6 }).map((ds) => new Dtab(ds));

// For lookups: a small alphabet so that prefixes often match, and dtabs long enough to pass any indexing threshold.
const smallLabel = fc.constantFrom("a", "b", "c");
const smallPath = fc.array(smallLabel, { maxLength: 5 }).map((ls) => Path.of(...ls));
const smallPrefix = fc
  .array(
    fc.oneof({ weight: 1, arbitrary: fc.constant<PrefixElem>(ANY) }, { weight: 3, arbitrary: smallLabel }),
    {
      maxLength: 4,
    },
  )
  .map((elems) => new Prefix(elems));
const smallDentry = fc
  .record({ prefix: smallPrefix, dst: trees(smallPath, 2) })
  .map((d) => new Dentry(d.prefix, d.dst));
const smallDtab = fc
  .oneof(fc.array(smallDentry, { maxLength: 8 }), fc.array(smallDentry, { minLength: 16, maxLength: 40 }))
  .map((ds) => new Dtab(ds));

// ---------------------------------------------------------------------------------------------------------------
// Helpers

const pathEq = (a: Path, b: Path) => a.equals(b);
const showTree = (t: NameTree<Path>) => NameTree.show(t, (p) => p.show);

/** Finagle's evaluation (NameTree.eval): the leaves a tree stands for, or "neg"/"fail". */
function evaluate(tree: NameTree<Path>): string[] | "neg" | "fail" {
  switch (tree.kind) {
    case "leaf":
      return [tree.value.show];
    case "empty":
      return [];
    case "neg":
    case "fail":
      return tree.kind;
    case "alt":
      for (const t of tree.trees) {
        const r = evaluate(t);
        if (r !== "neg") return r;
      }
      return "neg";
    case "union": {
      let out: string[] | undefined;
      for (const w of tree.trees) {
        const r = evaluate(w.tree);
        if (r !== "neg" && r !== "fail") out = [...(out ?? []), ...r];
      }
      return out === undefined ? "neg" : [...new Set(out)].sort();
    }
  }
}

const normalized = (r: string[] | "neg" | "fail") => (typeof r === "string" ? r : [...new Set(r)].sort());

/** Finagle's Dtab.lookup, read directly: every matching dentry, last first, the rest of the path appended. */
function referenceLookup(d: Dtab, p: Path): NameTree<Path> {
  const hits: NameTree<Path>[] = [];
  for (let i = d.dentries.length - 1; i >= 0; i--) {
    const { prefix, dst } = d.dentries[i]!;
    const n = prefix.elems.length;
    if (n > p.size || !prefix.elems.every((e, j) => e === ANY || e === p.elems[j])) continue;
    const rest = p.elems.slice(n);
    hits.push(NameTree.map(dst, (leaf) => Path.of(...leaf.elems, ...rest)));
  }
  if (hits.length === 0) return NameTree.neg;
  return hits.length === 1 ? hits[0]! : NameTree.alt(...hits);
}

/** True when the tree has no Neg under an Alt or Union, no Fail under a Union, and no node with fewer than two children. */
function isSimple(t: NameTree<Path>): boolean {
  switch (t.kind) {
    case "alt":
      return (
        t.trees.length >= 2 &&
        t.trees.every(
          (c, i) => c.kind !== "neg" && (c.kind !== "fail" || i === t.trees.length - 1) && isSimple(c),
        )
      );
    case "union":
      return (
        t.trees.length >= 2 &&
        t.trees.every((w) => w.tree.kind !== "neg" && w.tree.kind !== "fail" && isSimple(w.tree))
      );
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Properties

describe("properties: shown forms read back", () => {
  test("a path of any bytes shows with \\xNN escapes and reads back equal", () => {
    fc.assert(
      fc.property(fc.array(byteLabel, { maxLength: 6 }), (labels) => {
        const p = Path.of(...labels);
        const shown = p.show;
        assert.match(shown, /^(\/|(\/([0-9A-Za-z_:.#$%-]|\\x[0-9a-f]{2})+)+)$/);
        assert.ok(readPath(shown).equals(p), shown);
      }),
      RUNS,
    );
  });

  test("a path of any text reads back as the same text", () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: "binary", minLength: 1, maxLength: 5 }), { maxLength: 4 }),
        (texts) => {
          const p = Path.utf8(...texts);
          const back = readPath(p.show);
          assert.ok(back.equals(p));
          assert.deepEqual(back.utf8Elems, texts);
        },
      ),
      RUNS,
    );
  });

  test("a name tree shows and reads back as the same tree", () => {
    fc.assert(
      fc.property(trees(path), (t) => {
        const shown = showTree(t);
        const back = readNameTree(shown);
        assert.ok(NameTree.equals(back, t, pathEq), `${shown} read back as ${showTree(back)}`);
        assert.equal(showTree(back), shown);
      }),
      RUNS,
    );
  });

  test("a dentry shows and reads back as the same dentry", () => {
    fc.assert(
      fc.property(dentry, (d) => {
        const back = readDentry(d.show);
        assert.ok(back.equals(d), `${d.show} read back as ${back.show}`);
      }),
      RUNS,
    );
  });

  test("a dtab shows, and pretty-prints, and reads back as the same dtab", () => {
    fc.assert(
      fc.property(dtab, (d) => {
        assert.ok(readDtab(d.show).equals(d), d.show);
        assert.ok(readDtab(d.pretty).equals(d), d.pretty);
        if (!d.isEmpty) assert.ok(readDtab(`${d.show};`).equals(d), `${d.show};`);
      }),
      RUNS,
    );
  });

  test("show reads back even with whitespace and comments around every token", () => {
    fc.assert(
      fc.property(trees(path, 3), (t) => {
        const spaced = showTree(t)
          .replaceAll(" | ", " # or\n|\t")
          .replaceAll(" & ", "\n & ")
          .replaceAll("*", " * ")
          .replaceAll("(", "( ")
          .replaceAll(")", " )");
        const back = readNameTree(`  ${spaced}  # end`);
        assert.ok(NameTree.equals(back, t, pathEq), spaced);
      }),
      RUNS,
    );
  });
});

describe("properties: simplify", () => {
  test("simplify is idempotent", () => {
    fc.assert(
      fc.property(looseTrees(path), (t) => {
        const once = NameTree.simplify(t);
        const twice = NameTree.simplify(once);
        assert.ok(NameTree.equals(once, twice, pathEq), `${showTree(once)} then ${showTree(twice)}`);
      }),
      RUNS,
    );
  });

  test("simplify preserves evaluation", () => {
    fc.assert(
      fc.property(looseTrees(path), (t) => {
        assert.deepEqual(normalized(evaluate(NameTree.simplify(t))), normalized(evaluate(t)), showTree(t));
      }),
      RUNS,
    );
  });

  test("a simplified tree has no Neg among its children, Fail only last in an Alt, no single-child nodes", () => {
    fc.assert(
      fc.property(looseTrees(path), (t) => {
        const s = NameTree.simplify(t);
        assert.ok(isSimple(s), `${showTree(t)} simplified to ${showTree(s)}`);
      }),
      RUNS,
    );
  });

  test("simplify keeps the leaves' order and the weights of the branches it keeps", () => {
    fc.assert(
      fc.property(looseTrees(path), (t) => {
        const s = NameTree.simplify(t);
        const before = NameTree.leaves(t).map((p) => p.show);
        const after = NameTree.leaves(s).map((p) => p.show);
        // The leaves kept are a subsequence of the original leaves.
        let i = 0;
        for (const leaf of after) {
          while (i < before.length && before[i] !== leaf) i++;
          assert.ok(i < before.length, `${leaf} is not in order in ${showTree(t)}`);
          i++;
        }
      }),
      RUNS,
    );
  });
});

describe("properties: lookup", () => {
  test("lookup never throws, on any dtab and path", () => {
    fc.assert(
      fc.property(dtab, path, (d, p) => {
        const t = d.lookup(p);
        assert.ok(["leaf", "alt", "union", "neg", "fail", "empty"].includes(t.kind));
      }),
      RUNS,
    );
  });

  test("lookup agrees with Finagle's rule: every match, last first, the rest of the path appended", () => {
    fc.assert(
      fc.property(smallDtab, smallPath, (d, p) => {
        const actual = d.lookup(p);
        const expected = referenceLookup(d, p);
        assert.ok(
          NameTree.equals(actual, expected, pathEq),
          `lookup ${p.show} in ${d.show}: ${showTree(actual)}, expected ${showTree(expected)}`,
        );
      }),
      { numRuns: 500 },
    );
  });

  test("concatenation: lookups in d1 ++ d2 are d2's matches, then d1's", () => {
    fc.assert(
      fc.property(smallDtab, smallDtab, smallPath, (d1, d2, p) => {
        const both = d1.concat(d2).lookup(p);
        const fromD2 = referenceLookup(d2, p);
        const fromD1 = referenceLookup(d1, p);
        const branches = (t: NameTree<Path>, d: Dtab) => {
          const matches = d.dentries.filter((x) => x.prefix.matches(p)).length;
          if (matches === 0) return [];
          return matches === 1 ? [t] : t.kind === "alt" ? [...t.trees] : [t];
        };
        const expected = [...branches(fromD2, d2), ...branches(fromD1, d1)];
        const actual = expected.length > 1 && both.kind === "alt" ? [...both.trees] : [both];
        if (expected.length === 0) assert.equal(both.kind, "neg");
        else
          assert.ok(
            actual.length === expected.length &&
              actual.every((x, i) => NameTree.equals(x, expected[i]!, pathEq)),
          );
      }),
      RUNS,
    );
  });
});
