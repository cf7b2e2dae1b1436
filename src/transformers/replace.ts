// io.l5d.replace: every bound leaf replaced by the binding of one configured path; Neg, Fail and Empty stay as they are.

import { type Activity, type BoundName, DelegateTree, NameTree, Path } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { rewriteLeaves } from "./delegate-leaves.ts";
import { type PathBinder, renamedBinding } from "./replacement.ts";
import { transformerPrefix } from "./transformer-prefix.ts";

export const REPLACE_KIND = "io.l5d.replace";

export interface ReplaceOptions {
  /** The path whose binding replaces every bound leaf, e.g. `/$/inet/127.1/4141`. */
  readonly path: Path;
  /** Replaces the default id prefix `/io.l5d.replace` (ids then start `/%` followed by this). */
  readonly prefix?: Path;
}

export interface ReplaceDeps {
  /** Binds `path` with an empty dtab through the global namers. */
  readonly bind: PathBinder;
}

/** `tree` with every Leaf replaced by `replacement`; Alt and Union keep their shape and weights. */
export function replaceLeaves<T>(tree: NameTree<T>, replacement: NameTree<T>): NameTree<T> {
  switch (tree.kind) {
    case "leaf":
      return replacement;
    case "alt":
      return NameTree.alt(...tree.trees.map((t) => replaceLeaves(t, replacement)));
    case "union":
      return NameTree.union(
        ...tree.trees.map((w) => NameTree.weighted(w.weight, replaceLeaves(w.tree, replacement))),
      );
    default:
      return tree;
  }
}

/**
 * Replaces every Leaf of the bound tree by the binding of `path`, whose names get id `/%/io.l5d.replace` ++
 * `path`; a tree without leaves (Neg, Fail, Empty) is kept, so a name that does not exist still does not. In a
 * delegation tree each bound leaf becomes a `transformation` node above the replacement's tree.
 */
export function replaceTransformer(options: ReplaceOptions, deps: ReplaceDeps): NameTreeTransformer {
  const id = transformerPrefix(options.prefix, Path.of(REPLACE_KIND)).concat(options.path);
  const replacement = renamedBinding(deps.bind, options.path, id);
  return {
    name: REPLACE_KIND,
    transform(tree: NameTree<BoundName>): Activity<NameTree<BoundName>> {
      return replacement().map((r) => replaceLeaves(tree, r));
    },
    transformDelegation(tree: DelegateTree<BoundName>): Activity<DelegateTree<BoundName>> {
      return replacement().map((r) =>
        rewriteLeaves(tree, (leaf) => ({
          kind: "transformation",
          path: leaf.path,
          dentry: leaf.dentry,
          name: REPLACE_KIND,
          value: leaf.value,
          tree: DelegateTree.fromNameTree(id, leaf.dentry, r),
        })),
      );
    },
  };
}
