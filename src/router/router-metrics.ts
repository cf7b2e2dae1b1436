// The metrics of a router under Linkerd's names: per server, per logical service and per client (bound id).

import type { Counter, MetricsScope, Stat } from "../telemetry/index.ts";

/** Counters and latency for one scope (a server, a service, or a client). */
export class RequestStats {
  readonly #scope: MetricsScope;
  readonly requests: Counter;
  readonly success: Counter;
  readonly failures: Counter;
  readonly latency: Stat;
  readonly #errors: Counter;
  #pending = 0;
  /** Status counters by code, and by class under the negative class number (-2 for 2XX). */
  readonly #status = new Map<number, Counter>();

  constructor(scope: MetricsScope) {
    this.#scope = scope;
    this.requests = scope.counter("requests");
    this.success = scope.counter("success");
    this.failures = scope.counter("failures");
    this.latency = scope.stat("request_latency_ms");
    this.#errors = scope.counter(["status", "error"]);
    scope.gauge("pending", () => this.#pending);
  }

  get scope(): MetricsScope {
    return this.#scope;
  }

  started(): void {
    this.requests.incr();
    this.#pending++;
  }

  /**
   * Records the end of a request: its status (undefined when it failed without one) and latency. `success` is
   * the response classifier's verdict when there is one; without it a status below 500 is a success.
   */
  finished(status: number | undefined, latencyMs: number, failure?: string, success?: boolean): void {
    this.#pending--;
    this.latency.add(latencyMs);
    if (status !== undefined) {
      this.#statusCounter(status).incr();
    } else {
      this.#errors.incr();
    }
    if (success ?? (status !== undefined && status < 500)) {
      this.success.incr();
    } else {
      this.failures.incr();
      if (failure !== undefined) this.#scope.counter(["failures", failure]).incr();
    }
  }

  #statusCounter(status: number): Counter {
    let c = this.#status.get(status);
    if (c === undefined) {
      c = this.#scope.counter(["status", String(status)]);
      this.#status.set(status, c);
    }
    const cls = Math.floor(status / 100);
    let k = this.#status.get(-cls);
    if (k === undefined) {
      k = this.#scope.counter(["status", `${cls}XX`]);
      this.#status.set(-cls, k);
    }
    k.incr();
    return c;
  }
}
