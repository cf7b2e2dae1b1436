// The telemetry module's public surface: the metrics registry, its renderers and the admin responses.

export {
  booleanParam,
  JSON_CONTENT_TYPE,
  type MetricsResponse,
  type MetricsStream,
  metricsJsonResponse,
  metricsJsonStream,
  prometheusResponse,
  prometheusStream,
} from "./endpoints.ts";
export { EMPTY_SUMMARY, Histogram, type Summary } from "./histogram.ts";
export { Counter, Gauge, type Metric, type MetricKind, Stat } from "./metric.ts";
export {
  DEFAULT_SNAPSHOT_INTERVAL_MS,
  type MetricPath,
  Metrics,
  type MetricsOptions,
  type MetricsScope,
} from "./metrics.ts";
export { MetricsNode } from "./metrics-tree.ts";
export { type PaceOptions, paced } from "./pace.ts";
export { resolveQuery } from "./query.ts";
export { type FlatJsonOptions, flatJsonChunks, renderFlatJson } from "./render-json.ts";
export { jsonTreeChunks, renderJsonTree } from "./render-json-tree.ts";
export {
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusOptions,
  prometheusChunks,
  renderPrometheus,
} from "./render-prometheus.ts";
export { type SnapshotTimer, startSnapshotTimer } from "./snapshot-timer.ts";
export { joinChunks } from "./walk.ts";
