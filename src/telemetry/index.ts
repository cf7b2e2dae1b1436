// The telemetry module's public surface: the metrics registry, its renderers and the admin responses.

export {
  booleanParam,
  JSON_CONTENT_TYPE,
  type MetricsResponse,
  metricsJsonResponse,
  prometheusResponse,
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
export { resolveQuery } from "./query.ts";
export { type FlatJsonOptions, renderFlatJson } from "./render-json.ts";
export { renderJsonTree } from "./render-json-tree.ts";
export {
  PROMETHEUS_CONTENT_TYPE,
  type PrometheusOptions,
  renderPrometheus,
} from "./render-prometheus.ts";
export { type SnapshotTimer, startSnapshotTimer } from "./snapshot-timer.ts";
