// Chooses the bound name a request goes to from a bound tree: a Union by weighted random choice, as Finagle does.

import type { Random } from "../balancer/random.ts";
import type { BoundName, NameTree } from "../naming/index.ts";

export type LeafPick = { kind: "leaf"; bound: BoundName } | { kind: "none"; why: string };

/**
 * A Leaf is itself; a Union picks one branch with probability proportional to its weight (branches of weight 0
 * only if all are 0) and continues in it; an Alt (left by a partial binding) takes its first branch.
 * Neg, Fail and Empty have nowhere to go.
 */
export function pickLeaf(tree: NameTree<BoundName>, random: Random): LeafPick {
  switch (tree.kind) {
    case "leaf":
      return { kind: "leaf", bound: tree.value };
    case "neg":
      return { kind: "none", why: "the name is not bound by the dtab or any namer (Neg)" };
    case "fail":
      return { kind: "none", why: "the dtab fails this name (Fail)" };
    case "empty":
      return { kind: "none", why: "the name exists but has no endpoints (Empty)" };
    case "alt":
      return tree.trees.length === 0
        ? { kind: "none", why: "empty alternative" }
        : pickLeaf(tree.trees[0] as NameTree<BoundName>, random);
    case "union": {
      const branches = tree.trees;
      if (branches.length === 0) return { kind: "none", why: "empty union" };
      let total = 0;
      for (const b of branches) total += Math.max(0, b.weight);
      if (total <= 0) return pickLeaf(branches[Math.floor(random() * branches.length)]!.tree, random);
      let r = random() * total;
      for (const b of branches) {
        r -= Math.max(0, b.weight);
        if (r < 0) return pickLeaf(b.tree, random);
      }
      return pickLeaf(branches[branches.length - 1]!.tree, random);
    }
  }
}
