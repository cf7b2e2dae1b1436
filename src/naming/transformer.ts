// What a name-tree transformer is: a rewrite of a bound tree (Linkerd's `transformers`), shown in delegation.

import type { Activity } from "./activity.ts";
import type { DelegateTree } from "./delegate-tree.ts";
import type { BoundName } from "./name.ts";
import type { NameTree } from "./name-tree.ts";

/**
 * Rewrites the bound tree that binding produced: filters or rewrites addresses (`io.l5d.port`,
 * `io.l5d.localhost`), or replaces leaves (`io.l5d.replace`, `io.l5d.const`). Transformers run in list order.
 */
export interface NameTreeTransformer {
  /** The kind, e.g. `io.l5d.port`; shown in delegation trees and, prefixed `/%/`, in client ids. */
  readonly name: string;
  transform(tree: NameTree<BoundName>): Activity<NameTree<BoundName>>;
  /** The delegation tree with this transformer's effect shown (as `transformation` nodes). */
  transformDelegation(tree: DelegateTree<BoundName>): Activity<DelegateTree<BoundName>>;
}
