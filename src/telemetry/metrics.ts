// The metrics registry: makes counters, gauges and stats at tree paths, removes subtrees, snapshots stats.

import { Counter, Gauge, type Metric, type MetricKind, Stat } from "./metric.ts";
import { MetricsNode } from "./metrics-tree.ts";
import { resolveQuery } from "./query.ts";

/** A path in the metrics tree: one segment (never split, so `127.0.0.1/4140` is one key) or a list of them. */
export type MetricPath = string | readonly string[];

export interface MetricsOptions {
  /** Milliseconds on a monotonic clock; default `performance.now`. */
  readonly clock?: () => number;
  /** How long a stat interval lasts; Linkerd's `histogramSnapshotInterval`, default one minute. */
  readonly snapshotIntervalMs?: number;
}

export const DEFAULT_SNAPSHOT_INTERVAL_MS = 60_000;

/** Where metrics are made: the registry itself, or a scope of it (`rt/http/client/#/io.l5d.fs/web`). */
export interface MetricsScope {
  /** The segments this scope adds in front of every path. */
  readonly prefix: readonly string[];
  /** The counter at `path`, made if needed; the same object every time. */
  counter(path: MetricPath): Counter;
  /** The gauge at `path`, made if needed; with `sampler`, it samples that function (replacing any earlier). */
  gauge(path: MetricPath, sampler?: () => number): Gauge;
  /** The stat at `path`, made if needed; the same object every time. */
  stat(path: MetricPath): Stat;
  /** A scope below this one. */
  scope(path: MetricPath): MetricsScope;
  /** Removes the subtree at `path` (default: the scope itself) with every metric in it; false if absent. */
  remove(path?: MetricPath): boolean;
}

function segments(path: MetricPath): readonly string[] {
  return typeof path === "string" ? [path] : path;
}

function join(prefix: readonly string[], path: MetricPath): readonly string[] {
  return prefix.length === 0 ? segments(path) : prefix.concat(segments(path));
}

/**
 * The registry of a process's metrics, a tree as in Linkerd: `rt/<router>/server/<ip>/<port>/requests`.
 * Look metrics up once per client or service and keep the handles; updating a handle costs no lookup.
 * Stats are snapshotted every `snapshotIntervalMs`: by `tick()`, which the owner calls from a timer (see
 * `startSnapshotTimer`) and the admin endpoints call before rendering. The registry creates no timers.
 */
export class Metrics implements MetricsScope {
  readonly root = new MetricsNode();
  readonly prefix: readonly string[] = [];
  readonly snapshotIntervalMs: number;
  private readonly clock: () => number;
  private nextSnapshotAt: number;

  constructor(options: MetricsOptions = {}) {
    this.clock = options.clock ?? (() => performance.now());
    this.snapshotIntervalMs = options.snapshotIntervalMs ?? DEFAULT_SNAPSHOT_INTERVAL_MS;
    if (!(this.snapshotIntervalMs > 0)) throw new RangeError("snapshotIntervalMs must be positive");
    this.nextSnapshotAt = this.clock() + this.snapshotIntervalMs;
  }

  counter(path: MetricPath): Counter {
    return this.make(path, "counter", () => new Counter()) as Counter;
  }

  gauge(path: MetricPath, sampler?: () => number): Gauge {
    const gauge = this.make(path, "gauge", () => new Gauge(sampler)) as Gauge;
    if (sampler !== undefined) gauge.sampleWith(sampler);
    return gauge;
  }

  stat(path: MetricPath): Stat {
    return this.make(path, "stat", () => new Stat()) as Stat;
  }

  scope(path: MetricPath): MetricsScope {
    return new Scope(this, segments(path));
  }

  remove(path: MetricPath = []): boolean {
    const node = this.root.find(segments(path));
    if (node === undefined || node === this.root) return false;
    node.remove();
    return true;
  }

  /** The node at exactly these segments, if any. */
  find(path: MetricPath): MetricsNode | undefined {
    return this.root.find(segments(path));
  }

  /** The node named by an admin query such as `rt/http/server/127.0.0.1/4140` (see `resolveQuery`). */
  query(q: string): MetricsNode | undefined {
    return resolveQuery(this.root, q);
  }

  /** Snapshots every stat if the interval is over; returns whether it did. Cheap enough to call each second. */
  tick(): boolean {
    const now = this.clock();
    if (now < this.nextSnapshotAt) return false;
    this.snapshot();
    this.nextSnapshotAt += this.snapshotIntervalMs;
    if (this.nextSnapshotAt <= now) this.nextSnapshotAt = now + this.snapshotIntervalMs;
    return true;
  }

  /** Ends the interval of every stat now: their summaries become the ones shown, and they start afresh. */
  snapshot(): void {
    this.root.forEachMetric(snapshotStat);
  }

  private make(path: MetricPath, kind: MetricKind, create: () => Metric): Metric {
    const segs = segments(path);
    if (segs.length === 0) throw new TypeError("a metric needs a path of at least one segment");
    const node = this.root.resolve(segs);
    const existing = node.metric;
    if (existing === undefined) {
      const metric = create();
      node.metric = metric;
      return metric;
    }
    if (existing.kind !== kind) {
      throw new TypeError(`metric ${node.path.join("/")} is a ${existing.kind}, not a ${kind}`);
    }
    return existing;
  }
}

function snapshotStat(metric: Metric): void {
  if (metric.kind === "stat") metric.snapshot();
}

class Scope implements MetricsScope {
  readonly prefix: readonly string[];
  private readonly metrics: Metrics;

  constructor(metrics: Metrics, prefix: readonly string[]) {
    this.metrics = metrics;
    this.prefix = prefix;
  }

  counter(path: MetricPath): Counter {
    return this.metrics.counter(join(this.prefix, path));
  }

  gauge(path: MetricPath, sampler?: () => number): Gauge {
    return this.metrics.gauge(join(this.prefix, path), sampler);
  }

  stat(path: MetricPath): Stat {
    return this.metrics.stat(join(this.prefix, path));
  }

  scope(path: MetricPath): MetricsScope {
    return new Scope(this.metrics, join(this.prefix, path));
  }

  remove(path: MetricPath = []): boolean {
    return this.metrics.remove(join(this.prefix, path));
  }
}
