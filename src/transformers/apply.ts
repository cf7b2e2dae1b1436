// Applies configured transformers in order: to a bound tree, to a delegation tree, and around an interpreter or namer.

import {
  Activity,
  type BoundName,
  type DelegateTree,
  type Delegator,
  type Dtab,
  isBound,
  type Name,
  type NameInterpreter,
  type Namer,
  type NameTree,
  type Path,
} from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";

/** The bound tree after each transformer in turn (the first in the list runs first); follows every change. */
export function applyTransformers(
  transformers: readonly NameTreeTransformer[],
  tree: Activity<NameTree<BoundName>>,
): Activity<NameTree<BoundName>> {
  return transformers.reduce((acc, t) => acc.flatMap((bound) => t.transform(bound)), tree);
}

/** The delegation tree with each transformer's `transformation` nodes added in turn (first in the list first). */
export function applyDelegationTransformers(
  transformers: readonly NameTreeTransformer[],
  tree: Activity<DelegateTree<BoundName>>,
): Activity<DelegateTree<BoundName>> {
  return transformers.reduce((acc, t) => acc.flatMap((d) => t.transformDelegation(d)), tree);
}

/** An interpreter whose bindings (and delegations) go through `transformers`: a router's `interpreter.transformers`. */
export function transformedInterpreter(
  underlying: NameInterpreter & Delegator,
  transformers: readonly NameTreeTransformer[],
): NameInterpreter & Delegator {
  return {
    bind: (dtab: Dtab, path: Path) => applyTransformers(transformers, underlying.bind(dtab, path)),
    delegate: (dtab: Dtab, path: Path) =>
      applyDelegationTransformers(transformers, underlying.delegate(dtab, path)),
  };
}

function isBoundTree(tree: NameTree<Name>): tree is NameTree<BoundName> {
  switch (tree.kind) {
    case "leaf":
      return isBound(tree.value);
    case "alt":
      return tree.trees.every(isBoundTree);
    case "union":
      return tree.trees.every((w) => isBoundTree(w.tree));
    default:
      return true;
  }
}

/**
 * A namer whose answers go through `transformers` when they are fully bound (every leaf a bound name, or no
 * leaf at all); an answer that still has paths to look up passes unchanged: a namer's `transformers`.
 */
export function transformedNamer(underlying: Namer, transformers: readonly NameTreeTransformer[]): Namer {
  return {
    lookup: (path: Path) =>
      underlying
        .lookup(path)
        .flatMap(
          (tree): Activity<NameTree<Name>> =>
            isBoundTree(tree) ? applyTransformers(transformers, Activity.value(tree)) : Activity.value(tree),
        ),
  };
}
