// namerd's JSON of a bound name tree (`/api/1/bind`): a delegate tree without paths or dentries, leaves with addresses.

import {
  type Addr,
  Addr as AddrOps,
  type BoundName,
  DelegateTree,
  type Json,
  type NameTree,
  Path,
  resolveAddrs,
} from "../../../naming/index.ts";

/** Waits (at most `timeoutMs`) for each leaf's address to leave Pending, then renders the tree. */
export async function boundTreeJson(tree: NameTree<BoundName>, timeoutMs: number): Promise<Json> {
  const addrs = await resolveAddrs(DelegateTree.fromNameTree(Path.empty, DelegateTree.nop, tree), timeoutMs);
  return render(tree, addrs);
}

function render(tree: NameTree<BoundName>, addrs: ReadonlyMap<BoundName, Addr>): Json {
  switch (tree.kind) {
    case "leaf": {
      const b = tree.value;
      return {
        type: "leaf",
        bound: {
          addr: AddrOps.toJSON(addrs.get(b) ?? AddrOps.pending) as Json,
          id: b.id.show,
          path: b.residual.show,
        },
      };
    }
    case "alt":
      return { type: "alt", alt: tree.trees.map((t) => render(t, addrs)) };
    case "union":
      return {
        type: "union",
        union: tree.trees.map((w) => ({ weight: w.weight, tree: render(w.tree, addrs) })),
      };
    default:
      return { type: tree.kind };
  }
}
