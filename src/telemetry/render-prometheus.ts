// Renders the metrics tree in Prometheus' text format with Linkerd's names and labels (io.l5d.prometheus).

import type { Summary } from "./histogram.ts";
import type { MetricsNode } from "./metrics-tree.ts";
import { DEFAULT_CHUNK_CHARS, joinChunks, type Output, type Visitor, walk } from "./walk.ts";

export interface PrometheusOptions {
  /** Put in front of every metric name as is (then sanitized), e.g. `linkerd_`; Linkerd's `prefix`. */
  readonly prefix?: string;
}

/** The media type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/**
 * One line per sample, as Linkerd writes them: segments joined by `:`, characters outside `[A-Za-z0-9:]`
 * turned into `_`, and some segments lifted into labels:
 *   rt/<r>                                  -> rt="<r>"
 *   rt/<r>/{service,client,server}/<id>     -> service|client|server="<id>"
 *   rt/<r>/client/<id>/service/<path>       -> service="<path>"
 *   rt/<r>/{client,server}/<id>/{failures,exn}/<exception> -> exception="<exception>"
 * e.g. `rt:server:requests{rt="http", server="127.0.0.1/4140"} 12`. A stat whose last interval had values
 * gives `<name>_count`, `_sum`, `_avg` and `<name>{quantile="0|0.5|0.9|0.95|0.99|0.999|0.9999|1"}`
 * (0 is the minimum, 1 the maximum); an empty one gives nothing. Like Linkerd's, there are no `# TYPE` lines.
 */
export function renderPrometheus(root: MetricsNode, options: PrometheusOptions = {}): string {
  return joinChunks(prometheusChunks(root, options, Number.POSITIVE_INFINITY));
}

/** The same text as `renderPrometheus`, handed out in pieces of about `chunkChars` (see `paced`). */
export function* prometheusChunks(
  root: MetricsNode,
  options: PrometheusOptions = {},
  chunkChars = DEFAULT_CHUNK_CHARS,
): Generator<string, void, undefined> {
  const out: Output = { text: "" };
  const top: Context = { name: sanitizeName(options.prefix ?? ""), depth: 0, segs: [], labels: NO_LABELS };
  yield* walk(root, top, visitor(out), out, chunkChars);
  if (out.text !== "") yield out.text;
}

interface Labels {
  readonly keys: readonly string[];
  /** `{rt="http", server="127.0.0.1/4140"}`, or "" when there are no labels. */
  readonly block: string;
  /** What goes before a quantile label: `{rt="http", ` or `{`. */
  readonly open: string;
}

const NO_LABELS: Labels = { keys: [], block: "", open: "{" };

function withLabel(labels: Labels, key: string, value: string): Labels {
  const pair = `${key}="${escapeLabelValue(value)}"`;
  const inner = labels.block === "" ? pair : `${labels.block.slice(1, -1)}, ${pair}`;
  return { keys: [...labels.keys, key], block: `{${inner}}`, open: `{${inner}, ` };
}

/** A node's name once labels are lifted out of it: its text, how many segments, and the first three. */
interface Context {
  readonly name: string;
  readonly depth: number;
  /** The segments while there are at most three (all that the lifting rules look at), else undefined. */
  readonly segs: readonly string[] | undefined;
  readonly labels: Labels;
}

function visitor(out: Output): Visitor<Context> {
  return {
    enter(node, parent) {
      const label = parent.depth < 4 ? liftedLabel(parent.segs!, parent.labels.keys) : undefined;
      let context: Context;
      if (label !== undefined) {
        context = { ...parent, labels: withLabel(parent.labels, label, node.name) };
      } else {
        const part = sanitizeName(node.name);
        const depth = parent.depth + 1;
        context = {
          name: parent.depth === 0 ? parent.name + part : `${parent.name}:${part}`,
          depth,
          segs: depth <= 3 ? [...parent.segs!, node.name] : undefined,
          labels: parent.labels,
        };
      }
      const metric = node.metric;
      if (metric !== undefined) {
        if (metric.kind === "stat") out.text += statLines(context.name, context.labels, metric.summary);
        else out.text += `${context.name}${context.labels.block} ${promNumber(metric.value)}\n`;
      }
      return context;
    },
  };
}

/**
 * The label that a child of a node named `segs` becomes, if Linkerd lifts it out of the name (see
 * `renderPrometheus`). The rules look at the segments before the child's, never at the child's own.
 */
function liftedLabel(segs: readonly string[], keys: readonly string[]): string | undefined {
  if (segs[0] !== "rt") return undefined;
  let label: string | undefined;
  if (segs.length === 1) label = "rt";
  else if (segs.length === 2) {
    const kind = segs[1];
    if (kind === "service" || kind === "client" || kind === "server") label = kind;
  } else if (segs.length === 3) {
    const kind = segs[1];
    const sub = segs[2];
    if (kind === "client" && sub === "service") label = "service";
    else if ((kind === "client" || kind === "server") && (sub === "failures" || sub === "exn"))
      label = "exception";
  }
  return label === undefined || keys.includes(label) ? undefined : label;
}

function statLines(name: string, labels: Labels, s: Summary): string {
  if (s.count === 0) return "";
  const { block, open } = labels;
  return (
    `${name}_count${block} ${s.count}\n` +
    `${name}_sum${block} ${s.sum}\n` +
    `${name}_avg${block} ${promNumber(s.avg)}\n` +
    `${name}${open}quantile="0"} ${s.min}\n` +
    `${name}${open}quantile="0.5"} ${s.p50}\n` +
    `${name}${open}quantile="0.9"} ${s.p90}\n` +
    `${name}${open}quantile="0.95"} ${s.p95}\n` +
    `${name}${open}quantile="0.99"} ${s.p99}\n` +
    `${name}${open}quantile="0.999"} ${s.p9990}\n` +
    `${name}${open}quantile="0.9999"} ${s.p9999}\n` +
    `${name}${open}quantile="1"} ${s.max}\n`
  );
}

const NAME_DISALLOWED = /[^A-Za-z0-9:]/g;

/** A metric name part: every character outside `[A-Za-z0-9:]` becomes `_`. */
export function sanitizeName(s: string): string {
  return s.replace(NAME_DISALLOWED, "_");
}

const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const LABEL_VALUE_SPECIALS = /[\\"\n]/g;

/** A label value escaped for the text format: `\` as `\\`, `"` as `\"`, a newline as `\n`. */
export function escapeLabelValue(v: string): string {
  if (!LABEL_VALUE_SPECIAL.test(v)) return v;
  return v.replace(LABEL_VALUE_SPECIALS, (c) => (c === "\n" ? "\\n" : `\\${c}`));
}

/** A sample value: Prometheus spells infinities `+Inf` and `-Inf`. */
export function promNumber(v: number): string {
  if (Number.isFinite(v) || Number.isNaN(v)) return String(v);
  return v > 0 ? "+Inf" : "-Inf";
}
