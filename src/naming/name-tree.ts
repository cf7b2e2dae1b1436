// NameTree: Finagle's tree of names (Leaf, Alt, Union, Neg, Fail, Empty) with map, simplify, show and equality.

export interface Weighted<T> {
  readonly weight: number;
  readonly tree: NameTree<T>;
}

export type NameTree<T> =
  | { readonly kind: "leaf"; readonly value: T }
  | { readonly kind: "alt"; readonly trees: readonly NameTree<T>[] }
  | { readonly kind: "union"; readonly trees: readonly Weighted<T>[] }
  | { readonly kind: "neg" }
  | { readonly kind: "fail" }
  | { readonly kind: "empty" };

export type Leaf<T> = Extract<NameTree<T>, { kind: "leaf" }>;

export const DEFAULT_WEIGHT = 1;

const NEG: NameTree<never> = Object.freeze({ kind: "neg" });
const FAIL: NameTree<never> = Object.freeze({ kind: "fail" });
const EMPTY: NameTree<never> = Object.freeze({ kind: "empty" });

export const NameTree = {
  /** No destination exists here: lookups fall through to the next alternative. */
  neg: NEG,
  /** The name failed: an Alt stops here rather than trying later branches. */
  fail: FAIL,
  /** The name exists but has no endpoints at this time. */
  empty: EMPTY,

  leaf<T>(value: T): NameTree<T> {
    return { kind: "leaf", value };
  },

  alt<T>(...trees: NameTree<T>[]): NameTree<T> {
    return { kind: "alt", trees };
  },

  union<T>(...trees: Weighted<T>[]): NameTree<T> {
    return { kind: "union", trees };
  },

  weighted<T>(weight: number, tree: NameTree<T>): Weighted<T> {
    return { weight, tree };
  },

  map<T, U>(tree: NameTree<T>, f: (value: T) => U): NameTree<U> {
    switch (tree.kind) {
      case "leaf":
        return { kind: "leaf", value: f(tree.value) };
      case "alt":
        return { kind: "alt", trees: tree.trees.map((t) => NameTree.map(t, f)) };
      case "union":
        return {
          kind: "union",
          trees: tree.trees.map((w) => ({ weight: w.weight, tree: NameTree.map(w.tree, f) })),
        };
      default:
        return tree;
    }
  },

  /** The leaves' values, left to right. */
  leaves<T>(tree: NameTree<T>, into: T[] = []): T[] {
    switch (tree.kind) {
      case "leaf":
        into.push(tree.value);
        break;
      case "alt":
        for (const t of tree.trees) NameTree.leaves(t, into);
        break;
      case "union":
        for (const w of tree.trees) NameTree.leaves(w.tree, into);
        break;
    }
    return into;
  },

  /**
   * An evaluation-equivalent tree, as Finagle's `simplify`: an Alt drops Neg children and stops at the first
   * Fail; a Union drops Neg and Fail children; single-child nodes collapse; empty ones become Neg.
   * The result is a fixpoint: simplifying it again changes nothing.
   */
  simplify<T>(tree: NameTree<T>): NameTree<T> {
    switch (tree.kind) {
      case "alt": {
        const kept: NameTree<T>[] = [];
        for (const child of tree.trees) {
          const s = NameTree.simplify(child);
          if (s.kind === "fail") {
            kept.push(FAIL);
            break;
          }
          if (s.kind !== "neg") kept.push(s);
        }
        if (kept.length === 0) return NEG;
        if (kept.length === 1) return kept[0] as NameTree<T>;
        return { kind: "alt", trees: kept };
      }
      case "union": {
        const kept: Weighted<T>[] = [];
        for (const w of tree.trees) {
          const s = NameTree.simplify(w.tree);
          if (s.kind !== "neg" && s.kind !== "fail") kept.push({ weight: w.weight, tree: s });
        }
        if (kept.length === 0) return NEG;
        if (kept.length === 1) return (kept[0] as Weighted<T>).tree;
        return { kind: "union", trees: kept };
      }
      default:
        return tree;
    }
  },

  /** The parseable shown form: `/a & 0.30*(/b) | /c` (weights print with two decimals), nested Alts and Unions in parentheses, as Finagle shows them. */
  show<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
    return showTop(tree, showLeaf);
  },

  equals<T>(a: NameTree<T>, b: NameTree<T>, leafEquals: (x: T, y: T) => boolean): boolean {
    if (a === b) return true;
    if (a.kind !== b.kind) return false;
    switch (a.kind) {
      case "leaf":
        return leafEquals(a.value, (b as Leaf<T>).value);
      case "alt": {
        const bt = (b as typeof a).trees;
        return (
          a.trees.length === bt.length && a.trees.every((t, i) => NameTree.equals(t, bt[i]!, leafEquals))
        );
      }
      case "union": {
        const bt = (b as typeof a).trees;
        return (
          a.trees.length === bt.length &&
          a.trees.every(
            (w, i) => w.weight === bt[i]!.weight && NameTree.equals(w.tree, bt[i]!.tree, leafEquals),
          )
        );
      }
      default:
        return true;
    }
  },
};

function showTop<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  if (tree.kind === "union" && tree.trees.length === 1) return showTop(tree.trees[0]!.tree, showLeaf);
  if (tree.kind === "alt") {
    if (tree.trees.length === 1) return showTop(tree.trees[0]!, showLeaf);
    return tree.trees.map((t) => showInAlt(t, showLeaf)).join(" | ");
  }
  return showInAlt(tree, showLeaf);
}

function showInAlt<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  if (tree.kind === "union" && tree.trees.length === 1) return showInAlt(tree.trees[0]!.tree, showLeaf);
  if (tree.kind === "alt" && tree.trees.length === 1) return showInAlt(tree.trees[0]!, showLeaf);
  if (tree.kind === "union") {
    return tree.trees
      .map((w) =>
        w.weight === DEFAULT_WEIGHT
          ? showSimple(w.tree, showLeaf)
          : `${w.weight.toFixed(2)}*${showSimple(w.tree, showLeaf)}`,
      )
      .join(" & ");
  }
  if (tree.kind === "alt") return `(${showTop(tree, showLeaf)})`;
  return showSimple(tree, showLeaf);
}

function showSimple<T>(tree: NameTree<T>, showLeaf: (value: T) => string): string {
  switch (tree.kind) {
    case "union":
      if (tree.trees.length === 1) return showSimple(tree.trees[0]!.tree, showLeaf);
      return `(${showTop(tree, showLeaf)})`;
    case "alt":
      if (tree.trees.length === 1) return showSimple(tree.trees[0]!, showLeaf);
      return `(${showTop(tree, showLeaf)})`;
    case "leaf":
      return showLeaf(tree.value);
    case "fail":
      return "!";
    case "neg":
      return "~";
    case "empty":
      return "$";
  }
}
