// Renders a metrics subtree as Linkerd's nested /admin/metrics.json?tree=1 form.

import { jsonEscape, jsonMembers } from "./json-format.ts";
import type { MetricsNode } from "./metrics-tree.ts";
import { DEFAULT_CHUNK_CHARS, joinChunks, type Output, type Visitor, walk } from "./walk.ts";

/**
 * `{"rt":{"http":{"server":{"127.0.0.1/4140":{"requests":{"counter":12}}}}}}`: one object per node, holding
 * its metric as `"counter":n`, `"gauge":x` or `"stat.count":n,"stat.max":...`, then one member per child.
 */
export function renderJsonTree(node: MetricsNode): string {
  return joinChunks(jsonTreeChunks(node, Number.POSITIVE_INFINITY));
}

/** The same text as `renderJsonTree`, handed out in pieces of about `chunkChars` (see `paced`). */
export function* jsonTreeChunks(
  node: MetricsNode,
  chunkChars = DEFAULT_CHUNK_CHARS,
): Generator<string, void, undefined> {
  const out: Output = { text: `{${members(node)}` };
  yield* walk(node, node.metric !== undefined, nested(out), out, chunkChars);
  yield `${out.text}}`;
}

function members(node: MetricsNode): string {
  const metric = node.metric;
  return metric === undefined ? "" : jsonMembers(metric.kind, metric);
}

/** The context is whether the parent object already has a member (its metric), so a comma is needed. */
function nested(out: Output): Visitor<boolean> {
  return {
    enter(node, parentHasMetric, index) {
      const comma = index > 0 || parentHasMetric ? "," : "";
      out.text += `${comma}"${jsonEscape(node.name)}":{${members(node)}`;
      return node.metric !== undefined;
    },
    leave() {
      out.text += "}";
    },
  };
}
