// The admin responses for /admin/metrics.json and the Prometheus path, as plain data for the admin server.

import type { Metrics } from "./metrics.ts";
import { flatJsonChunks } from "./render-json.ts";
import { jsonTreeChunks } from "./render-json-tree.ts";
import { PROMETHEUS_CONTENT_TYPE, type PrometheusOptions, prometheusChunks } from "./render-prometheus.ts";
import { joinChunks } from "./walk.ts";

export interface MetricsResponse {
  readonly status: 200 | 404;
  readonly contentType: string;
  readonly body: string;
}

/** A response whose body is produced piece by piece as `chunks` is iterated (see `paced`). */
export interface MetricsStream {
  readonly status: 200 | 404;
  readonly contentType: string;
  readonly chunks: Iterable<string>;
}

export const JSON_CONTENT_TYPE = "application/json;charset=utf-8";

/** A boolean query parameter as Finagle reads it: `1`, `t` or `true` (any case) is true. */
export function booleanParam(params: URLSearchParams, name: string): boolean {
  const v = params.get(name)?.toLowerCase();
  return v === "1" || v === "t" || v === "true";
}

/**
 * `/admin/metrics.json` with its parameters: `tree` (nested form), `pretty` (sorted, indented flat form) and
 * `q` (only the subtree at that path, keys relative to it). An unknown `q` gives 404 with
 * `{"error": "No such subtree: <q>"}`. Snapshots stats first if their interval is over.
 */
export function metricsJsonResponse(metrics: Metrics, params: URLSearchParams): MetricsResponse {
  return collect(metricsJsonStream(metrics, params));
}

/** `metricsJsonResponse`, with the body rendered lazily in chunks. */
export function metricsJsonStream(metrics: Metrics, params: URLSearchParams): MetricsStream {
  metrics.tick();
  const q = params.get("q");
  const node = q === null ? metrics.root : metrics.query(q);
  if (node === undefined) {
    const body = `{"error": ${JSON.stringify(`No such subtree: ${q}`)}}`;
    return { status: 404, contentType: JSON_CONTENT_TYPE, chunks: [body] };
  }
  const chunks = booleanParam(params, "tree")
    ? jsonTreeChunks(node)
    : flatJsonChunks(node, { pretty: booleanParam(params, "pretty") });
  return { status: 200, contentType: JSON_CONTENT_TYPE, chunks };
}

/** The `io.l5d.prometheus` page (default path `/admin/metrics/prometheus`). Snapshots stats first if due. */
export function prometheusResponse(metrics: Metrics, options: PrometheusOptions = {}): MetricsResponse {
  return collect(prometheusStream(metrics, options));
}

/** `prometheusResponse`, with the body rendered lazily in chunks. */
export function prometheusStream(metrics: Metrics, options: PrometheusOptions = {}): MetricsStream {
  metrics.tick();
  return {
    status: 200,
    contentType: PROMETHEUS_CONTENT_TYPE,
    chunks: prometheusChunks(metrics.root, options),
  };
}

function collect(stream: MetricsStream): MetricsResponse {
  return { status: stream.status, contentType: stream.contentType, body: joinChunks(stream.chunks) };
}
