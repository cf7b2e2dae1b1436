// The binding io.l5d.replace and io.l5d.const put in place of a tree: `path` bound through the global namers, renamed.

import { Activity, BoundName, NameTree, type Path } from "../naming/index.ts";

/** Binds a path with an empty dtab through the global (`/$/`) namers: what Linkerd's `NameInterpreter.global` does. */
export type PathBinder = (path: Path) => Activity<NameTree<BoundName>>;

/**
 * The binding of `path`, with every bound name's id set to `id` (Linkerd uses `/%/<kind>` ++ `path`) and its
 * residual and Addr kept. `bind` is called once, on first use, and its Activity shared from then on (it is only
 * observed, and its sources only open, while someone observes a transformed tree).
 */
export function renamedBinding(bind: PathBinder, path: Path, id: Path): () => Activity<NameTree<BoundName>> {
  let binding: Activity<NameTree<BoundName>> | undefined;
  return () => {
    if (binding === undefined) {
      let bound: Activity<NameTree<BoundName>>;
      try {
        bound = bind(path);
      } catch (e) {
        bound = Activity.exception(e instanceof Error ? e : new Error(String(e)));
      }
      binding = bound.map((tree) => NameTree.map(tree, (b) => new BoundName(id, b.addr, b.residual)));
    }
    return binding;
  };
}
