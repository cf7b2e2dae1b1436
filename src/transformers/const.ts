// io.l5d.const: the whole bound tree replaced by the binding of one configured path, even when the tree was Neg.

import { type Activity, type BoundName, DelegateTree, type NameTree, Path } from "../naming/index.ts";
import type { NameTreeTransformer } from "../naming/transformer.ts";
import { rewriteEnds } from "./delegate-leaves.ts";
import { type PathBinder, renamedBinding } from "./replacement.ts";
import { transformerPrefix } from "./transformer-prefix.ts";

export const CONST_KIND = "io.l5d.const";

export interface ConstOptions {
  /** The path whose binding is used whatever the tree was, e.g. `/$/inet/127.1/4141`. */
  readonly path: Path;
  /** Replaces the default id prefix `/io.l5d.const` (ids then start `/%` followed by this). */
  readonly prefix?: Path;
}

export interface ConstDeps {
  /** Binds `path` with an empty dtab through the global namers. */
  readonly bind: PathBinder;
}

/**
 * Ignores the bound tree and gives the binding of `path`, whose names get id `/%/io.l5d.const` ++ `path`. In a
 * delegation tree the path taken is kept for reading: each bound leaf becomes a `transformation` node above the
 * binding, and each Neg, Fail or Empty end is replaced by the binding, so the tree still means what `transform`
 * gives. Error nodes are kept.
 */
export function constTransformer(options: ConstOptions, deps: ConstDeps): NameTreeTransformer {
  const id = transformerPrefix(options.prefix, Path.of(CONST_KIND)).concat(options.path);
  const binding = renamedBinding(deps.bind, options.path, id);
  return {
    name: CONST_KIND,
    transform(_tree: NameTree<BoundName>): Activity<NameTree<BoundName>> {
      return binding();
    },
    transformDelegation(tree: DelegateTree<BoundName>): Activity<DelegateTree<BoundName>> {
      return binding().map((b) =>
        rewriteEnds(tree, (end): DelegateTree<BoundName> => {
          const replaced = DelegateTree.fromNameTree(id, end.dentry, b);
          switch (end.kind) {
            case "leaf":
              return {
                kind: "transformation",
                path: end.path,
                dentry: end.dentry,
                name: CONST_KIND,
                value: end.value,
                tree: replaced,
              };
            case "exception":
              return end;
            default:
              return replaced;
          }
        }),
      );
    },
  };
}
