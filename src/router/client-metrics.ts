// A client's metrics under Linkerd's names: requests per attempt, requeues, load balancer, failure accrual, pool.

import type { AccrualCounters } from "../liveness/failure-accrual.ts";
import type { Counter, MetricsScope } from "../telemetry/index.ts";
import type { ReplicaSet } from "./replica-set.ts";
import { RequestStats } from "./router-metrics.ts";

/** `rt/<r>/client/<id>/...`: every attempt (retries included) is a request here. */
export class ClientMetrics {
  readonly stats: RequestStats;
  readonly requeues: Counter;
  readonly requeueBudgetExhausted: Counter;
  /** Requeues refused because the request had used its share (Finagle's 20% of the budget per request). */
  readonly requeueLimit: Counter;
  readonly accrual: AccrualCounters;
  readonly #scope: MetricsScope;

  constructor(scope: MetricsScope) {
    this.#scope = scope;
    this.stats = new RequestStats(scope);
    this.requeues = scope.counter(["retries", "requeues"]);
    this.requeueBudgetExhausted = scope.counter(["retries", "budget_exhausted"]);
    this.requeueLimit = scope.counter(["retries", "request_limit"]);
    this.accrual = {
      removals: scope.counter(["failure_accrual", "removals"]),
      revivals: scope.counter(["failure_accrual", "revivals"]),
      probes: scope.counter(["failure_accrual", "probes"]),
      removedForMs: scope.counter(["failure_accrual", "removed_for_ms"]),
    };
  }

  get scope(): MetricsScope {
    return this.#scope;
  }

  /** The gauges that sample the client itself, once it exists. */
  watch(client: ReplicaSet, now: () => number): void {
    const s = this.#scope;
    const sum = (f: (e: ReplicaSet["endpoints"][number]) => number) => () =>
      client.endpoints.reduce((n, e) => n + f(e), 0);
    s.gauge(["loadbalancer", "size"], () => client.endpoints.length);
    s.gauge(["loadbalancer", "available"], () =>
      client.addr.kind === "pending" ? 0 : client.available(now()),
    );
    s.gauge(["loadbalancer", "busy"], () => client.endpoints.length - client.available(now()));
    s.gauge(
      ["loadbalancer", "load"],
      sum((e) => e.load),
    );
    s.gauge(["loadbalancer", "max_effort_exhausted"], () => client.balancer.exhausted);
    if (client.balancer.aperture !== undefined)
      s.gauge(["loadbalancer", "aperture"], () => client.balancer.aperture ?? 0);
    s.gauge(["retries", "budget"], () => client.requeueBudget.balance);
    s.gauge(
      "connections",
      sum((e) => e.connections),
    );
    s.gauge(
      "pool_size",
      sum((e) => e.pool.size),
    );
    s.gauge(
      "pool_cached",
      sum((e) => e.pool.idleCount),
    );
    s.gauge(
      "pool_waiters",
      sum((e) => e.pool.waiting),
    );
    s.gauge(
      "pool_num_waited",
      sum((e) => e.pool.waited),
    );
    s.gauge(
      "pool_num_too_many_waiters",
      sum((e) => e.pool.tooManyWaiters),
    );
  }
}
