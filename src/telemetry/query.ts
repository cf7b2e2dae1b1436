// Resolves an admin `?q=rt/http/...` query to a tree node, matching keys that themselves contain `/`.

import type { MetricsNode } from "./metrics-tree.ts";

/**
 * The node that `q` names below `root`, or undefined. `q` is the flat-JSON form of a path: segments joined
 * by `/`. Linkerd splits it on every `/`, so `rt/http/server/127.0.0.1/4140` never found the server's
 * subtree; here a run of parts may also match one key (`127.0.0.1/4140`, `#/io.l5d.fs/web`), shortest
 * first, backtracking if a choice leads nowhere. Trailing slashes are ignored; an empty `q` names `root`.
 */
export function resolveQuery(root: MetricsNode, q: string): MetricsNode | undefined {
  const parts = q.split("/");
  while (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return walk(root, parts, 0);
}

function walk(node: MetricsNode, parts: readonly string[], from: number): MetricsNode | undefined {
  if (from === parts.length) return node;
  let key = "";
  for (let to = from; to < parts.length; to++) {
    key = to === from ? parts[to]! : `${key}/${parts[to]}`;
    const child = node.child(key);
    if (child === undefined) continue;
    const found = walk(child, parts, to + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}
