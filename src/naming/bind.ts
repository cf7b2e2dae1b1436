// Binding: Finagle's recursive walk that turns a tree of names into a tree of bound names through a lookup.

import { Activity, State } from "./activity.ts";
import type { BoundName, Name } from "./name.ts";
import { BoundName as Bound } from "./name.ts";
import { NameTree, type Weighted } from "./name-tree.ts";
import type { Path } from "./path.ts";
import { Var } from "./var.ts";

/** Finagle's limit on how many times binding may look a path up before it gives up on a loop. */
export const MAX_DEPTH = 100;

export class RecursionLimitError extends Error {
  constructor() {
    super("Max recursion level reached.");
    this.name = "RecursionLimitError";
  }
}

/** Looks one path up: through the dtab, else the namers. */
export type Lookup = (path: Path) => Activity<NameTree<Name>>;

/**
 * Binds every leaf of `tree`: a path is looked up and the result bound in turn (depth + 1); a bound name is
 * done. Alt takes the first branch that does not bind to Neg, and stops at Fail; Union binds every branch and
 * drops those that come out Neg or Fail; Empty is a real answer. The result changes as lookups do.
 */
export function bindTree(
  lookup: Lookup,
  tree: NameTree<Name>,
  depth = 0,
  weight?: number,
): Activity<NameTree<BoundName>> {
  if (depth > MAX_DEPTH) return Activity.exception(new RecursionLimitError());
  switch (tree.kind) {
    case "leaf": {
      const name = tree.value;
      if (name instanceof Bound) {
        const bound = weight === undefined ? name : name.withWeight(weight);
        return Activity.value(NameTree.leaf(bound));
      }
      return lookup(name).flatMap((t) => bindTree(lookup, t, depth + 1, weight));
    }
    case "fail":
    case "neg":
    case "empty":
      return Activity.value(tree);
    case "union":
      if (tree.trees.length === 0) return Activity.value(NameTree.neg);
      if (tree.trees.length === 1) {
        const only = tree.trees[0] as Weighted<Name>;
        return bindTree(lookup, only.tree, depth, only.weight);
      }
      return bindUnion(lookup, tree.trees, depth);
    case "alt":
      if (tree.trees.length === 0) return Activity.value(NameTree.neg);
      if (tree.trees.length === 1) return bindTree(lookup, tree.trees[0] as NameTree<Name>, depth, weight);
      return bindAlt(lookup, tree.trees, depth, weight);
  }
}

function bindAlt(
  lookup: Lookup,
  trees: readonly NameTree<Name>[],
  depth: number,
  weight: number | undefined,
): Activity<NameTree<BoundName>> {
  const [first, ...rest] = trees;
  if (first === undefined) return Activity.value(NameTree.neg);
  return bindTree(lookup, first, depth, weight).flatMap((bound) => {
    if (bound.kind === "fail") return Activity.value(NameTree.fail);
    if (bound.kind === "neg") return bindAlt(lookup, rest, depth, weight);
    return Activity.value(bound);
  });
}

function bindUnion(
  lookup: Lookup,
  trees: readonly Weighted<Name>[],
  depth: number,
): Activity<NameTree<BoundName>> {
  const branches = trees.map((w) => bindTree(lookup, w.tree, depth, w.weight).states);
  const states = Var.collect(branches).map((all): State<NameTree<BoundName>> => {
    const oks: Weighted<BoundName>[] = [];
    all.forEach((s, i) => {
      if (s.kind === "ok") oks.push(NameTree.weighted((trees[i] as Weighted<Name>).weight, s.value));
    });
    if (oks.length === 0) return all.find((s) => s.kind === "failed") ?? State.pending;
    return State.ok(NameTree.simplify(NameTree.union(...oks)));
  });
  return new Activity(states);
}
