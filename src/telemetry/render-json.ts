// Renders a metrics subtree as Linkerd's flat /admin/metrics.json: keys are paths joined with `/`.

import { jsonEscape, jsonMembers, PRETTY } from "./json-format.ts";
import type { Metric } from "./metric.ts";
import type { MetricsNode } from "./metrics-tree.ts";
import { DEFAULT_CHUNK_CHARS, joinChunks, type Output, type Visitor, walk } from "./walk.ts";

export interface FlatJsonOptions {
  /** Sorted by metric name, one member per line, in Jackson's pretty style (`"a" : 1`); `?pretty=1`. */
  readonly pretty?: boolean;
}

/**
 * `{"rt/http/server/127.0.0.1/4140/requests":12,...}`, compact, parents before children, children in the
 * order they were made. Keys are relative to `node`; a metric at `node` itself has the key `""` (as Linkerd's).
 * Counters and gauges are numbers; a stat is `<name>.count` and, when its last interval had values,
 * `.max .min .p50 .p90 .p95 .p99 .p9990 .p9999 .sum .avg`.
 */
export function renderFlatJson(node: MetricsNode, options: FlatJsonOptions = {}): string {
  return joinChunks(flatJsonChunks(node, options, Number.POSITIVE_INFINITY));
}

/** The same text as `renderFlatJson`, handed out in pieces of about `chunkChars` (see `paced`). */
export function* flatJsonChunks(
  node: MetricsNode,
  options: FlatJsonOptions = {},
  chunkChars = DEFAULT_CHUNK_CHARS,
): Generator<string, void, undefined> {
  if (options.pretty === true) {
    yield pretty(node);
    return;
  }
  const out: Output = { text: "{" };
  if (node.metric !== undefined) out.text += jsonMembers("", node.metric);
  yield* walk(node, TOP, compact(out), out, chunkChars);
  yield `${out.text}}`;
}

/** The context of the walk's top node, whose children's keys are just their names. */
const TOP = undefined;

function keyOf(node: MetricsNode, parentKey: string | undefined): string {
  const name = jsonEscape(node.name);
  return parentKey === undefined ? name : `${parentKey}/${name}`;
}

/** Writes each metric as it is reached; a comma precedes every member but the first of the object. */
function compact(out: Output): Visitor<string | undefined> {
  let first = out.text === "{";
  return {
    enter(node, parentKey) {
      const key = keyOf(node, parentKey);
      const metric = node.metric;
      if (metric !== undefined) {
        out.text += first ? jsonMembers(key, metric) : `,${jsonMembers(key, metric)}`;
        first = false;
      }
      return key;
    },
  };
}

/** Sorted by metric name (a stat's members stay in their usual order), as Linkerd's `?pretty=1`. */
function pretty(node: MetricsNode): string {
  const metrics: [string, Metric][] = [];
  if (node.metric !== undefined) metrics.push(["", node.metric]);
  const collect: Visitor<string | undefined> = {
    enter(kid, parentKey) {
      const key = keyOf(kid, parentKey);
      if (kid.metric !== undefined) metrics.push([key, kid.metric]);
      return key;
    },
  };
  for (const _ of walk(node, TOP, collect, { text: "" }, Number.POSITIVE_INFINITY));
  if (metrics.length === 0) return "{ }";
  metrics.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  let text = "";
  for (const [key, metric] of metrics) text += `${PRETTY.comma}${jsonMembers(key, metric, PRETTY)}`;
  return `{\n  ${text.slice(PRETTY.comma.length)}\n}`;
}
