// A transformer that rewrites each bound name on its own (a new id, a rewritten Addr): io.l5d.port and the filters.

import { Activity, type BoundName, type DelegateTree, NameTree } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { rewriteLeaves } from "./delegate-leaves.ts";

/**
 * Keeps the tree's shape and replaces every leaf by `rewrite(leaf)`. In a delegation tree each bound leaf becomes
 * a `transformation` node at the leaf's path, holding the name before the rewrite, above a leaf of the name after
 * it whose path is the new id, as Linkerd's `DelegatingNameTreeTransformer.transformDelegate` shows it.
 */
export class BoundNameTransformer implements NameTreeTransformer {
  readonly name: string;
  readonly #rewrite: (bound: BoundName) => BoundName;

  constructor(name: string, rewrite: (bound: BoundName) => BoundName) {
    this.name = name;
    this.#rewrite = rewrite;
  }

  transform(tree: NameTree<BoundName>): Activity<NameTree<BoundName>> {
    return Activity.value(NameTree.map(tree, this.#rewrite));
  }

  transformDelegation(tree: DelegateTree<BoundName>): Activity<DelegateTree<BoundName>> {
    return Activity.value(
      rewriteLeaves(tree, (leaf): DelegateTree<BoundName> => {
        const after = this.#rewrite(leaf.value);
        return {
          kind: "transformation",
          path: leaf.path,
          dentry: leaf.dentry,
          name: this.name,
          value: leaf.value,
          tree: { ...leaf, path: after.id, value: after },
        };
      }),
    );
  }
}
