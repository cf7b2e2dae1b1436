// One logical service of a router: its policy, its retry budget, and its metrics under `rt/<r>/service/<name>`.

import type { Path } from "../naming/index.ts";
import { RetryBudget } from "../retry/retry-budget.ts";
import type { Counter, MetricsScope, Stat } from "../telemetry/index.ts";
import type { ServicePolicy } from "./policy.ts";
import { RequestStats } from "./router-metrics.ts";

/**
 * Made when a logical name is first routed and kept while it is used: the resolved `service` policy, the retry
 * budget every request to it shares, and its metrics (Linkerd's `retries/{per_request,total,budget_exhausted,
 * budget}`).
 */
export class Service {
  readonly path: Path;
  readonly policy: ServicePolicy;
  readonly budget: RetryBudget;
  readonly stats: RequestStats;
  readonly retriesPerRequest: Stat;
  readonly retries: Counter;
  readonly budgetExhausted: Counter;
  /** Requests answered at once because their `l5d-ctx-deadline` had passed. */
  readonly deadlineRejected: Counter;

  constructor(path: Path, policy: ServicePolicy, scope: MetricsScope, now: () => number) {
    this.path = path;
    this.policy = policy;
    this.budget = new RetryBudget(policy.retryBudget, now);
    this.stats = new RequestStats(scope);
    this.retriesPerRequest = scope.stat(["retries", "per_request"]);
    this.retries = scope.counter(["retries", "total"]);
    this.budgetExhausted = scope.counter(["retries", "budget_exhausted"]);
    this.deadlineRejected = scope.counter(["admission_control", "deadline", "rejected"]);
    scope.gauge(["retries", "budget"], () => this.budget.balance);
  }
}
