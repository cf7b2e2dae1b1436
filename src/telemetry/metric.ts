// The three kinds of metric a tree node can hold: counters, gauges and stats (histograms snapshotted per interval).

import { EMPTY_SUMMARY, Histogram, type Summary } from "./histogram.ts";

/** A monotonic count, e.g. `requests`. Callers keep the handle: `incr` is one addition. */
export class Counter {
  readonly kind = "counter";
  value = 0;

  /** Adds `n` (default 1); `n` is expected to be a non-negative integer and is not checked. */
  incr(n = 1): void {
    this.value += n;
  }
}

/**
 * A value sampled when metrics are rendered: either a function (`connections`, `pool_size`) or a value the
 * owner sets. A sampler that throws reads as NaN, so one broken gauge cannot break a scrape.
 */
export class Gauge {
  readonly kind = "gauge";
  private sampler: (() => number) | undefined;
  private current = 0;

  constructor(sampler?: () => number) {
    this.sampler = sampler;
  }

  get value(): number {
    const sampler = this.sampler;
    if (sampler === undefined) return this.current;
    try {
      return sampler();
    } catch {
      return Number.NaN;
    }
  }

  /** Sets the value, and stops sampling a function if there was one. */
  set(value: number): void {
    this.sampler = undefined;
    this.current = value;
  }

  /** Adds `delta` to a set value (for up/down counts such as `pending`). */
  add(delta: number): void {
    this.current += delta;
  }

  /** Samples `sampler` from now on (a re-registered gauge replaces the old function, as in Linkerd). */
  sampleWith(sampler: () => number): void {
    this.sampler = sampler;
  }
}

/**
 * A distribution, e.g. `request_latency_ms`. Values accumulate in a histogram; `snapshot()` (called by the
 * registry once per interval) turns them into the summary that renderers show and starts a new interval,
 * so percentiles describe the last interval, like Linkerd's. Before the first snapshot the summary is empty.
 */
export class Stat {
  readonly kind = "stat";
  private readonly histogram = new Histogram();
  private last: Summary = EMPTY_SUMMARY;

  /** Records `value` (truncated to an integer; negative values count as 0). */
  add(value: number): void {
    this.histogram.add(value);
  }

  /** The summary of the last completed interval. */
  get summary(): Summary {
    return this.last;
  }

  /** The summary of the interval in progress, without ending it. */
  peek(): Summary {
    return this.histogram.summary();
  }

  /** Ends the interval: its summary becomes the one shown, and recording starts afresh. */
  snapshot(): Summary {
    this.last = this.histogram.summary();
    this.histogram.clear();
    return this.last;
  }
}

export type Metric = Counter | Gauge | Stat;
export type MetricKind = Metric["kind"];
