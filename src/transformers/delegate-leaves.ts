// Rewrites the ends of a delegation tree (its bound leaves, or also its Neg, Fail and Empty nodes), as transformers do.

import type { DelegateTree } from "../naming/index.ts";

export type DelegateLeaf<T> = Extract<DelegateTree<T>, { kind: "leaf" }>;

/** A node that ends a branch of a delegation tree: a bound leaf, Neg, Fail, Empty or an error. */
export type DelegateEnd<T> = Extract<
  DelegateTree<T>,
  { kind: "leaf" | "neg" | "fail" | "empty" | "exception" }
>;

/**
 * The tree with every end replaced by what `f` makes of it (return the node itself to keep it). Delegate, Alt
 * and Union nodes keep their place; a transformation node keeps its name and value and has its subtree
 * rewritten, so transformers applied one after another nest, as Linkerd's `DelegateTree.flatMap` does.
 */
export function rewriteEnds<T>(
  tree: DelegateTree<T>,
  f: (end: DelegateEnd<T>) => DelegateTree<T>,
): DelegateTree<T> {
  switch (tree.kind) {
    case "delegate":
      return { ...tree, tree: rewriteEnds(tree.tree, f) };
    case "transformation":
      return { ...tree, tree: rewriteEnds(tree.tree, f) };
    case "alt":
      return { ...tree, trees: tree.trees.map((t) => rewriteEnds(t, f)) };
    case "union":
      return { ...tree, trees: tree.trees.map((w) => ({ weight: w.weight, tree: rewriteEnds(w.tree, f) })) };
    default:
      return f(tree);
  }
}

/** The tree with every bound leaf replaced by what `f` makes of it; Neg, Fail, Empty and errors are kept. */
export function rewriteLeaves<T>(
  tree: DelegateTree<T>,
  f: (leaf: DelegateLeaf<T>) => DelegateTree<T>,
): DelegateTree<T> {
  return rewriteEnds(tree, (end) => (end.kind === "leaf" ? f(end) : end));
}
